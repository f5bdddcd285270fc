// warmup: a rank process runs its protocol's hot paths on a throwaway in-memory cluster before
// it reports ready, so V8 has compiled them (bytecode, then optimised code from real type
// feedback) by the run's shared start: otherwise every rank of a fresh cluster interprets and
// compiles the same code at once, on cores they share, while the run's clock already counts
// (docs/benchmarks.md, "TRaft start-up, session 17"). Nothing here touches the disk, the
// network or the run's clock: the cluster lives on a virtual clock, its messages take the
// wire's path (encode, msgpack, validate) to the other ranks' steps, and every WAL batch is
// handed to the protocol's encoder if it gives one (`persisted`), then reported durable at
// once. Its states are dropped at the end; only the compiled code and its feedback remain.
import { msgpackCodec } from '../net/codec.js';
import type { Envelope, Protocol, ProtocolInput, ProtocolOutput } from '../protocol.js';
import { rankRandom, type Random } from '../random.js';
import { LogText } from './logtext.js';
import { writeStepLines } from './rank.js';

/** WarmUpOptions: the cluster to simulate and when to stop. */
export interface WarmUpOptions<C, P = unknown> {
  readonly config: C;
  /** ranks: the throwaway cluster's size (three make a quorum of two with one follower spare). */
  readonly ranks: number;
  /** budgetMs: the most of this process's own CPU time (user + system) the warm-up may take. */
  readonly budgetMs: number;
  /** cpuMs: this process's CPU time so far (injected: tests stop on steps instead). */
  readonly cpuMs: () => number;
  /** maxSteps: a bound on stepped inputs, whatever the budget. */
  readonly maxSteps?: number;
  /**
   * persisted, if given, receives each step's WAL batches before they are reported durable: a
   * protocol encodes them as its store would (frames, checkpoints) and drops the bytes, so the
   * store's encoding is compiled too, though nothing reaches a disk.
   */
  readonly persisted?: (batches: readonly P[]) => void;
}

/** WarmUpReport: what the warm-up ran, for the rank's debug line. */
export interface WarmUpReport {
  readonly steps: number;
  readonly messages: number;
  readonly logLines: number;
  readonly virtualMs: number;
}

/** TICK_MS: virtual time per round; the protocol's own deadlines (elections, heartbeats) fire on it. */
const TICK_MS = 5;

/** Member: one rank of the throwaway cluster, with its inputs waiting and its WAL's last batch. */
type Member<S, M> = { s: S; inbox: ProtocolInput<M>[]; wakeAtMs: number; random: Random; lastBatch: number | undefined };

/**
 * warmUp steps a throwaway cluster of `protocol` until the budget of CPU time is spent. Messages
 * travel encoded (protocol.encode, msgpack, validate) as they do over TCP; log lines are
 * written into a buffer and dropped. Each round every rank steps what arrived, a `persisted`
 * report for its WAL batches and, at its deadline, a tick, then its turn.
 */
export function warmUp<C, S, M, P extends { readonly batchId: number }, L, D, R>(
  protocol: Protocol<C, S, M, P, L, D, R>,
  o: WarmUpOptions<C, P>,
): WarmUpReport {
  const codec = msgpackCodec<M>();
  const text = new LogText();
  let nowMs = 0;
  const members: Member<S, M>[] = Array.from({ length: o.ranks }, (_, self) => {
    const root = rankRandom('warm-up', self, 0);
    const random = root.fork('core');
    const s = protocol.init({
      self,
      ranks: o.ranks,
      clusterId: 'warm-up',
      config: o.config,
      startAtMs: 0,
      loadUntilMs: Number.MAX_SAFE_INTEGER,
      nowMs,
      random,
      rankRandom: root,
    });
    return { s, inbox: [], wakeAtMs: 0, random, lastBatch: undefined };
  });
  const report = { steps: 0, messages: 0, logLines: 0, virtualMs: 0 };
  const stopAtMs = o.cpuMs() + o.budgetMs;
  const maxSteps = o.maxSteps ?? Infinity;
  const deliver = (from: number, sends: readonly Envelope<M>[]): void => {
    for (const e of sends) {
      const to = members[e.to];
      if (to === undefined || e.to === from) continue; // a client address or ourselves: no such link here
      const wire = protocol.encode?.(e.msg) ?? e.msg;
      for (const x of codec.decode(codec.encode([wire]))) to.inbox.push({ type: 'message', from, msg: protocol.validate(x) });
      report.messages++;
    }
  };
  const run = (self: number, m: Member<S, M>, input: ProtocolInput<M>): void => {
    const { state, out } = protocol.step(m.s, input, nowMs, m.random);
    m.s = state;
    report.steps++;
    absorb(self, m, out);
  };
  const absorb = (self: number, m: Member<S, M>, out: ProtocolOutput<M, P, L>): void => {
    m.wakeAtMs = out.wakeAtMs;
    m.lastBatch = out.persist[out.persist.length - 1]?.batchId ?? m.lastBatch;
    if (out.persist.length > 0) o.persisted?.(out.persist);
    if (out.log.length > 0) {
      writeStepLines(protocol, out.log, nowMs * 1000, text);
      report.logLines += out.log.length;
      text.take();
    }
    deliver(self, out.send);
  };
  while (report.steps < maxSteps) {
    if (o.cpuMs() >= stopAtMs) break; // a round steps up to a turn of proposals per rank: a few ms
    nowMs += TICK_MS;
    members.forEach((m, self) => {
      const inputs = m.inbox;
      m.inbox = [];
      for (const input of inputs) run(self, m, input);
      if (m.lastBatch !== undefined) {
        const batchId = m.lastBatch;
        m.lastBatch = undefined;
        run(self, m, { type: 'persisted', batchId });
      }
      if (nowMs >= m.wakeAtMs) run(self, m, { type: 'tick' });
      run(self, m, { type: 'turn' });
    });
  }
  return { ...report, virtualMs: nowMs };
}
