// result: the shape of a check's outcome, shared by the text report, `--json` (documented in
// docs/check-json.md; bump SCHEMA on any incompatible change) and library callers.

/** SCHEMA names this shape in every JSON result. */
export const SCHEMA = 'csplab.check/1';

export type Verdict = 'pass' | 'fail';

/** Location is one line of one rank's log, with the key it commits when it is a commit. */
export interface Location {
  readonly node: number;
  readonly file: string;
  /** line counts from 1. */
  readonly line: number;
  readonly key?: string;
}

/** Finding is one concrete violation or warning, self-explaining in `message`. */
export interface Finding {
  readonly message: string;
  readonly seq?: number;
  readonly key?: string;
  /** at lists the lines involved, in the order the message names them. */
  readonly at: readonly Location[];
}

/**
 * FindingKind: rule 1 `conflicting-values` (two keys at one seq in one rank), `repeated-commit`
 * (the same key committed again); rule 2 `no-log` (a rank's log does not exist),
 * `unreadable-line` (a line naming an instance that does not parse, or too long to read),
 * `no-commits` (a rank committed nothing), `never-generated` (a committed key no rank
 * generated); rule 3 `conflict` (two ranks
 * committed different keys at a seq), `gap` (one committed a seq, the other did not).
 */
export type FindingKind =
  'conflicting-values' | 'repeated-commit' | 'no-log' | 'unreadable-line' | 'no-commits' | 'never-generated' | 'conflict' | 'gap';

/** FindingGroup gathers the findings of one kind for one rank or pair of ranks. */
export interface FindingGroup {
  readonly kind: FindingKind;
  /** severity: an `error` fails its rule; a `warning` (e.g. repeated commits with --lenient) does not. */
  readonly severity: 'error' | 'warning';
  /** nodes: the rank (rule 1, rule 2's no-log, unreadable-line, no-commits), the pair (rule 3), or [] (never-generated). */
  readonly nodes: readonly number[];
  /** count is every finding of the group; examples holds the first few of them. */
  readonly count: number;
  readonly summary: string;
  readonly examples: readonly Finding[];
  /** belowSeq (rule 3): the seqs compared are those < belowSeq = min(maxSeq(a), maxSeq(b)). */
  readonly belowSeq?: number;
}

/** RuleResult is one rule's verdict; it fails iff some group has severity `error`. */
export interface RuleResult {
  readonly rule: 1 | 2 | 3;
  readonly name: string;
  /** section: where the seed's report prints it — rules 1 and 2 under validity, 3 under safety. */
  readonly section: 'validity' | 'safety';
  readonly verdict: Verdict;
  readonly groups: readonly FindingGroup[];
}

/** RankSummary is what was read from one rank's log. */
export interface RankSummary {
  readonly node: number;
  readonly file: string;
  /** missing: the log does not exist (the rank wrote none; rule 2 fails); every count is then 0. */
  readonly missing: boolean;
  /** commits counts distinct committed seqs (the report's "node X commits N times"). */
  readonly commits: number;
  /** maxSeq is the largest committed seq, null if none (the rules then use 0). */
  readonly maxSeq: number | null;
  /** generates counts generate lines. */
  readonly generates: number;
  /** commitLines counts commit lines, repeats included. */
  readonly commitLines: number;
  readonly lines: number;
  /** skipped: lines that record no instance — blank, unmatched (other text), malformed, overlong. */
  readonly skipped: { readonly blank: number; readonly unmatched: number; readonly malformed: number; readonly overlong: number };
  /** unterminated: the file does not end in a newline (a run cut short may truncate its last line). */
  readonly unterminated: boolean;
  /** notes explain skipped and suspicious lines, one line each. */
  readonly notes: readonly string[];
}

/** CheckResult is a whole check: verdicts, per-rank counts, and the reasons. */
export interface CheckResult {
  readonly schema: typeof SCHEMA;
  readonly verdict: Verdict;
  /** validity: rules 1 and 2. */
  readonly validity: Verdict;
  /** safety: rule 3. */
  readonly safety: Verdict;
  readonly ranks: readonly RankSummary[];
  readonly rules: readonly [RuleResult, RuleResult, RuleResult];
  /** notes about the run as a whole (none today; kept for remarks that fail no rule). */
  readonly notes: readonly string[];
  readonly options: { readonly lenient: boolean; readonly examples: number; readonly maxLineBytes: number };
}
