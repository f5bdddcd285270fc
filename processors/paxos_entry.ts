// paxos_entry: Paxos's registry line (processors/registry.ts): its flags and how a rank starts.
// Paxos still runs on its own rank shell (processors/paxos/node.ts, rank.ts); this file moves
// into processors/paxos/ when Paxos runs on the rank driver (issue 13, part 2). Kept free of
// the protocol's code, which `start` loads: `csplab check` must load no protocol.
import { DEFAULT_MAX_FRAME_BYTES } from '../runtime/net/frame.js';
import { numericOption, type CommonFlags, type ProtocolEntry } from '../runtime/protocol.js';
import { proposeFit } from './paxos/wire.js';

export const paxosEntry: ProtocolEntry = {
  name: 'paxos',
  // the reference's 10, 100, 50
  defaults: { o: 10, l: 100, t: 50 },
  options: {
    'data-size': numericOption('bytes per proposed value', 1000),
    eager: {
      type: 'boolean',
      default: false,
      describe: 'start the next round as soon as the last one finished its L instances',
    },
    // 512 × 64: a window leaves the leader as one burst and its ACKs come back as one, so a cycle
    // costs a whole window's latency (docs/protocols/paxos.md §12; docs/benchmarks.md, paxos).
    window: numericOption('most instances a leader has proposed but not committed (pipelining)', 512),
    batch: numericOption('most instances in one PROPOSE message', 64),
  },
  flags(a, read, usage) {
    const dataSize = read('--data-size', a.dataSize, 1, 1 << 20, true);
    const window = read('--window', a.window, 1, 1e6, true);
    const batch = read('--batch', a.batch, 1, 1e5, true);
    const eager = a.eager === true;
    return {
      check: ({ l }) => paxosFramesFit({ l, window, batch, dataSize }, usage),
      passOn: ['--data-size', String(dataSize), '--window', String(window), '--batch', String(batch), ...(eager ? ['--eager'] : [])],
      start: async (node, { o, l }) => {
        const { startPaxosNode } = await import('./paxos/node.js');
        return startPaxosNode({ ...node, slotSeconds: o, interval: l, dataSize, eager, pipelineWindow: window, proposeBatch: batch });
      },
    };
  },
  slotLeader: true,
};

/**
 * paxosFramesFit refuses --data-size, --batch, --window and -l whose PROPOSE cannot fit one
 * frame: a leader never splits one, so the run would commit nothing while the transport drops
 * every PROPOSE (issue 11, hole 2). Every other Paxos message is bounded by CATCHUP_CHUNK.
 */
function paxosFramesFit(
  f: Pick<CommonFlags, 'l'> & { window: number; batch: number; dataSize: number },
  usage: (message: string) => Error,
): void {
  const fit = proposeFit({ interval: f.l, pipelineWindow: f.window, proposeBatch: f.batch, dataSize: f.dataSize }, DEFAULT_MAX_FRAME_BYTES);
  if (fit.fits) return;
  // Name the flag that sets how many values a PROPOSE holds: the smallest of the three.
  const [flag, values] = f.batch <= Math.min(f.window, f.l) ? ['--batch', f.batch] : f.window <= f.l ? ['--window', f.window] : ['-l', f.l];
  throw usage(
    `--data-size ${f.dataSize} with ${flag} ${values} makes a PROPOSE of ${values} values, ${fit.bytes} bytes, over the ${DEFAULT_MAX_FRAME_BYTES}-byte frame: ` +
      (fit.maxValues > 0 ? `use ${flag} ${fit.maxValues} or less, or a smaller --data-size` : 'use a smaller --data-size'),
  );
}
