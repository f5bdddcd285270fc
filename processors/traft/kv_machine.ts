// kv_machine: the clients' key-value store on TRaft (docs/protocols/traft.md §3.3, §9.4): get, put,
// append, delete on string values, with client sessions. A command from a client carries
// (client, reqNo); the machine keeps each client's last reqNo and its result, in the snapshot
// too, so a retry the log holds twice (the old leader's copy and the new leader's) runs once
// and answers from that record. Every command of a key interferes with every other of that key,
// and every command of a client with every other of that client (the session record is one
// more key): replicas then apply a client's commands in one order, so their tables agree.
import type { Access, Json, MachineKind, SmCommand, StateMachine } from './state_machine.js';

/** KvOp is the operations of docs/history.md's kv model. */
export type KvOp = 'get' | 'put' | 'append' | 'delete';

/** Session is one client's last applied request and what it returned. */
type Session = { reqNo: number; result: Json };

/** KvMachine: key → string, plus one session per client. */
export class KvMachine implements StateMachine {
  constructor(
    readonly data: Map<string, string> = new Map(),
    readonly sessions: Map<string, Session> = new Map(),
  ) {}

  apply(cmd: SmCommand): Json {
    const client = cmd.client;
    const reqNo = cmd.reqNo;
    if (typeof client === 'string' && typeof reqNo === 'number') {
      const last = this.sessions.get(client);
      // A duplicate answers from the session; an older one (its client moved on) changes nothing.
      if (last !== undefined && reqNo <= last.reqNo) return reqNo === last.reqNo ? last.result : null;
      const result = this.run(cmd);
      this.sessions.set(client, { reqNo, result });
      return result;
    }
    return this.run(cmd);
  }

  private run(cmd: SmCommand): Json {
    const key = cmd.key;
    if (typeof key !== 'string') return null;
    const value = typeof cmd.value === 'string' ? cmd.value : '';
    switch (typeof cmd.op === 'string' ? cmd.op : '') {
      case 'put':
        this.data.set(key, value);
        return null;
      case 'append':
        this.data.set(key, (this.data.get(key) ?? '') + value);
        return null;
      case 'delete':
        this.data.delete(key);
        return null;
      case 'get':
        return this.data.get(key) ?? null;
      default:
        return null;
    }
  }

  query(q: SmCommand): Json {
    return typeof q.key === 'string' ? (this.data.get(q.key) ?? null) : null;
  }

  image(): Json {
    return { data: [...this.data], sessions: [...this.sessions].map(([c, s]) => [c, s.reqNo, s.result]) };
  }

  describe(): string {
    const d = [...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
    const c = [...this.sessions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, s]) => `${k}#${s.reqNo}`);
    return [...d, ...c].join(' ');
  }
}

const OPS: ReadonlySet<unknown> = new Set(['get', 'put', 'append', 'delete']);

function checkCommand(x: unknown): string | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'cmd must be an object';
  const o = x as Record<string, unknown>;
  if (!OPS.has(o.op)) return 'cmd.op must be get, put, append or delete';
  if (typeof o.key !== 'string') return 'cmd.key must be a string';
  if (o.value !== undefined && typeof o.value !== 'string') return 'cmd.value must be a string';
  if ((o.client === undefined) !== (o.reqNo === undefined)) return 'cmd.client and cmd.reqNo come together';
  if (o.client !== undefined && typeof o.client !== 'string') return 'cmd.client must be a string';
  if (o.reqNo !== undefined && !(Number.isSafeInteger(o.reqNo) && (o.reqNo as number) >= 0)) return 'cmd.reqNo must be an integer ≥ 0';
  return null;
}

function isPairs(x: unknown, ok: (p: unknown[]) => boolean): boolean {
  return Array.isArray(x) && x.every((p) => Array.isArray(p) && ok(p));
}

function checkImage(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return 'a kv image is {data, sessions}';
  const o = x as { data?: unknown; sessions?: unknown };
  if (!isPairs(o.data, (p) => p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string'))
    return 'image.data entries are [key, string]';
  if (!isPairs(o.sessions, (p) => p.length === 3 && typeof p[0] === 'string' && Number.isSafeInteger(p[1])))
    return 'image.sessions entries are [client, reqNo, result]';
  return null;
}

function restore(image: Json): KvMachine | null {
  if (checkImage(image) !== null) return null;
  const o = image as { data: [string, string][]; sessions: [string, number, Json][] };
  return new KvMachine(new Map(o.data), new Map(o.sessions.map(([c, reqNo, result]) => [c, { reqNo, result }])));
}

/** kvMachine: every command writes its key and its client's session (no subsumption: clients await every result). */
export const kvMachine: MachineKind = {
  name: 'kv',
  create: () => new KvMachine(),
  restore,
  access: (cmd): readonly Access[] => {
    const keys: Access[] = [{ key: `k:${JSON.stringify(cmd.key ?? null)}`, mode: 'write' }];
    if (typeof cmd.client === 'string') keys.push({ key: `c:${cmd.client}`, mode: 'write' });
    return keys;
  },
  checkCommand,
  checkImage,
};
