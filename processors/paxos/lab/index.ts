// lab: the Paxos lab (`csplab lab init paxos`, `csplab grade`; docs/labs/paxos.md). The student
// gets our core with its decision functions stubbed (the state, messages and helpers given) and
// is graded part by part: unit tests of the decisions, seeded simulator sweeps, a real cluster.
// The skeleton is made from the reference at `lab init`, so it never drifts from it.
import type { Lab, LabStub } from '../../../runtime/lab.js';

const src = (name: string): { from: string; to: string } => ({ from: `processors/paxos/${name}.ts`, to: `src/${name}.ts` });

const stubs: readonly LabStub[] = [
  {
    file: 'src/follower.ts',
    name: 'Follower.onRead',
    part: 1,
    contract:
      'READ(round, leaderFrontier) from this round’s leader: answer it with one GATHER to leader() naming our frontier, ' +
      'our syncRound and, in `held`, every entry we committed above leaderFrontier (round COMMITTED) and every entry we ' +
      'accepted above it (with the round it was accepted in). An amnesiac rank answers nothing (§8). A leader more than ' +
      'a chunk behind gets a GATHER with `partial: true` and nothing held (§6.4).',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.onGather',
    part: 1,
    contract:
      'A GATHER of this round while `reading` (ignore duplicates and other phases): a partial one hands the round on ' +
      '(handOn). Otherwise record it; at the quorum-th, arm the grace deadline (graceAtMs = now + gatherGraceMs); ' +
      'impose() once every rank answered, or a quorum did and the grace passed (the wake input imposes too).',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.impose',
    part: 1,
    contract:
      'Only with a quorum of GATHERs (assert it: rule §6.1). Merge them (mergeGathers, above our own decided frontier) ' +
      'and broadcast IMPOSE(round, base, entries): our decided log above `base` followed by the merged entries, where ' +
      'base is our frontier, lowered to the lowest gathered frontier our window reaches within one chunk. Enter ' +
      '`imposing` and keep the message for retries (imposeMsg).',
  },
  {
    file: 'src/follower.ts',
    name: 'Follower.onImpose',
    part: 1,
    contract:
      'IMPOSE(round, base, entries): not if mayNotVote(round). A resent IMPOSE (one already taken this round) is ACKed ' +
      'again (seq -1). A rank whose frontier is below base sits the sync out. Otherwise forget acceptances of earlier ' +
      'rounds below round·L, accept every entry above our frontier and below round·L (a `generate` log event each), ' +
      'remember them as this round’s imposed entries, set syncRound, end amnesia (rejoined) and ACK(round, -1) the ' +
      'leader. Nothing is committed here: only DECIDE commits (rule 3).',
  },
  {
    file: 'src/follower.ts',
    name: 'Follower.onDecide',
    part: 1,
    contract:
      'DECIDE (or a COMMIT, which implies it): once per round and only if we took this round’s IMPOSE, mark the sync ' +
      'decided, commit the imposed entries in order (commitAccepted) and then any seqs a COMMIT already allowed (advanceCommits).',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.onSyncAck',
    part: 2,
    contract:
      'ACK(round, -1) while `imposing`: count each rank once; at a quorum the sync is chosen: enter `proposing`, ' +
      'restart the retry clock, broadcast DECIDE(round) and start proposing (proposeMore). Never before a quorum (rule 3).',
  },
  {
    file: 'src/follower.ts',
    name: 'Follower.onPropose',
    part: 2,
    contract:
      'PROPOSE(round, first, keys): not if mayNotVote(round). Accept each seq first+i below L not committed or accepted ' +
      'yet (a `generate` event each, at estroundOf(round, seq)); advance `contig`, the highest seq below which every seq ' +
      'of this round is accepted (or committed by a catch-up); ACK(round, contig) the leader when contig ≥ 0, even when ' +
      'nothing advanced (a resent PROPOSE means our ACK was lost).',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.onInstanceAck',
    part: 2,
    contract:
      'ACK(round, seq ≥ 0) while `proposing`: a rank’s frontier only grows (and never past nextSeq - 1). The COMMIT ' +
      'frontier is the highest seq a quorum has acked; when it grows, drop those seqs from `outstanding`, count them in ' +
      'stats.committed, broadcast COMMIT(round, frontier) and propose more; at seq L-1 the round is `done` (with --eager, ' +
      'broadcast NEXT(round+1)). Assert the frontier is below nextSeq (rule 3).',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.proposeMore',
    part: 2,
    contract:
      'Propose new values up to min(L, commitSeq + 1 + pipelineWindow) seqs, in PROPOSE messages of at most ' +
      'proposeBatch values (randomValues, instanceKey), each remembered in `outstanding` and counted in stats.proposed. ' +
      'Broadcast them, except to a rank being caught up (catchingUp): its values follow its last chunk. Part 4 grades ' +
      'how many instances a round commits: keep the whole window in flight.',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.onLate',
    part: 3,
    contract:
      'LATE(from, frontier, gap) once this round’s sync is decided (`proposing` or `done`): answer with our decided log ' +
      'above the rank’s frontier as CATCHUP chunks (catchupAbove), up to catchupAhead in flight, `more` on all but the ' +
      'last; answer the same frontier again only after 8 retry periods or at once on `gap`; a lower frontier than last ' +
      'time is a new incarnation. When the last chunk leaves, send the rank the values still outstanding (proposeOutstanding).',
  },
  {
    file: 'src/leader.ts',
    name: 'Leader.catchupAbove',
    part: 3,
    contract:
      'Our decided log above `after`, at most one chunk (catchupChunk) of it, `more` when the log goes on. Below our ' +
      'in-memory window, read it from the archive (our own instance log); undefined when neither has it. The log must ' +
      'already hold this round’s IMPOSE (assert it: rule §6.4).',
  },
  {
    file: 'src/follower.ts',
    name: 'Follower.onCatchup',
    part: 3,
    contract:
      'CATCHUP(base, entries, more) of this round while we cannot commit in it (not decided, or stalled): a chunk above ' +
      'our frontier (frontier < base) was preceded by a lost one: askAcrossGap. Otherwise commit its entries above our ' +
      'frontier (commitChunk); with `more` ask for the next chunk at once (LATE with our new frontier); without, the ' +
      'round is decided here: take part in its commits from the last seq the catch-up covered (committedSeq, contig) and advanceCommits.',
  },
];

