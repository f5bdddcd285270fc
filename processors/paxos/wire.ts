// wire: validation of decoded network input. A frame that decodes but is not a well-formed
// PaxosMsg is rejected here (the transport closes that connection), so protocol code can
// trust every field it reads.
import type { Entry, Held, PaxosMsg } from './messages.js';

class BadMessage extends Error {
  constructor(why: string) {
    super(`bad paxos message: ${why}`);
    this.name = 'BadMessage';
  }
}

const KEY_RE = /^[a-z]{32}$/;

function int(o: Record<string, unknown>, f: string, min: number): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new BadMessage(`${f} must be an integer ≥ ${min}`);
  return v;
}

function key(v: unknown): string {
  if (typeof v !== 'string' || !KEY_RE.test(v)) throw new BadMessage('key must be 32 lowercase letters');
  return v;
}

function list(o: Record<string, unknown>, f: string, max: number): unknown[] {
  const v = o[f];
  if (!Array.isArray(v) || v.length > max) throw new BadMessage(`${f} must be an array of at most ${max}`);
  return v;
}

function entry(v: unknown): Entry {
  if (!Array.isArray(v) || v.length !== 2) throw new BadMessage('entry must be [estround, key]');
  const e: unknown = v[0];
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new BadMessage('estround must be an integer ≥ 0');
  return [e, key(v[1])];
}

function held(v: unknown): Held {
  if (!Array.isArray(v) || v.length !== 3) throw new BadMessage('held entry must be [estround, key, round]');
  const [e, k, r] = v as unknown[];
  if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new BadMessage('estround must be an integer ≥ 0');
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < -1) throw new BadMessage('round must be an integer ≥ -1');
  return [e, key(k), r];
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
      };
    case 'impose':
      return { type: 'impose', from, round, base: int(o, 'base', -1), entries: list(o, 'entries', MAX_ITEMS).map(entry) };
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
      return { type: 'propose', from, round, first, keys, values: values as Uint8Array[] };
    }
    case 'commit':
      return { type: 'commit', from, round, seq: int(o, 'seq', -1) };
    case 'late':
      return { type: 'late', from, round, frontier: int(o, 'frontier', -1) };
    case 'catchup':
      return { type: 'catchup', from, round, base: int(o, 'base', -1), entries: list(o, 'entries', MAX_ITEMS).map(entry) };
    case 'nack':
      return { type: 'nack', from, round };
    case 'next':
      return { type: 'next', from, round };
    default:
      throw new BadMessage(`unknown type ${JSON.stringify(o.type)}`);
  }
}
