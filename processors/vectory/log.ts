// log: Vectory's instance-log lines (docs/protocols/vectory.md "Instance log"). One line per
// change a grader needs, so invariants.ts checks S1–S6 and S11 from the logs alone:
//
//   start at <µs>                                  a process lifetime begins (S5 resets here)
//   recover <shard> <promised> <accepted> at <µs>  what a restart recovered: S4's baseline (a kill can
//                                                  come between a promise's sync and its line)
//   promise <shard> <ballot> at <µs>               promised raised (S4)
//   accept <shard> <ballot> at <µs>                accepted raised: Sync installed or election won (S4)
//   master <shard> <ballot> <lastIndex> at <µs>    won the shard with this log length (S2, S3)
//   stepdown <shard> <ballot> at <µs>
//   commit <shard> <index> <ballot> <version> <kind> <by> at <µs>   an entry known committed here, by the
//                                                  ballot this node followed then (S1, S3, S5, S6)
//   token <shard> <requester> at <µs>              a balance token granted (S11)
//   balance <shard> <master> at <µs>               this node asked for a shard (L2)
//
// A ballot is written epoch.rank.nodeId.
import type { Ballot, EntryKind } from './types.js';

export type VLogEvent =
  | { readonly type: 'start' }
  | { readonly type: 'promise' | 'accept' | 'stepdown'; readonly shard: number; readonly ballot: Ballot }
  | { readonly type: 'master'; readonly shard: number; readonly ballot: Ballot; readonly lastIndex: number }
  | {
      readonly type: 'commit';
      readonly shard: number;
      readonly index: number;
      readonly ballot: Ballot;
      readonly version: number;
      readonly kind: EntryKind;
      readonly by: Ballot;
    }
  | { readonly type: 'token'; readonly shard: number; readonly requester: number }
  | { readonly type: 'recover'; readonly shard: number; readonly promised: Ballot; readonly accepted: Ballot }
  | { readonly type: 'balance'; readonly shard: number; readonly master: number };

export function ballotText(b: Ballot): string {
  return `${b.epoch}.${b.rank}.${b.nodeId}`;
}

export function parseBallot(t: string): Ballot | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(t);
  return m === null ? undefined : { epoch: Number(m[1]), rank: Number(m[2]), nodeId: Number(m[3]) };
}

/** formatLog renders one event (no newline); atUs is when it is written. */
export function formatLog(ev: VLogEvent, atUs: number): string {
  const at = ` at ${Math.floor(atUs)}`;
  switch (ev.type) {
    case 'start':
      return `start${at}`;
    case 'promise':
    case 'accept':
    case 'stepdown':
      return `${ev.type} ${ev.shard} ${ballotText(ev.ballot)}${at}`;
    case 'master':
      return `master ${ev.shard} ${ballotText(ev.ballot)} ${ev.lastIndex}${at}`;
    case 'commit':
      return `commit ${ev.shard} ${ev.index} ${ballotText(ev.ballot)} ${ev.version} ${ev.kind} ${ballotText(ev.by)}${at}`;
    case 'recover':
      return `recover ${ev.shard} ${ballotText(ev.promised)} ${ballotText(ev.accepted)}${at}`;
    case 'token':
      return `token ${ev.shard} ${ev.requester}${at}`;
    case 'balance':
      return `balance ${ev.shard} ${ev.master}${at}`;
  }
}

/** LogLine: one parsed line: its words before `at`, and when. */
export type LogLine = { readonly words: readonly string[]; readonly atUs: number };

/** parseLine reads one line, or undefined for a torn or foreign one. */
export function parseLine(line: string): LogLine | undefined {
  const m = /^(.*) at (\d+)$/.exec(line);
  if (m === null) return undefined;
  return { words: (m[1] ?? '').split(' '), atUs: Number(m[2]) };
}
