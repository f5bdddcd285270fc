// clients: TRaft's side of client sessions and reads (docs/protocols/traft.md §9.4), around the
// core like the lab load. A write becomes a kv_machine command carrying (client, reqNo) and is
// answered once applied, from the machine's result (a duplicate answers from its session). A
// get is answered by ReadIndex — a quorum of followers acked a request we sent after the read
// arrived, and every record interfering with its key is applied — or, with --lease-reads, from a
// lease that V2 and the stated clock drift bound. Non-leaders redirect (§9.4).
import type { ClientReply, ClientRequest } from '../../runtime/client/wire.js';
import type { ClientPort, Envelope } from '../../runtime/protocol.js';
import type { Random } from '../../runtime/random.js';
import type { Applied } from './applier.js';
import { isQuorum } from './config.js';
import { readDeps } from './deps.js';
import { leaderIdEq, type LeaderId } from './leader_id.js';
import type { Message } from './messages.js';
import { roleOf, type ReplicaState } from './state.js';
import type { SmCommand } from './state_machine.js';
import { bitmapLen, firstMissing, hasSeq, members, type TailBitmap } from './tail_bitmap.js';

/** TraftWire: what a TRaft rank's driver carries — peer messages, and client requests and replies through the gateway. */
export type TraftWire = Message | ClientRequest | ClientReply;

/** clientPort: client requests and replies travel as themselves (runtime/protocol.ts ClientPort); the gateway and the simulator share it. */
export const clientPort: ClientPort<TraftWire> = {
  toMsg: (req) => req,
  asReply: (m) => (m.type === 'client-reply' ? m : null),
};

/** ReadOptions: lease reads and the clock-drift bound that makes them safe (validated in entry.ts). */
export type ReadOptions = { readonly leaseReads: boolean; readonly clockDrift: number };

type Waiter = { readonly addr: number; readonly client: string; readonly reqNo: number };
type PendingRead = Waiter & { readonly q: SmCommand; readonly fromReqId: number; readonly deps: TailBitmap; readonly lease: boolean };
/** Mark: every request of ours with reqId ≥ id left at or after atMs (a lease starts at a quorum-acked mark). */
type Mark = { readonly id: number; readonly atMs: number };

/** Clients is one rank's waiting clients and its leadership's read state. */
export type Clients = {
  readonly o: ReadOptions;
  readonly writes: Map<string, Waiter>;
  reads: PendingRead[];
  leader: LeaderId | null;
  marks: Mark[];
  leaseFromMs: number;
  readonly counts: { requests: number; answered: number; indexReads: number; leaseReads: number };
};

export function newClients(o: ReadOptions): Clients {
  return {
    o,
    writes: new Map(),
    reads: [],
    leader: null,
    marks: [],
    leaseFromMs: -Infinity,
    counts: { requests: 0, answered: 0, indexReads: 0, leaseReads: 0 },
  };
}

/** Asked is what a request needs from the core: a proposal, a confirming round, and the replies to send now. */
export type Asked = {
  readonly propose?: { readonly cmd: SmCommand; readonly logKey: string };
  readonly readRound: boolean;
  readonly replies: Envelope<TraftWire>[];
};

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function reply(w: Waiter, body: ClientReplyBody): Envelope<TraftWire> {
  return { to: w.addr, msg: { type: 'client-reply', client: w.client, reqNo: w.reqNo, ...body } };
}
type ClientReplyBody =
  | { status: 'ok'; result: string | null }
  | { status: 'not-leader'; hint: number | null }
  | { status: 'electing' }
  | { status: 'refused'; why: string };

/** redirect (§9.4): candidates `electing`, others `not-leader` with the leader they heard from recently. */
function redirect(s: ReplicaState, nowMs: number): ClientReplyBody {
  if (roleOf(s) === 'candidate') return { status: 'electing' };
  const recent = nowMs - s.lastLeaderContactMs < s.timing.electionTimeoutMs;
  return { status: 'not-leader', hint: recent && s.vote.id !== s.self ? s.vote.id : null };
}

/** clientRequest handles one request from client address `addr`. */
export function clientRequest(c: Clients, s: ReplicaState, addr: number, req: ClientRequest, nowMs: number, random: Random): Asked {
  c.counts.requests++;
  const w: Waiter = { addr, client: req.client, reqNo: req.reqNo };
  const flushed = syncLeadership(c, s, nowMs);
  const asked = admit(c, s, w, req, nowMs, random);
  return flushed.length === 0 ? asked : { ...asked, replies: [...flushed, ...asked.replies] };
}

/** admit: redirect, refuse, propose a write, or queue a read (waiting for its round or lease). */
function admit(c: Clients, s: ReplicaState, w: Waiter, req: ClientRequest, nowMs: number, random: Random): Asked {
  if (s.machine.name !== 'kv')
    return { readRound: false, replies: [reply(w, { status: 'refused', why: `this rank runs the ${s.machine.name} machine` })] };
  const L = s.leader;
  if (L === null) return { readRound: false, replies: [reply(w, redirect(s, nowMs))] };
  if (req.op !== 'get' || req.read === 'log') {
    const cmd: SmCommand = {
      op: req.op,
      key: req.key,
      ...(req.value !== undefined ? { value: req.value } : {}),
      client: req.client,
      reqNo: req.reqNo,
    };
    const k = `${req.client}#${req.reqNo}`;
    const already = c.writes.has(k);
    c.writes.set(k, w); // a retry to the same leader waits for the copy already in the log
    if (already) return { readRound: false, replies: [] };
    let logKey = '';
    for (let i = 0; i < 32; i++) logKey += LETTERS[random.int(26)];
    return { propose: { cmd, logKey }, readRound: false, replies: [] };
  }
  const lease = req.read === 'lease';
  if (lease && !c.o.leaseReads)
    return { readRound: false, replies: [reply(w, { status: 'refused', why: 'lease reads are off (--lease-reads)' })] };
  const q: SmCommand = { op: 'get', key: req.key };
  const deps = readDeps(L.keyIndex, q, bitmapLen(s.accepted), firstMissing(s.committed));
  c.reads.push({ ...w, q, fromReqId: s.nextReqId, deps, lease });
  return { readRound: !(lease && leaseValid(c, s, nowMs)), replies: [] };
}

