// validate: every chain message read off the wire is checked field by field before a step sees
// it (docs/protocols/chain.md "Bad input"): a malformed one throws, and the driver drops and
// counts it. Client frames use the shared client wire's parsers.
import { parseClientReply, parseClientRequest } from '../../runtime/client/wire.js';
import type { Config, ConfigNode, ConfigRange } from './config.js';
import type { ChainMsg, DedupEntry, RangeReport, StoredEntry, Update } from './messages.js';
import { POS_RE } from './ring.js';

/** BadChainMessage names what is wrong with one message. */
export class BadChainMessage extends Error {
  constructor(why: string) {
    super(`bad chain message: ${why}`);
    this.name = 'BadChainMessage';
  }
}

const MAX_TEXT = 4096;
/** MAX_LIST: no list in a message is longer (a transfer chunk, a config's ranges, a forward's updates). */
const MAX_LIST = 1 << 16;

type Obj = Record<string, unknown>;

function obj(x: unknown, what: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new BadChainMessage(`${what} is not an object`);
  return x as Obj;
}
function int(x: unknown, what: string, min = 0): number {
  if (!Number.isSafeInteger(x) || (x as number) < min) throw new BadChainMessage(`${what} must be an integer ≥ ${min}`);
  return x as number;
}
function str(x: unknown, what: string): string {
  if (typeof x !== 'string' || x.length > MAX_TEXT) throw new BadChainMessage(`${what} must be a string of at most ${MAX_TEXT} characters`);
  return x;
}
function pos(x: unknown, what: string): string {
  if (typeof x !== 'string' || !POS_RE.test(x)) throw new BadChainMessage(`${what} must be a ring position (16 hex digits)`);
  return x;
}
function bool(x: unknown, what: string): boolean {
  if (typeof x !== 'boolean') throw new BadChainMessage(`${what} must be true or false`);
  return x;
}
function list<T>(x: unknown, what: string, each: (y: unknown, what: string) => T): T[] {
  if (!Array.isArray(x) || x.length > MAX_LIST) throw new BadChainMessage(`${what} must be a list of at most ${MAX_LIST}`);
  return x.map((y, i) => each(y, `${what}[${i}]`));
}
function oneOf<T extends string>(x: unknown, what: string, values: readonly T[]): T {
  if (!values.includes(x as T)) throw new BadChainMessage(`${what} must be one of ${values.join(', ')}`);
  return x as T;
}

const RESULTS = ['created', 'updated', 'deleted', 'notFound'] as const;
const ROLES = ['head', 'middle', 'tail', 'joining', 'paused'] as const;

function update(x: unknown, what: string): Update {
  const o = obj(x, what);
  const op = oneOf(o.op, `${what}.op`, ['put', 'delete'] as const);
  const value = o.value === undefined ? undefined : str(o.value, `${what}.value`);
  if ((op === 'put') !== (value !== undefined)) throw new BadChainMessage(`${what}: a put carries a value, a delete none`);
  const u = { seq: int(o.seq, `${what}.seq`, 1), op, key: str(o.key, `${what}.key`), clientId: str(o.clientId, `${what}.clientId`) };
  const rest = { reqNo: int(o.reqNo, `${what}.reqNo`), result: oneOf(o.result, `${what}.result`, RESULTS) };
  return { ...u, ...(value !== undefined ? { value } : {}), ...rest };
}

function dedupEntry(x: unknown, what: string): DedupEntry {
  const o = obj(x, what);
  return {
    clientId: str(o.clientId, `${what}.clientId`),
    reqNo: int(o.reqNo, `${what}.reqNo`),
    seq: int(o.seq, `${what}.seq`, 1),
    result: oneOf(o.result, `${what}.result`, RESULTS),
    atMs: typeof o.atMs === 'number' && Number.isFinite(o.atMs) ? o.atMs : 0,
  };
}

function stored(x: unknown, what: string): StoredEntry {
  if (!Array.isArray(x) || x.length !== 3) throw new BadChainMessage(`${what} must be [key, value, seq]`);
  return [str(x[0], `${what} key`), str(x[1], `${what} value`), int(x[2], `${what} seq`, 1)];
}

function report(x: unknown, what: string): RangeReport {
  const o = obj(x, what);
  return {
    rangeId: str(o.rangeId, `${what}.rangeId`),
    role: oneOf(o.role, `${what}.role`, ROLES),
    lastApplied: int(o.lastApplied, `${what}.lastApplied`),
    lastAcked: int(o.lastAcked, `${what}.lastAcked`),
    sentLength: int(o.sentLength, `${what}.sentLength`),
    servable: bool(o.servable, `${what}.servable`),
    ...(o.retired !== undefined ? { retired: bool(o.retired, `${what}.retired`) } : {}),
  };
}

function configRange(x: unknown, what: string): ConfigRange {
  const o = obj(x, what);
  const r = {
    rangeId: str(o.rangeId, `${what}.rangeId`),
    lo: pos(o.lo, `${what}.lo`),
    hi: pos(o.hi, `${what}.hi`),
    chain: list(o.chain, `${what}.chain`, (y, w) => int(y, w, 1)),
  };
  if (new Set(r.chain).size !== r.chain.length) throw new BadChainMessage(`${what}.chain names a node twice`);
  return o.parents === undefined ? r : { ...r, parents: list(o.parents, `${what}.parents`, str) };
}

