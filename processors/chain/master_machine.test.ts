// master_machine.test: the master's decisions as a TRaft state machine (docs/protocols/chain-master.md
// §10.1): a record write becomes one command naming its decision and carrying only what changed,
// replaying the commands rebuilds the record, epochs never go back, malformed commands change
// nothing, and an image restores the same machine.
import t from 'tap';
import { firstConfig } from './master_ring.js';
import { decisionOf, MasterMachine, masterMachine, type RecordFields } from './master_machine.js';
import type { Config } from './config.js';
import type { SmCommand } from '../traft/state_machine.js';

const c1: Config = firstConfig([1, 2, 3], 3);
const c2: Config = { ...firstConfig([1, 2], 3), epoch: 2 };

const r1: RecordFields = {
  config: c1,
  failed: [],
  leaving: [],
  incarnations: [
    [1, 1],
    [2, 1],
    [3, 1],
  ],
};
const r2: RecordFields = {
  ...r1,
  failed: [3],
  incarnations: [
    [1, 1],
    [2, 1],
  ],
};
const r3: RecordFields = { ...r2, config: c2 };
const r4: RecordFields = { ...r3, leaving: [2] };
const r5: RecordFields = {
  ...r4,
  incarnations: [
    [1, 2],
    [2, 1],
  ],
};

t.test('each record write is one decision named by what changed; replaying them rebuilds the record', async (t) => {
  const writes = [r1, r2, r3, r4, r5];
  const m = new MasterMachine();
  let prev: RecordFields | undefined;
  const types: unknown[] = [];
  for (const w of writes) {
    const cmd = decisionOf(prev, w);
    if (cmd === null) return t.fail('a changed record gave no decision');
    t.equal(masterMachine.checkCommand(cmd), null, `${JSON.stringify(cmd.type)} is well formed`);
    types.push(cmd.type);
    m.apply(cmd);
    t.same(m.record, w, `after ${JSON.stringify(cmd.type)} the machine holds the record written`);
    prev = w;
  }
  t.same(types, ['ConfigInstalled', 'NodeFailed', 'ConfigInstalled', 'NodeLeaving', 'NodeJoined']);
  t.equal(decisionOf(r5, r5), null, 'an unchanged record is no decision');
  const nf = decisionOf(r1, r2);
  t.notOk(nf !== null && 'config' in nf, 'a decision carries only the fields it changes');
});

t.test('a late decision of an older epoch never brings an older configuration back (I7)', async (t) => {
  const m = new MasterMachine(r3);
  const late = decisionOf(undefined, r1);
  if (late === null) return t.fail('no decision');
  t.equal(m.apply(late), null);
  t.equal(m.record?.config.epoch, 2);
  t.equal(m.apply({ type: 'NodeFailed', failed: [1] }), 2, 'a decision without a config keeps the epoch');
  t.same(m.record?.failed, [1]);
});

t.test('malformed commands are refused by checkCommand and change nothing when applied', async (t) => {
  const bad: SmCommand[] = [
    { type: 'Nope' },
    { type: 'ConfigInstalled' },
    { type: 'NodeFailed', failed: ['x'] },
    { type: 'ConfigInstalled', config: { epoch: 0 } },
    { type: 'NodeJoined', incarnations: [[1]] },
  ];
  const m = new MasterMachine(r2);
  for (const b of bad) {
    t.not(masterMachine.checkCommand(b), null, JSON.stringify(b));
    t.equal(m.apply(b), null);
  }
  t.same(m.record, r2);
  t.equal(new MasterMachine().apply({ type: 'NodeFailed', failed: [1] }), null, 'nothing precedes the first configuration');
});

t.test('MasterLeader counts leaderships and changes no record; images restore the same machine', async (t) => {
  const m = new MasterMachine(r4);
  t.equal(m.apply({ type: 'MasterLeader', term: 3, rank: 1 }), 1);
  t.same(m.record, r4);
  const back = masterMachine.restore(JSON.parse(JSON.stringify(m.image())) as never);
  t.equal(back?.describe(), m.describe());
  t.equal(masterMachine.restore({ record: null, leaders: 0 })?.describe(), new MasterMachine().describe());
  t.equal(masterMachine.restore({ record: { config: 1 }, leaders: 0 }), null, 'a foreign image is refused');
  t.same(
    masterMachine.access({ type: 'NodeFailed' }),
    masterMachine.access({ type: 'ConfigInstalled' }),
    'all decisions share one key (R3)',
  );
});
