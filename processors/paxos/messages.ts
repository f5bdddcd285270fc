// messages: the simple Paxos lab's wire vocabulary (docs/protocols/paxos.md §3), with our
// deliberate changes (§10): GATHER carries accepted entries with their rounds, PROPOSE and ACK
// carry batches/frontiers so one message covers many instances.

/** Entry is one instance in a history: its estround and KEY (values never travel in syncs). */
export type Entry = readonly [estround: number, key: string];

/** Held is an entry a rank has accepted (round it was accepted in) or committed (round -1). */
export type Held = readonly [estround: number, key: string, round: number];

/** COMMITTED marks a Held entry as committed at the sender (it wins a merge outright). */
export const COMMITTED = -1;

export type PaxosMsg =
  /** READ(r): the leader of round r starts its sync; frontier = its highest committed estround. */
  | { type: 'read'; from: number; round: number; frontier: number }
  /**
   * GATHER(r): a rank's frontier, last synced round and held entries above the leader's frontier.
   * `partial`: the leader is far behind; `held` is only the lowest CATCHUP_CHUNK committed
   * entries above its frontier, for it to catch up on. Not a promise: it counts toward no quorum.
   */
  | { type: 'gather'; from: number; round: number; frontier: number; syncRound: number; held: Held[]; partial?: true }
  /** IMPOSE(r): the decided log from base (exclusive) to below r·L: exactly these entries. */
  | { type: 'impose'; from: number; round: number; base: number; entries: Entry[] }
  /** ACK(r, seq): seq -1 acks the round's IMPOSE; seq ≥ 0: every seq ≤ it of round r is accepted. */
  | { type: 'ack'; from: number; round: number; seq: number }
  /** DECIDE(r): the IMPOSE of round r is chosen; commit it. */
  | { type: 'decide'; from: number; round: number }
  /** PROPOSE(r): new instances at seqs first, first+1, … with their KEYs and values (a received one has no values: wire.ts). */
  | { type: 'propose'; from: number; round: number; first: number; keys: string[]; values: Uint8Array[] }
  /** COMMIT(r, seq): every seq ≤ it of round r is chosen (a frontier: covers lost COMMITs). */
  | { type: 'commit'; from: number; round: number; seq: number }
  /**
   * LATE(r): a rank that missed round r's sync (or lost a PROPOSE) asks for the decided log above its frontier.
   * `after`: chunks up to this estround are already on their way to it (another leader's answer): send from there.
   */
  | { type: 'late'; from: number; round: number; frontier: number; gap?: true; after?: number }
  /**
   * CATCHUP(r): the decided log above base, as committed at the leader's rank (all chosen).
   * `more`: a chunk: exactly the decided log in (base, last entry], and more is decided above.
   * `ahead`: the last estround of the furthest chunk the sender has sent this rank, when above this one's.
   */
  | { type: 'catchup'; from: number; round: number; base: number; entries: Entry[]; more?: true; ahead?: number }
  /** NACK(r): the sender is already in round r; the receiver should catch up. */
  | { type: 'nack'; from: number; round: number }
  /** NEXT(r): --eager: the last round's work ended, start round r now. */
  | { type: 'next'; from: number; round: number };

/**
 * CATCHUP_CHUNK bounds the entries of any history a sync message carries (IMPOSE catch-up,
 * CATCHUP, a partial GATHER), so no message grows with how far a rank fell behind: an Entry
 * encodes to at most 44 bytes (a Held to 53), so a chunk is < 1 MB, far under the 16 MiB frame,
 * and small enough that a catch-up does not hold up live rounds' traffic (§6.4).
 */
export const CATCHUP_CHUNK = 16_384;

/** leaderOf names the leader of round r among n ranks. */
export function leaderOf(round: number, ranks: number): number {
  return round % ranks;
}

/** estroundOf is the global sequence number logged for seq in round r. */
export function estroundOf(round: number, seq: number, interval: number): number {
  return round * interval + seq;
}

/** quorumOf is a majority of n ranks. */
export function quorumOf(ranks: number): number {
  return Math.floor(ranks / 2) + 1;
}
