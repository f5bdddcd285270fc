// entry: Paxos's registry line (processors/registry.ts): its flags and how a rank starts. Kept
// free of the protocol's code, which `start` loads: every command of the CLI reads the flags,
// and `csplab check` must load no protocol.
import { DEFAULT_MAX_FRAME_BYTES } from '../../runtime/net/frame.js';
import type { NodeBaseConfig } from '../../runtime/driver/cluster.js';
import {
  numericOption,
  type CommonFlags,
  type LogLines,
  type ProtocolEntry,
  type RankNode,
  type SimProgram,
} from '../../runtime/protocol.js';
import { proposeFit } from './wire.js';
import type { PaxosCore, PaxosProtocol } from './protocol.js';

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
    core: {
      type: 'string',
      requiresArg: true,
      describe: 'a compiled Paxos core (its core.js) to run in place of ours: a lab student’s, as csplab grade runs it',
    },
  },
  flags(a, read, usage) {
    const dataSize = read('--data-size', a.dataSize, 1, 1 << 20, true);
    const window = read('--window', a.window, 1, 1e6, true);
    const batch = read('--batch', a.batch, 1, 1e5, true);
    const eager = a.eager === true;
    const core = typeof a.core === 'string' && a.core !== '' ? a.core : undefined;
    return {
      check: ({ l }) => paxosFramesFit({ l, window, batch, dataSize }, usage),
      passOn: [
        ...['--data-size', String(dataSize), '--window', String(window), '--batch', String(batch)],
        ...(eager ? ['--eager'] : []),
        ...(core !== undefined ? ['--core', core] : []),
      ],
      start: (node, { o, l }) =>
        startPaxos(node, { slotMs: o * 1000, interval: l, dataSize, eager, pipelineWindow: window, proposeBatch: batch }, core),
      simulate: ({ o, l }) =>
        simulatePaxos({ slotMs: o * 1000, interval: l, dataSize, eager, pipelineWindow: window, proposeBatch: batch }, core),
    };
  },
  slotLeader: true,
  // Memory (issue 20; docs/benchmarks.md, "Rank memory, Paxos seventh pass"). A rank keeps ~10-25
  // MiB of live JS; what its RSS held beyond that was V8's reserve around it:
  // - 2 MiB semi-spaces (V8 grows them to 16 on a busy rank): a rank's garbage is per batch and
  //   short-lived, so it dies in a small young generation too;
  // - an old generation grown to 2x its live size before the next mark-compact (V8's default
  //   factor goes up to 4x on a heap that collects fast, as a rank's does);
  // - one V8 worker thread, not four: five ranks share two cores, and each background job (a
  //   compile, a marking task) holds its scratch in malloc arenas the C library keeps afterwards.
  // Each measured both ways, memory and commits/s, before it was kept.
  rankNodeFlags: ['--max-semi-space-size=2', '--heap-growing-percent=100', '--v8-pool-size=1'],
  lab: async () => (await import('./lab/index.js')).paxosLab,
};

/**
 * startPaxos loads the protocol and the driver and starts one rank. The core reads its own
 * instance log back for a rank behind its window (§6.4) through a read-only archive handle
 * opened here: the file is the driver's, the core only reads what it committed.
 */
async function startPaxos(
  node: NodeBaseConfig,
  f: { slotMs: number; interval: number; dataSize: number; eager: boolean; pipelineWindow: number; proposeBatch: number },
  core: string | undefined,
): Promise<RankNode> {
  const paxos = await loadPaxos(core);
  const { CommitArchive, fileReader, fileSize } = await import('./archive.js');
  const { rankFiles } = await import('../../runtime/driver/logdir.js');
  const { startNode } = await import('../../runtime/driver/node.js');
  const log = rankFiles(node.logDir, node.rank).instanceLog;
  const archive = new CommitArchive(fileReader(log), () => fileSize(log));
  return startNode(paxos, { ...f, ...timing(f.slotMs), archive: archive.above }, node);
}

function timing(slotMs: number): { gatherGraceMs: number; retryMs: number } {
  return { gatherGraceMs: Math.min(20, slotMs / 50), retryMs: Math.max(5, Math.min(100, slotMs / 10)) };
}

/**
 * simulatePaxos binds Paxos for the simulator (runtime/sim/): each incarnation's archive reads
 * its rank's simulated instance log, as a rank's reads its file.
 */
async function simulatePaxos(
  f: {
    slotMs: number;
    interval: number;
    dataSize: number;
    eager: boolean;
    pipelineWindow: number;
    proposeBatch: number;
  },
  core: string | undefined,
): Promise<SimProgram> {
  const paxos = await loadPaxos(core);
  const { CommitArchive } = await import('./archive.js');
  const { simProgram } = await import('../../runtime/sim/bind.js');
  const config = { ...f, ...timing(f.slotMs) };
  return simProgram(paxos, config, (_rank, lines) => {
    const text = linesText(lines);
    return { ...config, archive: new CommitArchive(text.read, text.size).above };
  });
}

/**
 * loadPaxos: our Paxos, or the protocol around the core compiled into dir (a lab student's,
 * loaded by path: its core.js exports initPaxos and stepPaxos, as ours does).
 */
async function loadPaxos(dir: string | undefined): Promise<PaxosProtocol> {
  const { paxos, paxosOf } = await import('./protocol.js');
  if (dir === undefined) return paxos;
  const { pathToFileURL } = await import('node:url');
  const path = await import('node:path');
  const m = (await import(pathToFileURL(path.resolve(dir, 'core.js')).href)) as Partial<PaxosCore>;
  if (typeof m.initPaxos !== 'function' || typeof m.stepPaxos !== 'function')
    throw new Error(`--core ${dir}: core.js exports no initPaxos and stepPaxos functions`);
  return paxosOf({ initPaxos: m.initPaxos, stepPaxos: m.stepPaxos });
}

/** linesText: a log's lines as the file they make, read as it grows (one incarnation never sees a line change). */
function linesText(lines: LogLines): { read: (pos: number, len: number) => Buffer; size: () => number } {
  let text = '';
  let upTo = 0;
  const sync = (): void => {
    for (; upTo < lines.length; upTo++) text += `${lines.at(upTo)}\n`;
  };
  return {
    read: (pos, len) => {
      sync();
      return Buffer.from(text.slice(pos, pos + len), 'latin1');
    },
    size: () => {
      sync();
      return text.length;
    },
  };
}

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