function config(x: unknown): Config {
  const o = obj(x, 'config');
  const node = (y: unknown, w: string): ConfigNode => {
    const n = obj(y, w);
    return { rank: int(n.rank, `${w}.rank`, 1), pos: pos(n.pos, `${w}.pos`) };
  };
  return {
    epoch: int(o.epoch, 'config.epoch', 1),
    k: int(o.k, 'config.k', 1),
    nodes: list(o.nodes, 'config.nodes', node),
    ranges: list(o.ranges, 'config.ranges', configRange),
  };
}

/** validateChainMsg reads one decoded message or throws BadChainMessage. */
export function validateChainMsg(x: unknown): ChainMsg {
  const o = obj(x, 'message');
  if (o.type === 'client-req') return parseClientRequest(x);
  if (o.type === 'client-reply') return parseClientReply(x);
  const t = typeof o.type === 'string' ? o.type : '';
  const chainPart = Object.hasOwn(CHAIN_PARTS, t) ? CHAIN_PARTS[t] : undefined;
  if (chainPart !== undefined) return chainPart(o, { epoch: int(o.epoch, 'epoch'), rangeId: str(o.rangeId, 'rangeId') });
  const other = Object.hasOwn(OTHER_PARTS, t) ? OTHER_PARTS[t] : undefined;
  if (other === undefined) throw new BadChainMessage(`unknown type ${JSON.stringify(o.type)}`);
  return other(o);
}

type Ranged = { readonly epoch: number; readonly rangeId: string };

/** CHAIN_PARTS: messages that name a range and an epoch. */
const CHAIN_PARTS: Readonly<Record<string, (o: Obj, h: Ranged) => ChainMsg>> = {
  forward: (o, h) => ({ type: 'forward', ...h, updates: list(o.updates, 'updates', update) }),
  ack: (o, h) => ({ type: 'ack', ...h, upTo: int(o.upTo, 'upTo') }),
  resend: (o, h) => ({ type: 'resend', ...h, from: int(o.from, 'from', 1) }),
  'transfer-pull': (o, h) => ({ type: 'transfer-pull', ...h, chunkNo: int(o.chunkNo, 'chunkNo') }),
  transfer: (o, h) => ({
    type: 'transfer',
    ...h,
    chunkNo: int(o.chunkNo, 'chunkNo'),
    snapshotSeq: int(o.snapshotSeq, 'snapshotSeq'),
    entries: list(o.entries, 'entries', stored),
    dedup: list(o.dedup, 'dedup', dedupEntry),
    last: bool(o.last, 'last'),
  }),
  handover: (o, h) => ({ type: 'handover', ...h, s1: int(o.s1, 's1') }),
  'version-query': (o, h) => ({ type: 'version-query', ...h, qid: int(o.qid, 'qid') }),
  'version-reply': (o, h) => ({ type: 'version-reply', ...h, qid: int(o.qid, 'qid'), upTo: o.upTo === null ? null : int(o.upTo, 'upTo') }),
  ready: (o, h) => ({ type: 'ready', ...h, s0: int(o.s0, 's0') }),
  retired: (_o, h) => ({ type: 'retired', ...h }),
  quiesced: (o, h) => ({ type: 'quiesced', ...h, lastApplied: int(o.lastApplied, 'lastApplied') }),
  'join-as-tail': (o, h) => ({ type: 'join-as-tail', ...h, from: int(o.from, 'from', 1) }),
  retire: (_o, h) => ({ type: 'retire', ...h }),
  pause: (_o, h) => ({ type: 'pause', ...h }),
  resume: (_o, h) => ({ type: 'resume', ...h }),
};

/** OTHER_PARTS: node ↔ master messages without a range. */
const OTHER_PARTS: Readonly<Record<string, (o: Obj) => ChainMsg>> = {
  join: (o) => ({ type: 'join', incarnation: int(o.incarnation, 'incarnation') }),
  heartbeat: (o) => ({
    type: 'heartbeat',
    incarnation: int(o.incarnation, 'incarnation'),
    hbNo: int(o.hbNo, 'hbNo'),
    epoch: int(o.epoch, 'epoch'),
    ranges: list(o.ranges, 'ranges', report),
  }),
  'get-config': () => ({ type: 'get-config' }),
  leave: () => ({ type: 'leave' }),
  'heartbeat-reply': (o) => ({
    type: 'heartbeat-reply',
    hbNo: int(o.hbNo, 'hbNo'),
    epoch: int(o.epoch, 'epoch'),
    incarnation: int(o.incarnation, 'incarnation'),
  }),
  removed: () => ({ type: 'removed' }),
  config: (o) => ({ type: 'config', config: config(o.config), incarnation: int(o.incarnation, 'incarnation') }),
  stop: () => ({ type: 'stop' }),
};
