// wire: validation of decoded network input. A frame that decodes but is not a well-formed
// PaxosMsg is rejected here (the transport closes that connection), so protocol code can
// trust every field it reads.
import { msgpackCodec, type Codec } from '../../runtime/net/codec.js';
import type { Entry, Held, PaxosMsg } from './messages.js';

class BadMessage extends Error {
  constructor(why: string) {
    super(`bad paxos message: ${why}`);
    this.name = 'BadMessage';
  }
}

/** isKey: 32 lowercase letters. A loop, not a RegExp: every entry of a CATCHUP chunk passes here. */
function isKey(v: string): boolean {
  if (v.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = v.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function int(o: Record<string, unknown>, f: string, min: number): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new BadMessage(`${f} must be an integer ≥ ${min}`);
  return v;
}

function key(v: unknown): string {
  if (typeof v !== 'string' || !isKey(v)) throw new BadMessage('key must be 32 lowercase letters');
  return v;
}

function list(o: Record<string, unknown>, f: string, max: number): unknown[] {
  const v = o[f];
  if (!Array.isArray(v) || v.length > max) throw new BadMessage(`${f} must be an array of at most ${max}`);
  return v;
}

/** entry checks a decoded [estround, key] and returns that same array: no copy per entry of a chunk. */
function entry(v: unknown): Entry {
  if (!Array.isArray(v) || v.length !== 2) throw new BadMessage('entry must be [estround, key]');
  const e: unknown = v[0];
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new BadMessage('estround must be an integer ≥ 0');
  key(v[1]);
  return v as unknown as Entry;
}

function held(v: unknown): Held {
  if (!Array.isArray(v) || v.length !== 3) throw new BadMessage('held entry must be [estround, key, round]');
  const [e, k, r] = v as unknown[];
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new BadMessage('estround must be an integer ≥ 0');
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < -1) throw new BadMessage('round must be an integer ≥ -1');
  key(k);
  return v as unknown as Held; // the decoded array itself, like entry()
}

/** flag reads an optional field that is either absent or true. */
function flag<F extends string>(o: Record<string, unknown>, f: F): { [k in F]?: true } {
  const v = o[f];
  if (v === undefined) return {};
  if (v !== true) throw new BadMessage(`${f} must be true or absent`);
  return { [f]: true } as { [k in F]?: true };
}

/** optInt reads an optional estround field: absent, or an integer ≥ 0. */
function optInt<F extends string>(o: Record<string, unknown>, f: F): { [k in F]?: number } {
  if (o[f] === undefined) return {};
  return { [f]: int(o, f, 0) } as { [k in F]?: number };
}

/**
 * entries checks a decoded list of entries in place and returns that same list: a CATCHUP's
 * 16,384 entries copied into a new list cost a 64 KB array per chunk, which the collector
 * handles with the old generation.
 */
function entries(o: Record<string, unknown>, f: string): Entry[] {
  const v = list(o, f, MAX_ITEMS);
  for (const x of v) entry(x);
  return v as Entry[];
}

/** MAX_ITEMS bounds every list in a message (histories, batches). */
const MAX_ITEMS = 1_000_000;

/** validatePaxosMsg returns x as a PaxosMsg or throws BadMessage naming the first problem. */
export function validatePaxosMsg(x: unknown): PaxosMsg {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new BadMessage('not an object');
  const o = x as Record<string, unknown>;
  const from = int(o, 'from', 0);
  const round = int(o, 'round', 0);
  switch (o.type) {
    case 'read':
      return { type: 'read', from, round, frontier: int(o, 'frontier', -1) };
    case 'gather':
      return {
        type: 'gather',
        from,
        round,
        frontier: int(o, 'frontier', -1),
        syncRound: int(o, 'syncRound', -1),
        held: list(o, 'held', MAX_ITEMS).map(held),
        ...flag(o, 'partial'),
      };
    case 'impose':
      return { type: 'impose', from, round, base: int(o, 'base', -1), entries: entries(o, 'entries') };
    case 'ack':
      return { type: 'ack', from, round, seq: int(o, 'seq', -1) };
    case 'decide':
      return { type: 'decide', from, round };
    case 'propose': {
      const first = int(o, 'first', 0);
      const keys = list(o, 'keys', MAX_ITEMS).map(key);
      const values = list(o, 'values', MAX_ITEMS);
      if (values.length !== keys.length || values.some((v) => !(v instanceof Uint8Array)))
        throw new BadMessage('values must be byte strings, one per key');
      // Checked, then dropped: a receiving rank keeps and logs only the KEYs, and the decoded
      // values are views of a payload the transport reuses for the next frame (transientPayloads).
      return { type: 'propose', from, round, first, keys, values: [] };
    }
    case 'commit':
      return { type: 'commit', from, round, seq: int(o, 'seq', -1) };
    case 'late':
      return { type: 'late', from, round, frontier: int(o, 'frontier', -1), ...flag(o, 'gap'), ...optInt(o, 'after') };
    case 'catchup':
      return {
        type: 'catchup',
        from,
        round,
        base: int(o, 'base', -1),
        entries: entries(o, 'entries'),
        ...flag(o, 'more'),
        ...optInt(o, 'ahead'),
      };
    case 'nack':
      return { type: 'nack', from, round };
    case 'next':
      return { type: 'next', from, round };
    default:
      throw new BadMessage(`unknown type ${JSON.stringify(o.type)}`);
  }
}

export interface ProposeShape {
  interval: number; // -l
  pipelineWindow: number;
  proposeBatch: number;
  dataSize: number;
}

/** proposeValues is how many values the leader's PROPOSE holds: a batch, unless the window or -l is smaller. */
export function proposeValues(o: ProposeShape): number {
  return Math.min(o.proposeBatch, o.pipelineWindow, o.interval);
}

/**
 * proposeBytes is the payload of a frame holding one PROPOSE of `values` values, as the codec
 * encodes it, with every integer at its widest. A leader never splits a batch, so when its
 * PROPOSE does not fit a frame no instance is ever proposed (issue 11, hole 2).
 */
export function proposeBytes(values: number, dataSize: number, codec: Codec<PaxosMsg> = msgpackCodec<PaxosMsg>()): number {
  const value = new Uint8Array(dataSize);
  const max = Number.MAX_SAFE_INTEGER;
  const msg: PaxosMsg = {
    type: 'propose',
    from: max,
    round: max,
    first: max,
    keys: new Array<string>(values).fill('a'.repeat(32)),
    values: new Array<Uint8Array>(values).fill(value),
  };
  return codec.encode([msg]).length;
}

/**
 * proposeFit says whether the leader's PROPOSE fits a frame of maxFrameBytes, and the most values
 * of this size that would (at least 0). The raw bytes alone decide an obvious misfit, without
 * building a message far over the limit.
 */
export function proposeFit(o: ProposeShape, maxFrameBytes: number): { bytes: number; fits: boolean; maxValues: number } {
  const values = proposeValues(o);
  const one = proposeBytes(1, o.dataSize);
  const perValue = proposeBytes(2, o.dataSize) - one;
  // Array headers widen at 16 and 65,536 items: 4 bytes per list covers them.
  const maxValues = Math.max(0, Math.floor((maxFrameBytes - (one - perValue) - 8) / perValue));
  if (values * o.dataSize > maxFrameBytes) return { bytes: values * o.dataSize, fits: false, maxValues };
  const bytes = proposeBytes(values, o.dataSize);
  return { bytes, fits: bytes <= maxFrameBytes, maxValues };
}
