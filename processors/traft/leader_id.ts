// LeaderId: a leader's ballot (term, id), totally ordered lexicographically
// (docs/protocols/traft.md §3.1). `null` (no committer yet) counts as (0, 0), the minimum.

/** LeaderId is a ballot; rival candidates of one term differ by id and the larger id wins. */
export type LeaderId = { readonly term: number; readonly id: number };

/** ZERO_LEADER_ID is what `null` compares as. */
const ZERO_LEADER_ID: LeaderId = { term: 0, id: 0 };

/** leaderId builds a LeaderId, checking both parts are non-negative safe integers. */
export function leaderId(term: number, id: number): LeaderId {
  if (!Number.isSafeInteger(term) || term < 0 || !Number.isSafeInteger(id) || id < 0) {
    throw new RangeError(`LeaderId needs non-negative safe integers, got (${term}, ${id})`);
  }
  return { term, id };
}

/** compareLeaderId is negative, zero or positive as a <, =, > b; null is (0, 0). */
export function compareLeaderId(a: LeaderId | null, b: LeaderId | null): number {
  const x = a ?? ZERO_LEADER_ID;
  const y = b ?? ZERO_LEADER_ID;
  if (x.term !== y.term) return x.term < y.term ? -1 : 1;
  if (x.id !== y.id) return x.id < y.id ? -1 : 1;
  return 0;
}

/** leaderIdEq is field equality (null equals null and (0, 0)). */
export function leaderIdEq(a: LeaderId | null, b: LeaderId | null): boolean {
  return compareLeaderId(a, b) === 0;
}

/** maxLeaderId is the larger of the two (either when equal). */
export function maxLeaderId(a: LeaderId | null, b: LeaderId | null): LeaderId | null {
  return compareLeaderId(a, b) >= 0 ? a : b;
}

/** formatLeaderId renders `(term,id)` or `-` for null, for traces and test output. */
export function formatLeaderId(a: LeaderId | null): string {
  return a === null ? '-' : `(${a.term},${a.id})`;
}