/** quorumAcked: a quorum (self included) answered, naming us, some request with reqId ≥ id. */
function quorumAcked(s: ReplicaState, id: number): boolean {
  const L = s.leader;
  if (L === null) return false;
  const acked = [s.self];
  for (const [p, pr] of L.progress) if (pr.ackedReqId >= id) acked.push(p);
  return isQuorum(s.config, acked);
}

/**
 * leaseValid: no other leader can be established before leaseFromMs + E·(1 − drift): a quorum
 * heard from us at or after leaseFromMs, and V2 keeps each of them from voting for E of its own
 * clock, which runs at most `drift` slower than ours.
 */
export function leaseValid(c: Clients, s: ReplicaState, nowMs: number): boolean {
  return c.o.leaseReads && s.timing.leaseProtection && nowMs < c.leaseFromMs + s.timing.electionTimeoutMs * (1 - c.o.clockDrift);
}

function allApplied(s: ReplicaState, deps: TailBitmap): boolean {
  const applied = s.applier.applied;
  const from = firstMissing(applied);
  return members(deps, from, bitmapLen(deps)).every((q) => hasSeq(applied, q));
}

/**
 * sameLeadership: the leadership is the one the waiters were admitted under, or still none
 * (nobody waits and no mark or lease is kept without one: admit redirects, renewLease runs only
 * on a leader).
 */
function sameLeadership(c: Clients, s: ReplicaState): boolean {
  const id = s.leader?.id ?? null;
  return id === null ? c.leader === null : c.leader !== null && leaderIdEq(id, c.leader);
}

/** syncLeadership: waiters of a leadership that ended are redirected; marks and lease start over. */
function syncLeadership(c: Clients, s: ReplicaState, nowMs: number): Envelope<TraftWire>[] {
  const out: Envelope<TraftWire>[] = [];
  if (sameLeadership(c, s)) return out;
  const id = s.leader?.id ?? null;
  const body = redirect(s, nowMs);
  for (const w of c.writes.values()) out.push(reply(w, body));
  for (const r of c.reads) out.push(reply(r, body));
  c.writes.clear();
  c.reads = [];
  c.marks = [];
  c.leaseFromMs = -Infinity;
  c.leader = id;
  return out;
}

/** NO_REPLIES: what afterStep answers on most steps (shared: a rank steps for every message). */
const NO_REPLIES: readonly Envelope<TraftWire>[] = Object.freeze([]);

/** afterStep answers what one core step settled: applied writes, confirmed reads, everything of a lost leadership. */
export function afterStep(c: Clients, s: ReplicaState, applied: readonly Applied[], nowMs: number): readonly Envelope<TraftWire>[] {
  // Nobody waits and no lease is kept (the lab load; a kv rank between requests): nothing below
  // can answer anyone, and this runs after every core step, over every record it applied.
  const idle = c.writes.size === 0 && c.reads.length === 0 && !c.o.leaseReads;
  if (idle && sameLeadership(c, s)) return NO_REPLIES;
  const out = syncLeadership(c, s, nowMs);
  if (idle) return countAnswered(c, out);
  const L = s.leader;
  for (const a of applied) {
    const { client, reqNo } = a.rec.cmd ?? {};
    if (typeof client !== 'string' || typeof reqNo !== 'number') continue;
    const w = c.writes.get(`${client}#${reqNo}`);
    if (w === undefined) continue;
    c.writes.delete(`${w.client}#${w.reqNo}`);
    out.push(reply(w, { status: 'ok', result: typeof a.result === 'string' ? a.result : null }));
  }
  if (L === null) return countAnswered(c, out);
  renewLease(c, s, nowMs);
  const still: PendingRead[] = [];
  for (const r of c.reads) {
    const byLease = r.lease && leaseValid(c, s, nowMs);
    if ((byLease || quorumAcked(s, r.fromReqId)) && allApplied(s, r.deps)) {
      c.counts[byLease ? 'leaseReads' : 'indexReads']++;
      const v = s.applier.sm.query(r.q);
      out.push(reply(r, { status: 'ok', result: typeof v === 'string' ? v : null }));
    } else still.push(r);
  }
  c.reads = still;
  return countAnswered(c, out);
}

function countAnswered(c: Clients, out: Envelope<TraftWire>[]): Envelope<TraftWire>[] {
  c.counts.answered += out.length;
  return out;
}

/** renewLease moves the lease's start to the newest mark a quorum acked, and records a mark for what we send next. */
function renewLease(c: Clients, s: ReplicaState, nowMs: number): void {
  if (!c.o.leaseReads) return;
  for (let i = c.marks.length - 1; i >= 0; i--) {
    const m = c.marks[i] as Mark;
    if (quorumAcked(s, m.id)) {
      c.leaseFromMs = Math.max(c.leaseFromMs, m.atMs);
      c.marks = c.marks.slice(i + 1);
      break;
    }
  }
  const last = c.marks[c.marks.length - 1];
  if (last === undefined || last.id < s.nextReqId) c.marks.push({ id: s.nextReqId, atMs: nowMs });
  const E = s.timing.electionTimeoutMs;
  while (c.marks.length > 0 && (c.marks[0] as Mark).atMs < nowMs - E) c.marks.shift(); // too old to start a lease
}
