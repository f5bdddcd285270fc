// lifecycle.test: a rank's lifecycle machine takes the faults and reports its state allows, with
// the process effect each one asks for, refuses the rest in one log line, and throws on reports
// that cannot happen.
import t from 'tap';
import { createRankActor, offer, type RankActor, type RankEvent, type RankState } from './lifecycle.js';

type Ev = RankEvent['type'];

/** rig: one rank's actor with recording effects, and offer() bound to a recording log. */
function rig(rank = 3) {
  const effects: string[] = [];
  const log: string[] = [];
  const actor: RankActor = createRankActor({
    spawn: (incarnation) => effects.push(`spawn ${incarnation}`),
    signal: (signal) => effects.push(signal),
    ready: () => effects.push('ready'),
    exited: () => effects.push('exited'),
  });
  const send = (...events: Ev[]): boolean[] => events.map((type) => offer(actor, rank, { type }, (line) => log.push(line)));
  const state = (): RankState => actor.getSnapshot().value;
  return { actor, effects, log, send, state };
}

t.test('first wave: planned → starting → ready → exited, one effect per step', async (t) => {
  const r = rig();
  t.equal(r.state(), 'planned');
  t.equal(r.actor.getSnapshot().context.incarnation, -1, 'no incarnation before the start');
  r.send('start');
  t.equal(r.state(), 'starting');
  t.same(r.effects, ['spawn 0'], 'the start spawns incarnation 0');
  r.send('ready');
  t.equal(r.state(), 'ready');
  r.send('exit');
  t.equal(r.state(), 'exited');
  t.same(r.effects, ['spawn 0', 'ready', 'exited']);
  t.same(r.log, [], 'nothing refused');
});

t.test('kill, its exit, restart: killed stays killed until the next incarnation starts', async (t) => {
  const r = rig();
  r.send('start', 'ready', 'kill');
  t.equal(r.state(), 'killed');
  r.send('exit');
  t.equal(r.state(), 'killed', 'the planned death is still a kill once the process is gone');
  r.send('restart');
  t.equal(r.state(), 'restarting');
  t.equal(r.actor.getSnapshot().context.incarnation, 1);
  r.send('ready');
  t.equal(r.state(), 'ready');
  t.same(r.effects, ['spawn 0', 'ready', 'SIGKILL', 'exited', 'spawn 1', 'ready']);
  r.send('kill', 'restart');
  t.same(r.effects.slice(-2), ['SIGKILL', 'spawn 2'], 'a restart may come before the killed process is reaped');
  t.equal(r.state(), 'restarting');
});

t.test('pause and resume return to where the rank was', async (t) => {
  const r = rig();
  r.send('start', 'ready', 'pause');
  t.equal(r.state(), 'paused');
  r.send('resume');
  t.equal(r.state(), 'ready');
  t.same(r.effects, ['spawn 0', 'ready', 'SIGSTOP', 'SIGCONT']);

  const booting = rig();
  booting.send('start', 'pause', 'resume');
  t.equal(booting.state(), 'starting', 'paused before it listened: still starting after the resume');
  booting.send('pause', 'ready');
  t.equal(booting.state(), 'paused', 'a ready line read while paused does not unpause it');
  t.same(booting.effects.slice(-2), ['SIGSTOP', 'ready'], 'but it counts as ready');
  booting.send('resume');
  t.equal(booting.state(), 'ready');

  const recovering = rig();
  recovering.send('start', 'ready', 'kill', 'restart', 'pause', 'resume');
  t.equal(recovering.state(), 'restarting', 'paused while restarting: restarting again after the resume');
});

t.test('refused events leave the state and do nothing but say so', async (t) => {
  const r = rig(3);
  t.same(r.send('resume', 'kill', 'pause', 'restart'), [false, false, false, false], 'a planned rank takes only start');
  r.send('start', 'ready', 'kill');
  const effects = r.effects.length;
  t.same(r.send('resume', 'pause', 'start', 'kill'), [false, false, false, false]);
  t.equal(r.state(), 'killed');
  t.equal(r.effects.length, effects, 'no effect for a refused event');
  t.same(r.log, [
    'rank 3: ignored resume while planned',
    'rank 3: ignored kill while planned',
    'rank 3: ignored pause while planned',
    'rank 3: ignored restart while planned',
    'rank 3: ignored resume while killed',
    'rank 3: ignored pause while killed',
    'rank 3: ignored start while killed',
    'rank 3: ignored kill while killed',
  ]);
});

t.test('reports that cannot happen are launcher bugs', async (t) => {
  const r = rig(2);
  t.throws(() => r.send('exit'), /^launcher bug: rank 2: ignored exit while planned$/, 'no process to exit');
  t.throws(() => r.send('ready'), /launcher bug: rank 2: ignored ready while planned/);
  r.send('start', 'exit');
  t.equal(r.state(), 'exited');
  t.throws(() => r.send('exit'), /launcher bug: rank 2: ignored exit while exited/, 'an exit is reported once');
  t.same(r.log, [], 'a bug is not a log line');
  const k = rig(2);
  k.send('start', 'ready', 'kill');
  t.same(k.send('ready'), [false], 'a ready line racing a kill is refused, not a bug');
  t.same(k.log, ['rank 2: ignored ready while killed']);
});

// The whole table: from each state (reached by a path), which events are taken.
const PATHS: Record<RankState, Ev[]> = {
  planned: [],
  starting: ['start'],
  ready: ['start', 'ready'],
  paused: ['start', 'ready', 'pause'],
  killed: ['start', 'ready', 'kill'],
  restarting: ['start', 'kill', 'restart'],
  exited: ['start', 'ready', 'exit'],
};
const TAKES: Record<RankState, Ev[]> = {
  // in EVENTS order
  planned: ['start'],
  starting: ['kill', 'pause', 'ready', 'exit'],
  ready: ['kill', 'pause', 'exit'],
  paused: ['kill', 'resume', 'ready', 'exit'],
  killed: ['restart', 'exit'],
  restarting: ['kill', 'pause', 'ready', 'exit'],
  exited: [],
};
const LIVE: RankState[] = ['starting', 'restarting', 'ready', 'paused'];
const EVENTS: Ev[] = ['start', 'restart', 'kill', 'pause', 'resume', 'ready', 'exit'];

t.test('transition table: each state takes exactly its events', async (t) => {
  for (const [state, path] of Object.entries(PATHS) as [RankState, Ev[]][]) {
    const r = rig();
    r.send(...path);
    t.equal(r.state(), state, `${path.join(' → ') || '(nothing)'} reaches ${state}`);
    const s = r.actor.getSnapshot();
    t.same(
      EVENTS.filter((type) => s.can({ type })),
      TAKES[state],
      `${state} takes ${TAKES[state].join(', ') || 'nothing'}`,
    );
    t.equal(s.hasTag('live'), LIVE.includes(state), `${state} is ${LIVE.includes(state) ? '' : 'not '}live`);
  }
});
