// messages: Vectory's wire (docs/protocols/vectory.md §5, §6): one combined Alive per master, the
// per-shard Collect/Append exchanges, balance requests, and the shared client wire. Every message
// from a peer is validated here before step sees it (a bad one drops the connection).
import { parseClientReply, parseClientRequest, type ClientReply, type ClientRequest } from '../../runtime/client/wire.js';
import type { Ballot, Entry } from './types.js';

export type AliveShard = { readonly shard: number; readonly ballot: Ballot; readonly commitIndex: number; readonly lastIndex: number };

export type VMsg =
  | { readonly type: 'alive'; readonly seq: number; readonly load: number; readonly vclock: number; readonly shards: readonly AliveShard[] }
  | { readonly type: 'alive-ack'; readonly seq: number; readonly shards: readonly { readonly shard: number; readonly promised: Ballot }[] }
  | { readonly type: 'collect'; readonly shard: number; readonly ballot: Ballot; readonly fromIndex: number; readonly accepted?: Ballot }
  | CollectReply
  | AppendMsg
  | AppendReply
  | {
      readonly type: 'balance-req';
      readonly shard: number;
      readonly master: number;
      readonly masterBallot: Ballot;
      readonly requesterLoad: number;
    }
  | { readonly type: 'balance-ack'; readonly shard: number; readonly token: boolean }
  /** load-probe: a CPU reading the node's own driver hands it (probe.ts); never valid from the network. */
  | { readonly type: 'load-probe'; readonly cpu: number }
  | ClientRequest
  | ClientReply;

/** CollectReply answers a Collect (no `accepted` asked) or a CollectMore (the `accepted` its first page showed, E2). */
export type CollectReply = {
  readonly type: 'collect-reply';
  readonly shard: number;
  readonly ballot: Ballot;
  readonly granted: boolean;
  readonly promised: Ballot;
  readonly accepted: Ballot;
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly entries: readonly Entry[];
  readonly more: boolean;
};

/** AppendMsg: a Sync batch (sync, based at prevIndex, `last` installs it) or an incremental Append (P1, P2). */
export type AppendMsg = {
  readonly type: 'append';
  readonly shard: number;
  readonly ballot: Ballot;
  readonly sync: boolean;
  readonly last: boolean;
  readonly prevIndex: number;
  readonly entries: readonly Entry[];
  readonly commitIndex: number;
  readonly vclock: number;
};

/** AppendReply: `staged` is how many Sync entries the follower holds staged above prevIndex. */
export type AppendReply = {
  readonly type: 'append-reply';
  readonly shard: number;
  readonly ballot: Ballot;
  readonly ok: boolean;
  readonly promised: Ballot;
  readonly accepted: Ballot;
  readonly lastIndex: number;
  readonly commitIndex: number;
  readonly staged: number;
};

class BadMessage extends Error {}

const nat = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;

function obj(x: unknown): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new BadMessage('vectory: not an object');
  return x as Record<string, unknown>;
}

function need(ok: boolean, what: string): void {
  if (!ok) throw new BadMessage(`vectory: bad ${what}`);
}

function ballotOk(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const b = x as Record<string, unknown>;
  return nat(b.epoch) && nat(b.rank) && nat(b.nodeId);
}

function entryOk(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  const kindOk = e.kind === 'noop' || e.kind === 'tick' || (e.kind === 'write' && typeof e.cmd === 'object' && e.cmd !== null);
  return nat(e.index) && (e.index as number) >= 1 && ballotOk(e.ballot) && nat(e.version) && kindOk;
}

const FIELDS: Readonly<Record<string, readonly [string, (x: unknown) => boolean][]>> = {
  alive: [
    ['seq', nat],
    ['load', nat],
    ['vclock', nat],
    ['shards', Array.isArray],
  ],
  'alive-ack': [
    ['seq', nat],
    ['shards', Array.isArray],
  ],
  collect: [
    ['shard', nat],
    ['ballot', ballotOk],
    ['fromIndex', nat],
  ],
  'collect-reply': [
    ['shard', nat],
    ['ballot', ballotOk],
    ['promised', ballotOk],
    ['accepted', ballotOk],
    ['commitIndex', nat],
    ['lastIndex', nat],
    ['entries', (x) => Array.isArray(x) && x.every(entryOk)],
  ],
  append: [
    ['shard', nat],
    ['ballot', ballotOk],
    ['prevIndex', nat],
    ['commitIndex', nat],
    ['vclock', nat],
    ['entries', (x) => Array.isArray(x) && x.every(entryOk)],
  ],
  'append-reply': [
    ['shard', nat],
    ['ballot', ballotOk],
    ['promised', ballotOk],
    ['accepted', ballotOk],
    ['lastIndex', nat],
    ['commitIndex', nat],
    ['staged', nat],
  ],
  'balance-req': [
    ['shard', nat],
    ['master', nat],
    ['masterBallot', ballotOk],
    ['requesterLoad', nat],
  ],
  'balance-ack': [['shard', nat]],
};

/** validateVMsg reads one decoded wire message or throws. */
export function validateVMsg(x: unknown): VMsg {
  const o = obj(x);
  if (o.type === 'client-req') return parseClientRequest(o);
  if (o.type === 'client-reply') return parseClientReply(o);
  const fields = typeof o.type === 'string' ? FIELDS[o.type] : undefined;
  need(fields !== undefined, 'type');
  for (const [k, ok] of fields ?? []) need(ok(o[k]), `${String(o.type)}.${k}`);
  if (o.type === 'alive')
    need(
      (o.shards as unknown[]).every(
        (s) => ballotOk((s as AliveShard).ballot) && nat((s as AliveShard).shard) && nat((s as AliveShard).commitIndex),
      ),
      'alive.shards',
    );
  if (o.type === 'alive-ack')
    need(
      (o.shards as unknown[]).every((s) => nat((s as { shard: unknown }).shard) && ballotOk((s as { promised: unknown }).promised)),
      'alive-ack.shards',
    );
  return o as unknown as VMsg;
}
