// toy_kv: a small sharded key-value store for the simulator's client tests (clients.test.ts).
// Each key lives on one rank (its owner: a hash of the key); the owner answers at once from
// memory and reports what a put or delete did (created/updated, deleted/notFound); any other
// rank redirects with a not-leader hint naming the owner — the shape of a store whose keys live
// on different ranks, which per-key routing serves. Nothing survives a kill.
import { isClientAddress } from '../client/gateway.js';
import type { ClientReply, ClientRequest } from '../client/wire.js';
import type { Envelope, Protocol, ProtocolOutput } from '../protocol.js';

export type ToyKvMsg = ClientRequest | ClientReply;

export interface ToyKvState {
  readonly self: number;
  readonly ranks: number;
  readonly stopAtMs: number;
  readonly data: Map<string, string>;
  served: number;
}

/** ownerOf: the rank a key lives on. */
export function ownerOf(key: string, ranks: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % ranks;
}

function serve(s: ToyKvState, req: ClientRequest): ClientReply {
  const head = { type: 'client-reply' as const, client: req.client, reqNo: req.reqNo };
  const owner = ownerOf(req.key, s.ranks);
  if (owner !== s.self) return { ...head, status: 'not-leader', hint: owner };
  s.served++;
  const had = s.data.has(req.key);
  switch (req.op) {
    case 'get':
      return { ...head, status: 'ok', result: s.data.get(req.key) ?? null };
    case 'put':
      s.data.set(req.key, req.value ?? '');
      return { ...head, status: 'ok', result: had ? 'updated' : 'created' };
    case 'append':
      s.data.set(req.key, (s.data.get(req.key) ?? '') + (req.value ?? ''));
      return { ...head, status: 'ok', result: null };
    case 'delete':
      s.data.delete(req.key);
      return { ...head, status: 'ok', result: had ? 'deleted' : 'notFound' };
  }
}

function out(s: ToyKvState, send: Envelope<ToyKvMsg>[], nowMs: number): ProtocolOutput<ToyKvMsg, never, never> {
  return { send, persist: [], log: [], trace: [], wakeAtMs: nowMs + 100, stop: nowMs >= s.stopAtMs };
}

/** toyKv: no WAL and no instance log; a duplicate request runs again (the toy keeps no sessions). */
export const toyKv: Protocol<null, ToyKvState, ToyKvMsg, never, never, undefined, undefined> = {
  name: 'toy-kv',
  init: (o) => ({ self: o.self, ranks: o.ranks, stopAtMs: o.loadUntilMs + 200, data: new Map(), served: 0 }),
  step: (s, input, nowMs) => {
    if (input.type !== 'message' || input.msg.type !== 'client-req' || !isClientAddress(input.from))
      return { state: s, out: out(s, [], nowMs) };
    return { state: s, out: out(s, [{ to: input.from, msg: serve(s, input.msg) }], nowMs) };
  },
  validate: () => {
    throw new Error('the toy store has no peer messages');
  },
  formatLog: () => '',
  recoverLog: () => undefined,
  storage: { open: () => Promise.reject(new Error('the toy store runs only in the simulator')) },
  pollMs: () => 100,
  role: () => 'owner',
  round: () => 0,
  summary: (s) => ({ commits: 0, generates: 0, served: s.served }),
  clients: { toMsg: (req) => req, asReply: (m) => (m.type === 'client-reply' ? m : null) },
};
