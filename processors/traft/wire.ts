// wire: validation of decoded network input for TRaft. A frame that decodes but is not a
// well-formed Message is rejected here (the transport closes that connection), so the core
// can trust every field it reads. Bounds keep one message from exhausting memory.
import { decodeWords, deltaProblem, lazyBitmap, lazyDeltaBitmap, rememberDelta, rememberPacked, unpackRecord } from './bitmap_codec.js';
import { labMachine } from './lab_machine.js';
import type { LeaderId } from './leader_id.js';
import type { ElectReplyPart, ElectReplyReason, ForwardKind, ForwardReply, Message, SnapshotShipment } from './messages.js';
import { CompactRecord, decodedOv, type LogRecord } from './record.js';
import type { DeltaDeps } from './record_bytes.js';
import { isCommandShape, isJson, type MachineKind, type SmCommand } from './state_machine.js';
import { firstMissing, type TailBitmap } from './tail_bitmap.js';

class BadTraftMessage extends Error {
  constructor(why: string) {
    super(`bad traft message: ${why}`);
    this.name = 'BadTraftMessage';
  }
}

const MAX_ITEMS = 1_000_000;
type Obj = Record<string, unknown>;

function obj(x: unknown, what: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new BadTraftMessage(`${what} must be an object`);
  return x as Obj;
}

function nat(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new BadTraftMessage(`${what} must be an integer ≥ 0`);
  return x;
}

function arr(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x) || x.length > MAX_ITEMS) throw new BadTraftMessage(`${what} must be an array of at most ${MAX_ITEMS}`);
  return x;
}

function str(x: unknown, what: string, max = 256): string {
  if (typeof x !== 'string' || x.length > max) throw new BadTraftMessage(`${what} must be a string of at most ${max}`);
  return x;
}

function bool(x: unknown, what: string): boolean {
  if (typeof x !== 'boolean') throw new BadTraftMessage(`${what} must be a boolean`);
  return x;
}

function leaderId(x: unknown, what: string): LeaderId {
  const o = obj(x, what);
  return { term: nat(o.term, `${what}.term`), id: nat(o.id, `${what}.id`) };
}

/** sameLeaderId: `known` (already checked) when x is an object with its very term and id, else undefined. */
function sameLeaderId(x: unknown, known: LeaderId | undefined): LeaderId | undefined {
  if (known === undefined || typeof x !== 'object' || x === null) return undefined;
  const o = x as Obj;
  return o.term === known.term && o.id === known.id ? known : undefined;
}

function maybeLeaderId(x: unknown, what: string): LeaderId | null {
  return x === null || x === undefined ? null : leaderId(x, what);
}

/** bitmap reads a TailBitmap; `lazy`: a binary one decodes its words on first read (bitmap_codec.ts lazyBitmap, for record deps). */
function bitmap(x: unknown, what: string, lazy = false): TailBitmap {
  const o = obj(x, what);
  if (o.bin !== undefined) {
    // the compact form (bitmap_codec.ts): little-endian u32 words in one binary field
    if (!(o.bin instanceof Uint8Array) || o.bin.length > MAX_ITEMS * 4) throw new BadTraftMessage(`${what}.bin must be binary`);
    if (o.bin.length % 4 !== 0) throw new BadTraftMessage(`${what}.bin must hold whole 32-bit words`);
    const offset = nat(o.offset, `${what}.offset`);
    return lazy ? lazyBitmap(offset, o.bin) : { offset, words: decodeWords(o.bin) ?? [] };
  }
  const words = arr(o.words, `${what}.words`).map((w, i) => {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < -(2 ** 31) || w >= 2 ** 32)
      throw new BadTraftMessage(`${what}.words[${i}] must be a 32-bit word`);
    return w;
  });
  return { offset: nat(o.offset, `${what}.offset`), words };
}

/** command: a JSON object the state machine accepts (state_machine.ts checkCommand). */
function command(x: unknown, kind: MachineKind): SmCommand {
  obj(x, 'cmd');
  const problem = kind.checkCommand(x);
  if (problem !== null) throw new BadTraftMessage(problem);
  if (!isCommandShape(x)) throw new BadTraftMessage('cmd must be plain JSON');
  return x;
}

/**
 * records reads a message's records in order: each its own bytes (bitmap_codec.ts packedRecord
 * or a delta against an earlier record of the message, RecordContainer) or, from older senders
 * and tests, the plain object. The bytes are kept as a view into the received frame and reused
 * when the record is logged to the WAL: copying them out was ~6% of a follower's CPU, and a
 * frame is mostly its records, which live about as long as each other.
 */
function records(x: unknown, machine: MachineKind): LogRecord[] {
  const list = arr(x, 'records');
  const bySeq = new Map<number, LogRecord>();
  const out = new Array<LogRecord>(list.length);
  let prev: LogRecord | undefined;
  for (let i = 0; i < list.length; i++) {
    const rec = record(list[i], machine, bySeq, prev?.author);
    bySeq.set(rec.seq, rec);
    out[i] = rec;
    prev = rec;
  }
  return out;
}

