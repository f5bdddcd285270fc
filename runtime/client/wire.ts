// wire: what a key-value client and a replica say to each other (docs/net.md "Clients"), the
// same for every replicated store. One JSON object per frame, or after a batch hello one JSON
// array of them; both sides validate every message they read, so a bad one is dropped and
// counted, never trusted.

/** KvOp is the operations of docs/history.md's kv model. */
export type KvOp = 'get' | 'put' | 'append' | 'delete';

/**
 * ReadMode: how a replica answers a get — through the log, ReadIndex, or a leader lease
 * (docs/protocols/traft.md §9.4); Vectory's `local` (any node, sequentially consistent) or
 * `master` (the shard's master, linearizable per key).
 */
export type ReadMode = 'log' | 'index' | 'lease' | 'local' | 'master';

/**
 * Vts: a virtual timestamp, ordered by version then shard (Vectory's one global write order).
 * A store that orders its writes this way sends it on replies; the client carries the largest
 * it has seen as `after` on every request.
 */
export type Vts = { readonly version: number; readonly shard: number };

/** ClientRequest: reqNo orders one client's requests; a retry repeats it unchanged (exactly once). */
export type ClientRequest = {
  readonly type: 'client-req';
  readonly client: string;
  readonly reqNo: number;
  readonly op: KvOp;
  readonly key: string;
  readonly value?: string;
  readonly read?: ReadMode;
  /** after: the largest Vts this client has seen (a store with one global write order). */
  readonly after?: Vts;
  /**
   * members: "name every rank that may answer this read" — a store whose reads any of several
   * ranks answers (chain CRAQ) puts them in its reply, so the client can spread its reads.
   */
  readonly members?: true;
};

/**
 * ReplyStatus: ok (result is the output: a get's value; for a put or delete, null or what it
 * did — a WriteResult), or where to go instead.
 */
export type ClientReply = { readonly type: 'client-reply'; readonly client: string; readonly reqNo: number } & (
  | {
      readonly status: 'ok';
      readonly result: string | null;
      /** vts: a write's place in the global order; at: the applied prefix a read saw. */
      readonly vts?: Vts;
      readonly at?: Vts;
      /** members: the ranks that may answer this key's reads (asked for by `members` on the request). */
      readonly members?: readonly number[];
    }
  | { readonly status: 'not-leader'; readonly hint: number | null; readonly members?: readonly number[] }
  | { readonly status: 'electing' }
  | { readonly status: 'refused'; readonly why: string }
);

/**
 * WriteResult: what a put or delete did, for a store that reports it (docs/history.md `result`):
 * a put created the key or updated it; a delete deleted it or found it absent.
 */
export type WriteResult = 'created' | 'updated' | 'deleted' | 'notFound';

/**
 * ClientHello opens a client connection: a replica of another cluster closes it. `batch`: every
 * later frame in either direction is a JSON array of requests or replies (runtime/client/batch.ts).
 */
export type ClientHello = { readonly magic: 'csplab-client'; readonly clusterId: string; readonly batch?: true };

/** MAX_CLIENT_FRAME_BYTES: a request or reply is small; anything longer is garbage. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

/** BadClientFrame names what is wrong with one frame. */
export class BadClientFrame extends Error {
  constructor(why: string) {
    super(`bad client frame: ${why}`);
    this.name = 'BadClientFrame';
  }
}

const OPS: ReadonlySet<unknown> = new Set(['get', 'put', 'append', 'delete']);
const READS: ReadonlySet<unknown> = new Set(['log', 'index', 'lease', 'local', 'master']);
const MAX_TEXT = 4096;

function text(x: unknown, what: string): string {
  if (typeof x !== 'string' || x.length > MAX_TEXT) throw new BadClientFrame(`${what} must be a string of at most ${MAX_TEXT} characters`);
  return x;
}

function fields(x: unknown): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new BadClientFrame('not an object');
  return x as Record<string, unknown>;
}

/** vtsOf reads an optional Vts field: two integers ≥ 0. */
function vtsOf(x: unknown, what: string): Vts | undefined {
  if (x === undefined) return undefined;
  const o = (typeof x === 'object' && x !== null && !Array.isArray(x) ? x : {}) as Record<string, unknown>;
  const ok = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!ok(o.version) || !ok(o.shard)) throw new BadClientFrame(`${what} must be {version, shard}, integers ≥ 0`);
  return { version: o.version as number, shard: o.shard as number };
}

/** MAX_MEMBERS: a read is answered by a chain's members, a handful of ranks. */
const MAX_MEMBERS = 64;

