// lab_machine: the lab's state machine (docs/protocols/traft.md §2.2, §3.3): key → integer,
// `set k=v` (overwrites: subsumes earlier sets and incrs of k, R5) and `incr k` (commutes with
// other incrs of k). Its snapshot image is the `[key, value]` pairs the WAL and InstallSnapshot
// have always carried, so runs and their files look as they did before the interface existed.
import type { Access, Json, MachineKind, SmCommand, StateMachine } from './state_machine.js';

/** LabMachine holds the lab's key → integer state. */
export class LabMachine implements StateMachine {
  constructor(readonly kv: Map<string, number> = new Map()) {}

  apply(cmd: SmCommand): Json {
    const key = cmd.key;
    if (typeof key !== 'string') return null; // never admitted by checkCommand; a no-op everywhere alike
    if (cmd.op === 'set' && typeof cmd.value === 'number') this.kv.set(key, cmd.value);
    else if (cmd.op === 'incr') this.kv.set(key, (this.kv.get(key) ?? 0) + 1);
    return null;
  }

  query(q: SmCommand): Json {
    return typeof q.key === 'string' ? (this.kv.get(q.key) ?? null) : null;
  }

  image(): Json {
    return [...this.kv];
  }

  describe(): string {
    return formatKv(this.kv);
  }
}

/** formatKv renders the state sorted by key. */
export function formatKv(kv: ReadonlyMap<string, number>): string {
  return [...kv.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function checkImage(x: unknown): string | null {
  const ok =
    Array.isArray(x) &&
    x.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'number' && Number.isFinite(p[1]));
  return ok ? null : 'snapshot.kv entries are [key, number]';
}

function checkCommand(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'cmd must be an object';
  const o = x as Record<string, unknown>;
  if (typeof o.key !== 'string') return 'cmd.key must be a string';
  if (o.op === 'incr') return ownKeyCount(o) === 2 ? null : 'an incr has only op and key';
  if (o.op !== 'set') return 'cmd.op must be set or incr';
  if (typeof o.value !== 'number' || !Number.isFinite(o.value)) return 'cmd.value must be a number';
  return ownKeyCount(o) === 3 ? null : 'a set has only op, key and value';
}

/** ownKeyCount is Object.keys(o).length without the array: a follower checks every received record's command. */
function ownKeyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

/** labMachine: set overwrites its key, incr commutes with incrs (R3, R5). */
export const labMachine: MachineKind = {
  name: 'lab',
  create: () => new LabMachine(),
  restore: (image) => (checkImage(image) === null ? new LabMachine(new Map(image as [string, number][])) : null),
  access: (cmd): readonly Access[] => [
    { key: typeof cmd.key === 'string' ? cmd.key : JSON.stringify(cmd.key ?? null), mode: cmd.op === 'set' ? 'overwrite' : 'commute' },
  ],
  checkCommand,
  checkImage,
};