function record(x: unknown, machine: MachineKind, bySeq: ReadonlyMap<number, LogRecord>, prevAuthor?: LeaderId): LogRecord {
  if (!(x instanceof Uint8Array)) return recordFields(x, machine, undefined, prevAuthor);
  let raw: unknown;
  try {
    raw = unpackRecord(x);
  } catch {
    throw new BadTraftMessage('record bytes must be a record (record_bytes.ts, or msgpack)');
  }
  const deps = (raw as { deps?: Partial<DeltaDeps> }).deps;
  if (typeof deps?.base !== 'number') {
    const rec = recordFields(raw, machine, undefined, prevAuthor);
    rememberPacked(rec, x);
    return rec;
  }
  const base = bySeq.get(deps.base);
  if (base === undefined) throw new BadTraftMessage(`record deps' base ${deps.base} is not an earlier record of the message`);
  const offset = nat(deps.offset, 'record.deps.offset');
  const n = nat(deps.n, 'record.deps.n');
  if (n > MAX_ITEMS) throw new BadTraftMessage(`record.deps must have at most ${MAX_ITEMS} words`);
  const problem = deltaProblem(offset, n, base.deps, deps.extras);
  if (problem !== null) throw new BadTraftMessage(`record.deps (a delta against ${deps.base}) ${problem}`);
  const rec = recordFields(raw, machine, lazyDeltaBitmap(offset, n, base.deps, deps.extras as number[]), prevAuthor);
  rememberDelta(rec, base, x);
  return rec;
}

/**
 * recordFields checks a record's fields; `resolved`: its deps from a delta (record), else read
 * from o.deps; `prevAuthor`: the message's previous record's author, shared when equal (an
 * append's records mostly have one author, and every record is kept until the next snapshot:
 * one object fewer per record for the collector to copy and mark).
 */
function recordFields(x: unknown, machine: MachineKind, resolved?: TailBitmap, prevAuthor?: LeaderId): LogRecord {
  const o = obj(x, 'record');
  const kind = o.kind;
  if (kind !== 'cmd' && kind !== 'noop') throw new BadTraftMessage('record.kind must be cmd or noop');
  const seq = nat(o.seq, 'record.seq');
  const deps = resolved ?? bitmap(o.deps, 'record.deps', true);
  const author = sameLeaderId(o.author, prevAuthor) ?? leaderId(o.author, 'record.author');
  const logKey = str(o.logKey, 'record.logKey');
  const cmd = kind === 'cmd' ? command(o.cmd, machine) : undefined;
  // ovFrom: overrides = deps ∩ [ovFrom, seq) ∪ {seq} (bitmap_codec.ts), kept as that range
  const overrides = o.ovFrom !== undefined ? nat(o.ovFrom, 'record.ovFrom') : listedOverrides(o.overrides);
  return new CompactRecord(seq, author, kind, cmd, deps, logKey, decodedOv(seq, overrides));
}

/** listedOverrides: a record's written-out overrides, checked, as a copy (a sender's in-process list stays its own). */
function listedOverrides(x: unknown): number[] {
  const listed = arr(x, 'record.overrides');
  for (const q of listed) nat(q, 'record.overrides[]');
  return listed.slice() as number[];
}

/**
 * shipment reads a snapshot with its KEYs; the applied bitmap must cover the floor (§7.1). The
 * KEYs reach the floor exactly, or, in a `part`, end below it (§4.7).
 */
function shipment(x: unknown, machine: MachineKind): SnapshotShipment {
  const o = obj(x, 'shipment');
  const snap = obj(o.snapshot, 'snapshot');
  const floor = nat(snap.floor, 'snapshot.floor');
  const applied = bitmap(snap.applied, 'snapshot.applied');
  if (firstMissing(applied) < floor) throw new BadTraftMessage('snapshot.applied must cover [0, floor)');
  const kv = snap.kv;
  const problem = machine.checkImage(kv);
  if (problem !== null) throw new BadTraftMessage(problem);
  if (!isJson(kv)) throw new BadTraftMessage('snapshot.kv must be plain JSON');
  const keysFrom = nat(o.keysFrom, 'keysFrom');
  const keys = arr(o.keys, 'keys').map((k) => str(k, 'keys[]'));
  if (o.part !== undefined) {
    if (o.part !== true || keysFrom + keys.length >= floor) throw new BadTraftMessage('a part must be true and end below snapshot.floor');
    return { snapshot: { floor, applied, kv }, keysFrom, keys, part: true };
  }
  if (keysFrom + keys.length !== floor) throw new BadTraftMessage('keys must cover [keysFrom, snapshot.floor)');
  return { snapshot: { floor, applied, kv }, keysFrom, keys };
}

const REASONS: ReadonlySet<string> = new Set(['stale-ballot', 'leader-alive', 'stale-log', 'other-cluster']);
const FORWARD_REASONS: ReadonlySet<string> = new Set(['stale-leader', 'need-sync', 'need-keys']);
const KINDS: ReadonlySet<string> = new Set(['sync', 'append', 'heartbeat']);