export const paxosLab: Lab = {
  name: 'paxos',
  handout: 'docs/labs/paxos.md',
  files: [
    ...['core', 'follower', 'leader', 'router', 'window', 'merge', 'messages', 'events', 'values', 'key', 'archive'].map(src),
    { from: 'runtime/assert.ts', to: 'src/lib/assert.ts' },
    { from: 'runtime/lab_types.ts', to: 'src/lib/types.ts' },
  ],
  rewrite: {
    '../../runtime/assert.js': './lib/assert.js',
    '../../runtime/protocol.js': './lib/types.js',
    '../../runtime/random.js': './lib/types.js',
  },
  stubs,
  seeds: [1, 2, 3],
  parts: [
    {
      part: 1,
      title: 'sync',
      points: 25,
      timeLimitSec: 30,
      unit: [
        'follower answers READ with GATHER',
        'leader imposes after a quorum and the grace',
        'follower accepts IMPOSE, commits on DECIDE',
      ],
      sweeps: [],
    },
    {
      part: 2,
      title: 'impose/commit',
      points: 25,
      timeLimitSec: 120,
      unit: ['leader decides the sync only at a quorum', 'follower acks PROPOSEs contiguously', 'leader commits what a quorum acked'],
      // no loss: a rank that misses nothing never needs part 3's catch-up
      sweeps: [{ name: 'duplicates and reordering', flags: { o: 0.5, l: 100, t: 3 }, schedule: { dup: 0.05, delay: '2±1.5' } }],
    },
    {
      part: 3,
      title: 'catch-up and restarts',
      points: 30,
      timeLimitSec: 180,
      unit: ['leader catches up a LATE rank', 'follower commits a CATCHUP', 'restarted rank does not vote below its bound'],
      sweeps: [{ name: 'nemesis', flags: { o: 0.5, l: 100, t: 4 }, schedule: 'nemesis' }],
    },
    {
      part: 4,
      title: 'throughput',
      points: 20,
      timeLimitSec: 180,
      unit: [],
      sweeps: [
        // lock-step proposing commits one instance per round trip (~5 ms here): ~600 in 3 s
        { name: 'throughput', flags: { o: 1, l: 4000, t: 3 }, schedule: { delay: '2±0.5' }, minCommits: 6000, seeds: [1] },
      ],
      real: { name: 'run_and_check, 5 processes', flags: { o: 1, l: 100, t: 3, ranks: 5 } },
    },
  ],
  unitTest: async (name, build) => (await import('./unit.js')).unitTest(name, build),
};
