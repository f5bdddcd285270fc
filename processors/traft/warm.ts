// warm: what a TRaft rank's warm-up runs (entry.ts warmRank, runtime/driver/warmup.ts) besides
// the core's steps. A run's first snapshot came at ~10,000 commits, a second or so in, with its
// path still cold: the checkpoint's encoding, the snapshot's own code and, through them, new
// shapes in the record encoders (V8 deoptimised ~20 functions per rank there, hot ones among
// them). So the warm-up snapshots every WARM_SNAPSHOT_EVERY positions, and encodes each WAL
// batch as the rank's WAL would (frames and checkpoints, the bytes dropped: no disk).
import type { WalBatch } from './durable.js';
import type { TraftConfig } from './protocol.js';
import { GroupFrames } from './wal/group_frames.js';
import { encodeAsAppended } from './wal/segments.js';

/** WARM_SNAPSHOT_EVERY: the warm-up's snapshot threshold (a 1 s warm-up commits ~5,000–10,000 positions per rank). */
export const WARM_SNAPSHOT_EVERY = 1000;

/** warmConfig is the rank's config with snapshots often enough to run during the warm-up (none if the rank takes none). */
export function warmConfig(config: TraftConfig): TraftConfig {
  const every = config.snapshotEvery ?? 0;
  return every > 0 ? { ...config, snapshotEvery: Math.min(every, WARM_SNAPSHOT_EVERY) } : config;
}

/** walEncoder encodes batches as the rank's WAL writes them, into one reused buffer, and counts the bytes. */
export function walEncoder(): { readonly encode: (batches: readonly WalBatch[]) => void; readonly bytes: () => number } {
  const frames = new GroupFrames();
  let total = 0;
  return {
    encode: (batches) => {
      total += encodeAsAppended(frames, batches);
    },
    bytes: () => total,
  };
}
