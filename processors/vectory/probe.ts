// probe: the `cpu` load metric (B-3). The core never reads the machine: a CPU reading arrives as
// a `load-probe` message from the node itself — on a real process from its driver's sampler
// (cpu_hooks.ts), in the simulator from a seeded, noisy model of the work a node does. One
// reading is noise (a collection, a burst of sends), so the node keeps an exponentially weighted
// average and advertises that: a gap of θ must last for many readings before it moves a shard,
// and the requester's cooldown (L2) still spaces its moves.
import type { Protocol, ProtocolInput, ProtocolOutput } from '../../runtime/protocol.js';
import type { Random } from '../../runtime/random.js';
import type { VLogEvent } from './log.js';
import type { VMsg } from './messages.js';
import { mastered, type NodeState, type WalBatch } from './state.js';

/** CPU_PROBE_MS: how often a node is handed a CPU reading. */
export const CPU_PROBE_MS = 100;

/** onLoadProbe folds one reading (percent of one core) into the node's average. */
export function onLoadProbe(n: NodeState, cpu: number): void {
  if (!Number.isFinite(cpu) || cpu < 0) return;
  // until 1/α readings are in, a plain mean: the first reading must not weigh like all the rest
  n.cpuReadings++;
  const weight = Math.max(n.cfg.cpuSmoothing, 1 / n.cpuReadings);
  n.cpu = n.cpu === undefined ? cpu : n.cpu + weight * (cpu - n.cpu);
}

/**
 * SimCpu: the simulator's model of a node's CPU share — a floor, a cost per mastered shard
 * (Alive, Appends, ticks), capped at one core, plus uniform noise of ± noise per reading.
 */
export type SimCpu = { readonly floor: number; readonly perShard: number; readonly noise: number };

export const SIM_CPU: SimCpu = { floor: 10, perShard: 6, noise: 20 };

/** simulatedCpu: one noisy reading of node n, drawn from the rank's seeded random. */
export function simulatedCpu(n: NodeState, model: SimCpu, random: Random): number {
  const share = Math.min(100, model.floor + model.perShard * mastered(n));
  return Math.max(0, share + model.noise * (2 * random.next() - 1));
}

type VProtocol<C, D, R> = Protocol<C, NodeState, VMsg, WalBatch, VLogEvent, D, R>;
type Out = ProtocolOutput<VMsg, WalBatch, VLogEvent>;

/**
 * withSimulatedCpu: p, with a reading handed to each node every CPU_PROBE_MS of virtual time,
 * as a step of its own right after the step that found it due (what a real driver's timer does).
 */
export function withSimulatedCpu<C, D, R>(p: VProtocol<C, D, R>, model: SimCpu = SIM_CPU): VProtocol<C, D, R> {
  const due = new WeakMap<NodeState, number>();
  return {
    ...p,
    step: (s, input: ProtocolInput<VMsg>, nowMs, random) => {
      const first = p.step(s, input, nowMs, random).out;
      if (nowMs < (due.get(s) ?? 0)) return { state: s, out: first };
      due.set(s, nowMs + CPU_PROBE_MS);
      const probe = { type: 'load-probe' as const, cpu: simulatedCpu(s, model, random) };
      const second = p.step(s, { type: 'message', from: s.self, msg: probe }, nowMs, random).out;
      return { state: s, out: merge(first, second, nowMs + CPU_PROBE_MS) };
    },
  };
}

function merge(a: Out, b: Out, probeAt: number): Out {
  return {
    send: [...a.send, ...b.send],
    persist: [...a.persist, ...b.persist],
    log: [...a.log, ...b.log],
    trace: [...a.trace, ...b.trace],
    wakeAtMs: Math.min(b.wakeAtMs, probeAt),
    ...(a.stop === true || b.stop === true ? { stop: true } : {}),
  };
}