/** membersOf reads an optional members field: a short list of ranks. */
function membersOf(x: unknown): readonly number[] | undefined {
  if (x === undefined) return undefined;
  const ok = Array.isArray(x) && x.length >= 1 && x.length <= MAX_MEMBERS && x.every((r) => Number.isSafeInteger(r) && (r as number) >= 0);
  if (!ok) throw new BadClientFrame(`members must be 1–${MAX_MEMBERS} ranks`);
  return x as number[];
}

function reqNoOf(x: unknown): number {
  if (!Number.isSafeInteger(x) || (x as number) < 0) throw new BadClientFrame('reqNo must be an integer ≥ 0');
  return x as number;
}

/** parseClientRequest validates a decoded request frame. */
export function parseClientRequest(x: unknown): ClientRequest {
  const o = fields(x);
  if (o.type !== 'client-req') throw new BadClientFrame('type must be client-req');
  if (!OPS.has(o.op)) throw new BadClientFrame('op must be get, put, append or delete');
  if (o.read !== undefined && !READS.has(o.read)) throw new BadClientFrame('read must be log, index, lease, local or master');
  const after = vtsOf(o.after, 'after');
  if (o.members !== undefined && o.members !== true) throw new BadClientFrame('members must be true or absent');
  const value = o.value === undefined ? undefined : text(o.value, 'value');
  if ((o.op === 'put' || o.op === 'append') !== (value !== undefined))
    throw new BadClientFrame('put and append carry a value, get and delete none');
  return {
    type: 'client-req',
    client: text(o.client, 'client'),
    reqNo: reqNoOf(o.reqNo),
    op: o.op as KvOp,
    key: text(o.key, 'key'),
    ...(value !== undefined ? { value } : {}),
    ...(o.read !== undefined ? { read: o.read as ReadMode } : {}),
    ...(after !== undefined ? { after } : {}),
    ...(o.members === true ? { members: true as const } : {}),
  };
}

/** parseClientReply validates a decoded reply frame. */
export function parseClientReply(x: unknown): ClientReply {
  const o = fields(x);
  if (o.type !== 'client-reply') throw new BadClientFrame('type must be client-reply');
  const head = { type: 'client-reply' as const, client: text(o.client, 'client'), reqNo: reqNoOf(o.reqNo) };
  switch (o.status) {
    case 'ok':
      if (o.result !== null && typeof o.result !== 'string') throw new BadClientFrame('result must be a string or null');
      {
        const vts = vtsOf(o.vts, 'vts');
        const at = vtsOf(o.at, 'at');
        const members = membersOf(o.members);
        return {
          ...head,
          status: 'ok',
          result: o.result,
          ...(vts !== undefined ? { vts } : {}),
          ...(at !== undefined ? { at } : {}),
          ...(members !== undefined ? { members } : {}),
        };
      }
    case 'not-leader': {
      if (o.hint !== null && !(Number.isSafeInteger(o.hint) && (o.hint as number) >= 0))
        throw new BadClientFrame('hint must be a rank or null');
      const members = membersOf(o.members);
      return { ...head, status: 'not-leader', hint: o.hint as number | null, ...(members !== undefined ? { members } : {}) };
    }
    case 'electing':
      return { ...head, status: 'electing' };
    case 'refused':
      return { ...head, status: 'refused', why: text(o.why, 'why') };
    default:
      throw new BadClientFrame('status must be ok, not-leader, electing or refused');
  }
}

/** parseHello validates a connection's first frame. */
export function parseHello(x: unknown): ClientHello {
  const o = fields(x);
  if (o.magic !== 'csplab-client') throw new BadClientFrame('not a csplab client hello');
  if (o.batch !== undefined && o.batch !== true) throw new BadClientFrame('batch must be true or absent');
  return { magic: 'csplab-client', clusterId: text(o.clusterId, 'clusterId'), ...(o.batch === true ? { batch: true as const } : {}) };
}

/** decodeJson reads one frame's payload as JSON or throws BadClientFrame. */
export function decodeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    throw new BadClientFrame('not JSON');
  }
}

const WRITE_RESULTS: Readonly<Record<string, readonly WriteResult[]>> = { put: ['created', 'updated'], delete: ['deleted', 'notFound'] };

/**
 * writeResult reads an ok reply's result for op f: a WriteResult a put or delete may report,
 * undefined when it reports none (null); anything else is a bad reply.
 */
export function writeResult(f: KvOp, result: string | null): WriteResult | undefined {
  if (result === null || f === 'get') return undefined;
  const allowed = WRITE_RESULTS[f] ?? [];
  if (!allowed.includes(result as WriteResult))
    throw new BadClientFrame(`a ${f} answered ${JSON.stringify(result)} (expected null${allowed.map((r) => ` or ${r}`).join('')})`);
  return result as WriteResult;
}
