// handshake: the first frame on every connection, sent by the dialer: which cluster (run),
// which rank, which wire version and codec. The acceptor checks it before reading anything
// else; a mismatch closes the connection (a rank from another run must never inject votes).

/** HELLO_MAX_BYTES bounds the first frame, so an unauthenticated peer cannot make us buffer much. */
export const HELLO_MAX_BYTES = 4096;
const MAGIC = 'csplab';

export interface Hello {
  magic: typeof MAGIC;
  clusterId: string;
  rank: number;
  version: number;
  codec: string;
}

/** Expected is what this rank accepts. */
export interface Expected {
  clusterId: string;
  ranks: number;
  selfRank: number;
  version: number;
  codec: string;
}

/** RejectKind names why a connection was refused (stats and logs group by it). */
export type RejectKind = 'garbage' | 'oversize' | 'cluster' | 'version' | 'rank' | 'codec' | 'invalid' | 'timeout';

export interface Rejection {
  kind: RejectKind;
  detail: string;
  /** claimedRank is the rank the peer said it was, when it got that far. */
  claimedRank?: number;
}

export function encodeHello(hello: Omit<Hello, 'magic'>): Buffer {
  const body = Buffer.from(JSON.stringify({ magic: MAGIC, ...hello }), 'utf8');
  if (body.length > HELLO_MAX_BYTES)
    throw new RangeError(`handshake of ${body.length} bytes exceeds ${HELLO_MAX_BYTES} (cluster id too long?)`);
  return body;
}

/** checkHello parses a first frame and returns the peer's rank, or why it is refused. */
export function checkHello(payload: Buffer, want: Expected): { rank: number } | Rejection {
  let x: unknown;
  try {
    x = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'garbage', detail: 'handshake is not JSON' };
  }
  if (typeof x !== 'object' || x === null || (x as { magic?: unknown }).magic !== MAGIC)
    return { kind: 'garbage', detail: 'handshake lacks the csplab magic' };
  const h = x as Partial<Record<keyof Hello, unknown>>;
  const rank = typeof h.rank === 'number' ? h.rank : undefined;
  const claimed = rank === undefined ? {} : { claimedRank: rank };
  if (h.version !== want.version)
    return { kind: 'version', detail: `wire version ${String(h.version)}, this rank speaks ${want.version}`, ...claimed };
  if (h.clusterId !== want.clusterId)
    return {
      kind: 'cluster',
      detail: `cluster id ${JSON.stringify(h.clusterId)}, this cluster is ${JSON.stringify(want.clusterId)}`,
      ...claimed,
    };
  if (rank === undefined || !Number.isInteger(rank) || rank < 0 || rank >= want.ranks)
    return { kind: 'rank', detail: `unknown rank ${String(h.rank)} (cluster has ${want.ranks})`, ...claimed };
  if (rank === want.selfRank)
    return { kind: 'rank', detail: `peer claims this rank's own rank ${rank} (two processes with one rank?)`, ...claimed };
  if (h.codec !== want.codec) return { kind: 'codec', detail: `codec ${String(h.codec)}, this rank uses ${want.codec}`, ...claimed };
  return { rank };
}