/**
 * validateTraftMsg returns x as a Message or throws BadTraftMessage naming the first problem;
 * commands and snapshot images are checked by the rank's state machine (`machine`).
 */
export function validateTraftMsg(x: unknown, machine: MachineKind = labMachine): Message {
  const o = obj(x, 'message');
  switch (o.type) {
    case 'ElectReq':
      return {
        type: 'ElectReq',
        candidate: leaderId(o.candidate, 'candidate'),
        committer: maybeLeaderId(o.committer, 'committer'),
        accepted: bitmap(o.accepted, 'accepted'),
        frontier: nat(o.frontier, 'frontier'),
        clusterId: str(o.clusterId, 'clusterId'),
        ...(pre(o.pre) ? { pre: true as const } : {}),
      };
    case 'ElectReply': {
      if (o.reason !== undefined && !REASONS.has(o.reason as string)) throw new BadTraftMessage('unknown reason');
      return {
        type: 'ElectReply',
        candidate: leaderId(o.candidate, 'candidate'),
        granted: bool(o.granted, 'granted'),
        ...(o.reason !== undefined ? { reason: o.reason as ElectReplyReason } : {}),
        ...(pre(o.pre) ? { pre: true as const } : {}),
        vote: leaderId(o.vote, 'vote'),
        committer: maybeLeaderId(o.committer, 'committer'),
        accepted: bitmap(o.accepted, 'accepted'),
        committed: bitmap(o.committed, 'committed'),
        records: records(o.records, machine),
        ...(o.snapshot !== undefined ? { snapshot: shipment(o.snapshot, machine) } : {}),
        ...(o.part !== undefined ? { part: replyPart(o.part) } : {}),
      };
    }
    case 'InstallSnapshotReq':
      return {
        type: 'InstallSnapshotReq',
        leader: leaderId(o.leader, 'leader'),
        shipment: shipment(o.shipment, machine),
        reqId: nat(o.reqId, 'reqId'),
      };
    case 'ForwardReq':
      return forwardReq(o, machine);
    case 'ForwardReply': {
      if (o.reason !== undefined && !FORWARD_REASONS.has(o.reason as string)) throw new BadTraftMessage('unknown reason');
      return {
        type: 'ForwardReply',
        leader: leaderId(o.leader, 'leader'),
        ok: bool(o.ok, 'ok'),
        ...(o.reason !== undefined ? { reason: o.reason as NonNullable<ForwardReply['reason']> } : {}),
        vote: leaderId(o.vote, 'vote'),
        committer: maybeLeaderId(o.committer, 'committer'),
        accepted: bitmap(o.accepted, 'accepted'),
        committed: bitmap(o.committed, 'committed'),
        reqId: nat(o.reqId, 'reqId'),
        ...(o.keysTo !== undefined ? { keysTo: nat(o.keysTo, 'keysTo') } : {}),
      };
    }
    default:
      throw new BadTraftMessage(`unknown type ${JSON.stringify(o.type)}`);
  }
}

/** pre reads the pre-vote mark: absent, or true (anything else is not a message we send). */
function pre(x: unknown): boolean {
  if (x === undefined) return false;
  if (x !== true) throw new BadTraftMessage('pre must be true when present');
  return true;
}

/** replyPart reads an ElectReply's place among the parts of one answer: at < of, at most MAX_ITEMS parts. */
function replyPart(x: unknown): ElectReplyPart {
  const o = obj(x, 'part');
  const part = { id: nat(o.id, 'part.id'), at: nat(o.at, 'part.at'), of: nat(o.of, 'part.of') };
  if (part.at >= part.of || part.of > MAX_ITEMS) throw new BadTraftMessage('part.at must be below part.of');
  return part;
}

/** forwardReq validates the fields of a ForwardReq (its type already checked). */
function forwardReq(o: Obj, machine: MachineKind): Message {
  if (!KINDS.has(o.kind as string)) throw new BadTraftMessage('kind must be sync, append or heartbeat');
  return {
    type: 'ForwardReq',
    leader: leaderId(o.leader, 'leader'),
    kind: o.kind as ForwardKind,
    ...(o.lo !== undefined ? { lo: nat(o.lo, 'lo') } : {}),
    ...(o.baseTail !== undefined ? { baseTail: nat(o.baseTail, 'baseTail') } : {}),
    ...(o.digest !== undefined
      ? {
          digest: arr(o.digest, 'digest').map((d) => {
            const pair = arr(d, 'digest[]');
            if (pair.length !== 2) throw new BadTraftMessage('digest entries are [seq, author]');
            return [nat(pair[0], 'digest seq'), leaderId(pair[1], 'digest author')] as const;
          }),
        }
      : {}),
    ...(o.last !== undefined ? { last: bool(o.last, 'last') } : {}),
    records: records(o.records, machine),
    committed: bitmap(o.committed, 'committed'),
    reqId: nat(o.reqId, 'reqId'),
  };
}
