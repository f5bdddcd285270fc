// vector_standin: a minimal private stand-in for processors/vectory/vector.ts (the vector layer,
// built beside this on another branch), with exactly its interface, so the shard agreement runs
// before that layer lands. Replaced by the real module on rebase; nothing else imports it.
import type { Cmd, Entry, Vts } from './types.js';
import { compareVts, ZERO_VTS } from './types.js';

export type AppliedEntry = {
  readonly shard: number;
  readonly index: number;
  readonly vts: Vts;
  readonly outcome: 'applied' | 'skipped' | 'noop' | 'tick';
  readonly cmd?: Cmd;
  readonly clientId?: string;
  readonly reqNo?: number;
};

export type VectorState = {
  vclock: number;
  readonly pending: Entry[][];
  readonly frontier: number[];
  readonly applied: number[];
  readonly lastReqNo: Map<string, number>;
  readonly store: Map<string, string>;
  global: Vts;
};

export function newVector(shards: number): VectorState {
  const z = (): number[] => Array.from({ length: shards }, () => 0);
  return {
    vclock: 0,
    pending: Array.from({ length: shards }, () => []),
    frontier: z(),
    applied: z(),
    lastReqNo: new Map(),
    store: new Map(),
    global: ZERO_VTS,
  };
}

export function observeVersion(v: VectorState, version: number): void {
  v.vclock = Math.max(v.vclock, version);
}

export function stampVersion(v: VectorState, _shard: number, lastVersion: number, after?: Vts): number {
  v.vclock = Math.max(v.vclock, lastVersion, after?.version ?? 0) + 1;
  return v.vclock;
}

export function noteCommitted(v: VectorState, shard: number, entries: readonly Entry[]): void {
  for (const e of entries) {
    v.pending[shard]?.push(e);
    v.frontier[shard] = e.version;
    observeVersion(v, e.version);
  }
}

export function tickDue(v: VectorState, _shard: number, lastVersion: number, hadEntrySinceLastTick: boolean): boolean {
  return !hadEntrySinceLastTick && v.vclock > lastVersion;
}

/** applyReady: V6 — the smallest next vts, once every shard's frontier has passed its version. */
export function applyReady(v: VectorState): AppliedEntry[] {
  const out: AppliedEntry[] = [];
  for (;;) {
    let best: { shard: number; e: Entry } | undefined;
    v.pending.forEach((q, shard) => {
      const e = q[0];
      if (
        e !== undefined &&
        (best === undefined || compareVts({ version: e.version, shard }, { version: best.e.version, shard: best.shard }) < 0)
      )
        best = { shard, e };
    });
    if (best === undefined || v.frontier.some((f) => f < (best?.e.version ?? 0))) return out;
    v.pending[best.shard]?.shift();
    out.push(applyOne(v, best.shard, best.e));
  }
}

function applyOne(v: VectorState, shard: number, e: Entry): AppliedEntry {
  const vts = { version: e.version, shard };
  v.applied[shard] = e.index;
  v.global = vts;
  const base = { shard, index: e.index, vts };
  if (e.kind !== 'write' || e.cmd === undefined) return { ...base, outcome: e.kind === 'tick' ? 'tick' : 'noop' };
  const ids = {
    cmd: e.cmd,
    ...(e.clientId !== undefined ? { clientId: e.clientId } : {}),
    ...(e.reqNo !== undefined ? { reqNo: e.reqNo } : {}),
  };
  if (e.clientId !== undefined && e.reqNo !== undefined) {
    if (e.reqNo <= (v.lastReqNo.get(e.clientId) ?? -1)) return { ...base, ...ids, outcome: 'skipped' };
    v.lastReqNo.set(e.clientId, e.reqNo);
  }
  if (e.cmd.op === 'put') v.store.set(e.cmd.key, e.cmd.value);
  else v.store.delete(e.cmd.key);
  return { ...base, ...ids, outcome: 'applied' };
}

export function readLocal(v: VectorState, key: string, after: Vts | undefined): { value: string | null; at: Vts } | 'wait' {
  if (after !== undefined && compareVts(v.global, after) < 0) return 'wait';
  return { value: v.store.get(key) ?? null, at: v.global };
}

export function appliedIndex(v: VectorState, shard: number): number {
  return v.applied[shard] ?? 0;
}

export function globalApplied(v: VectorState): Vts {
  return v.global;
}
