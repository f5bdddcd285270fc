// step_invariants: S1–S6 and S11 (docs/protocols/vectory.md §12) checked by the simulator after
// every step (SimOptions.checkEveryStep, `csplab sim --check-every-step`), over the live states
// and each step's log events: the first violation stops the run at the step that made it. One
// checker per run remembers what was committed, by which ballot, and who mastered each ballot.
import type { StepInvariants } from '../../runtime/protocol.js';
import { ballotText, type VLogEvent } from './log.js';
import type { VMsg } from './messages.js';
import type { NodeState, WalBatch } from './state.js';
import { compareBallot, type Ballot } from './types.js';

type Chosen = { readonly ballot: string; readonly version: number; by: Ballot };

export function vectoryStepInvariants(): StepInvariants<NodeState, VMsg, WalBatch, VLogEvent> {
  const chosen = new Map<string, Chosen>(); // `${shard}/${index}` → the entry and the lowest ballot known to commit it
  const masters = new Map<string, number>(); // `${shard}/${ballot}` → rank
  const lastToken = new Map<number, number>();
  let before: { promised: Ballot; accepted: Ballot; commitIndex: number }[] = [];
  return {
    before: (_rank, s) => {
      before = s.shards.map((x) => ({ promised: x.promised, accepted: x.accepted, commitIndex: x.commitIndex }));
    },
    after: (rank, s, _input, out) => {
      const found: string[] = [];
      s.shards.forEach((x, i) => {
        const b = before[i];
        if (b === undefined) return;
        if (compareBallot(x.promised, b.promised) < 0 || compareBallot(x.accepted, b.accepted) < 0)
          found.push(`S4: rank ${rank} shard ${i} promised/accepted fell`);
        if (compareBallot(x.accepted, x.promised) > 0)
          found.push(`S4: rank ${rank} shard ${i} accepted ${ballotText(x.accepted)} above promised`);
        if (x.commitIndex < b.commitIndex) found.push(`S5: rank ${rank} shard ${i} commit index fell ${b.commitIndex} → ${x.commitIndex}`);
      });
      for (const ev of out.log) found.push(...onEvent(rank, s, ev));
      return found;
    },
  };

  function onEvent(rank: number, s: NodeState, ev: VLogEvent): string[] {
    if (ev.type === 'commit') {
      const k = `${ev.shard}/${ev.index}`;
      const c = chosen.get(k);
      const prev = s.shards[ev.shard]?.log[ev.index - 2];
      const s6 =
        prev !== undefined && prev.version >= ev.version
          ? [`S6: rank ${rank} shard ${ev.shard} version ${ev.version} at ${ev.index} after ${prev.version}`]
          : [];
      if (c === undefined) chosen.set(k, { ballot: ballotText(ev.ballot), version: ev.version, by: ev.by });
      else if (c.ballot !== ballotText(ev.ballot) || c.version !== ev.version)
        return [
          ...s6,
          `S1: shard ${ev.shard} index ${ev.index} committed as ${ballotText(ev.ballot)}@${ev.version} on rank ${rank}, earlier as ${c.ballot}@${c.version}`,
        ];
      else if (compareBallot(ev.by, c.by) < 0) c.by = ev.by;
      return s6;
    }
    if (ev.type === 'master') {
      const k = `${ev.shard}/${ballotText(ev.ballot)}`;
      const out =
        masters.has(k) || ev.ballot.nodeId !== rank
          ? [`S2: shard ${ev.shard} ballot ${ballotText(ev.ballot)} mastered twice or by rank ${rank}`]
          : [];
      masters.set(k, rank);
      out.push(...checkS3(rank, s, ev, chosen));
      return out;
    }
    if (ev.type === 'token') {
      const ttl = s.cfg.tokenTtlMs;
      const at = s.tokenUntil - ttl;
      const last = lastToken.get(rank);
      lastToken.set(rank, at);
      if (last !== undefined && at - last < ttl) return [`S11: rank ${rank} granted tokens ${at - last} ms apart`];
    }
    return [];
  }
}

/** checkS3: a new master's log holds every entry committed under a lower ballot, at its index. */
function checkS3(rank: number, s: NodeState, ev: Extract<VLogEvent, { type: 'master' }>, chosen: ReadonlyMap<string, Chosen>): string[] {
  const out: string[] = [];
  const log = s.shards[ev.shard]?.log ?? [];
  for (const [key, c] of chosen) {
    const [shard, index] = key.split('/').map(Number);
    if (shard !== ev.shard || index === undefined || compareBallot(c.by, ev.ballot) >= 0) continue;
    const e = log[index - 1];
    if (e === undefined || ballotText(e.ballot) !== c.ballot || e.version !== c.version)
      out.push(
        `S3: rank ${rank} mastered shard ${ev.shard} (${ballotText(ev.ballot)}) without index ${index} committed under ${ballotText(c.by)}`,
      );
  }
  return out;
}
