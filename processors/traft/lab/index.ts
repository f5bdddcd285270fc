// lab: the TRaft lab (`csplab lab init traft`, `csplab grade`; docs/labs/traft.md). The student
// gets our core with its decision functions stubbed (the replica state, messages, WAL entries and
// helpers given) and is graded part by part: scripted unit tests on a few replicas, seeded
// simulator sweeps, a real cluster. The skeleton is made from the reference at `lab init`.
import type { Lab, LabStub } from '../../../runtime/lab.js';

const CORE = [
  'applier',
  'bitmap_codec',
  'candidate',
  'chunk',
  'commit',
  'config',
  'deps',
  'durable',
  'follower',
  'io',
  'key_table',
  'lab_machine',
  'leader',
  'leader_id',
  'messages',
  'prevote',
  'record',
  'record_bytes',
  'role_change',
  'seq_log',
  'snapshot',
  'state',
  'state_machine',
  'step',
  'store',
  'tail_bitmap',
  'timers',
  'unpersisted',
  'voter',
  'wal/format',
];

const src = (name: string): { from: string; to: string } => ({ from: `processors/traft/${name}.ts`, to: `src/${name}.ts` });

const stubs: readonly LabStub[] = [
  {
    file: 'src/voter.ts',
    name: 'refusal',
    part: 1,
    contract:
      'Why the voter rule refuses `req` (§5.2), or null when V4 grants it: another cluster; V1 a candidate below our ' +
      'vote (stale-ballot); V2 with timing.leaseProtection, a candidate other than our leaderHint while a leader is ' +
      'alive (we lead, or heard one less than electionTimeoutMs ago: leader-alive); V3 a smaller committer, or an equal ' +
      'one with a shorter accepted log (stale-log).',
  },
  {
    file: 'src/voter.ts',
    name: 'handleElectReq',
    part: 1,
    contract:
      'Apply V1–V4 (refusal). A grant adopts the candidate as our vote (adoptVote: a WAL entry in this step’s batch) and ' +
      'resets the election deadline. Answer with one ElectReply carrying our vote, committer, accepted and committed, and ' +
      'on a grant the records the candidate lacks (shipped, E1–E3), cut into parts if large (parts). The reply is a ' +
      'promise: it goes in fx.afterPersist, never fx.send, so it leaves only once the vote is durable (§8.2, the ' +
      'WAL-before-vote rule: a voter that crashes after answering must remember its vote).',
  },
  {
    file: 'src/candidate.ts',
    name: 'handleElectReply',
    part: 1,
    contract:
      'ElectReply during our campaign (§5.4): ignore replies for another candidate (trace `ignored`) and any after the ' +
      'merge. A refusal for stale-log marks the campaign staleLog. A grant counts only if its vote is still our ' +
      'candidate, once whole (collectPart for a `part`), one per member (c.replies); at a quorum, merge (mergeIfQuorum).',
  },
  {
    file: 'src/follower.ts',
    name: 'onAppend',
    part: 2,
    contract:
      'F5: an append from a leader that is not our committer gets a need-sync refusal (reply ok=false). Otherwise store ' +
      'every record we lack at or above our floor (storeRecord), possibly out of order; a record we hold must be the same ' +
      'record (assert it). Then import the leader’s commit marks (learnCommitted) and reply ok.',
  },
  {
    file: 'src/commit.ts',
    name: 'leaderCommit',
    part: 2,
    contract:
      'C1 and C2 (§6.4), on the leader only: a position above the commit frontier is chosen once a quorum holds it: ' +
      'ourselves (only once its record is durable: not in s.unpersisted) plus synced followers’ accepted bitmaps (c1Mask ' +
      'helps, word by word). A chosen record commits (markCommitted) only once every earlier record it interferes with ' +
      'is committed (interferenceResolved); otherwise it is held back (trace `held-back`, once per seq). Commits may be ' +
      'out of seq order: that is TRaft’s point.',
  },
  {
    file: 'src/snapshot.ts',
    name: 'snapshotFloor',
    part: 3,
    contract:
      'Where a snapshot may cut the log (§7.2; maybeSnapshot takes one there once it is snapshotEvery above our floor): ' +
      'no higher than the commit frontier, the apply frontier and the instance-log frontier (loggedUpTo + 1), and on a ' +
      'leader no higher than the accepted frontier of a synced follower that acked in the last electionTimeoutMs, ' +
      'unless that follower is more than `every` behind (it gets the snapshot then).',
  },
  {
    file: 'src/follower.ts',
    name: 'handleInstallSnapshot',
    part: 3,
    contract:
      'InstallSnapshot from a leader (§7.3), after acceptLeader: a snapshot at or below our floor is acked and changes ' +
      'nothing. A `part` only stages its KEYs (stageKeys); a whole one we cannot place (canInstall says need-keys) is ' +
      'refused need-keys; otherwise install it (installSnapshot). Every reply names where our KEYs reach (keysReach).',
  },
];

export const traftLab: Lab = {
  name: 'traft',
  handout: 'docs/labs/traft.md',
  files: [
    ...CORE.map(src),
    { from: 'runtime/assert.ts', to: 'src/lib/assert.ts' },
    { from: 'runtime/net/frame.ts', to: 'src/lib/frame.ts' },
    { from: 'runtime/store/file_format.ts', to: 'src/lib/file_format.ts' },
    { from: 'runtime/lab_types.ts', to: 'src/lib/types.ts' },
  ],
  rewrite: {
    '../../runtime/assert.js': './lib/assert.js',
    '../../runtime/random.js': './lib/types.js',
    '../../runtime/net/frame.js': './lib/frame.js',
    '../../../runtime/store/file_format.js': '../lib/file_format.js',
    '../assert.js': './assert.js',
  },
  stubs,
  seeds: [1, 2],
  parts: [
    {
      part: 1,
      title: 'election and votes',
      points: 25,
      timeLimitSec: 30,
      unit: [
        'voter refuses a stale ballot',
        'voter answers a grant only once its vote is durable',
        'candidate wins with a quorum of grants',
      ],
      sweeps: [],
    },
    {
      part: 2,
      title: 'append and out-of-order commit',
      points: 25,
      timeLimitSec: 120,
      unit: ['leader commits what a quorum accepted', 'a set and an incr apply in log order on every rank'],
      // no crashes: a rank that restarts needs part 3
      sweeps: [{ name: 'duplicates and reordering', flags: { o: 0.2, l: 100, t: 2 }, schedule: { dup: 0.05, delay: '2±1.5' } }],
    },
    {
      part: 3,
      title: 'restarts, snapshots and catch-up',
      points: 30,
      timeLimitSec: 180,
      unit: ['a restarted rank keeps its vote and catches up', 'a rank behind the floor installs the snapshot'],
      sweeps: [{ name: 'nemesis', flags: { o: 0.2, l: 100, t: 3, snapshotEvery: 500 }, schedule: 'nemesis' }],
    },
    {
      part: 4,
      title: 'throughput',
      points: 20,
      timeLimitSec: 180,
      unit: [],
      sweeps: [{ name: 'throughput', flags: { o: 0.2, l: 1000, t: 3 }, schedule: { delay: '2±0.5' }, minCommits: 2000, seeds: [1] }],
      real: { name: 'run_and_check, 5 processes', flags: { o: 0.5, l: 100, t: 3, ranks: 5 } },
    },
  ],
  unitTest: async (name, build) => (await import('./unit.js')).unitTest(name, build),
};
