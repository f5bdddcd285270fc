// clients.test: simulated key-value clients (clients.ts) on the toy sharded store (toy_kv.ts):
// the same seed gives the same history byte for byte under lossy, duplicating, reordering and
// damaging links and a kill; per-key routing learns each key's rank from not-leader hints;
// results a store reports land in the history; a killed rank's keys time out while the others go on.
import t from 'tap';
import { simProgram } from './bind.js';
import { Simulation } from './sim.js';
import { toyKv, ownerOf } from './toy_kv.js';
import type { HistoryEvent } from '../client/history.js';
import type { SimClientLoad, SimFault, SimLink, SimOptions, SimOutcome } from './types.js';

const program = simProgram(toyKv, null);
const LOSSY: SimLink = { dropRate: 0.05, dupRate: 0.05, delayMs: 2, jitterMs: 1.5, damageRate: 0.02 };
const LOAD: SimClientLoad['load'] = {
  keys: 12,
  getShare: 0.4,
  deleteShare: 0.2,
  read: 'index',
  valueSize: 0,
  keyDist: 'uniform',
  zipfExponent: 1,
};

function run(seed: string, o: { faults?: SimFault[]; routing?: 'leader' | 'per-key'; link?: SimLink } = {}): SimOutcome {
  const opts: SimOptions = {
    seed,
    ranks: 3,
    clusterId: 'toy-kv',
    loadMs: 1000,
    faults: o.faults ?? [],
    link: o.link ?? LOSSY,
    trace: false,
    clients: { clients: 5, load: LOAD, deadlineMs: 200, attemptMs: 40, backoffMs: 5, ...(o.routing ? { routing: o.routing } : {}) },
  };
  return program.run(opts);
}

const text = (o: SimOutcome): string => o.history?.toJsonl() ?? '';
const KILL: SimFault[] = [
  { action: 'kill', target: { type: 'rank', rank: 1 }, atMs: 300 },
  { action: 'restart', target: { type: 'rank', rank: 1 }, atMs: 600 },
];

t.test('the same seed replays the same history, byte for byte', async (t) => {
  const a = text(run('7', { faults: KILL, routing: 'per-key' }));
  t.ok(a.split('\n').length > 200, 'a history of some length');
  t.equal(text(run('7', { faults: KILL, routing: 'per-key' })), a, 'seed 7 again: identical');
  t.not(text(run('8', { faults: KILL, routing: 'per-key' })), a, 'another seed: another history');
});

t.test('per-key routing learns where each key lives; results reach the history', async (t) => {
  const clean: SimLink = { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0, damageRate: 0 };
  const leader = run('3', { link: clean, routing: 'leader' });
  const perKey = run('3', { link: clean, routing: 'per-key' });
  const l = leader.clientStats;
  const p = perKey.clientStats;
  t.ok(l !== undefined && p !== undefined && p.ok > 0 && l.ok > 0, 'both loads completed ops');
  // every client meets every key's not-leader once at most (5 clients × 12 keys × 2 routes), not once per op
  t.ok((p?.retries ?? Infinity) <= 5 * 12 * 2, `per-key: ${p?.retries} retries for ${p?.ok} ops`);
  t.ok((l?.retries ?? 0) > 3 * (p?.retries ?? 0), `one leader guess keeps bouncing: ${l?.retries} retries`);
  const events = perKey.history?.events ?? [];
  const results = new Set(events.map((e) => `${e.f}:${e.result ?? '-'}`));
  for (const r of ['put:created', 'put:updated', 'delete:deleted', 'delete:notFound', 'get:-']) t.ok(results.has(r), `${r} recorded`);
  t.notOk(
    events.some((e) => e.type !== 'ok' && e.result !== undefined),
    'only ok completions carry a result',
  );
});

t.test("a killed rank's keys time out; the other ranks' keys go on", async (t) => {
  const out = run('5', { faults: [{ action: 'kill', target: { type: 'rank', rank: 1 }, atMs: 300 }], routing: 'per-key' });
  const events = out.history?.events ?? [];
  const late = events.filter((e) => e.time > 320);
  const onKilled = (e: HistoryEvent): boolean => ownerOf(e.key, 3) === 1;
  t.ok(
    late.some((e) => e.type === 'ok' && !onKilled(e)),
    'ops on live ranks complete after the kill',
  );
  t.notOk(
    late.some((e) => e.type === 'ok' && onKilled(e) && e.time > 310),
    'no op of the killed rank completes',
  );
  t.ok(
    late.some((e) => e.type === 'info' && onKilled(e)),
    "the killed rank's ops end unknown at their deadline",
  );
  t.equal(out.ranks[1]?.end, 'killed');
});

t.test('scripted clients: no load op before startAtMs; an issued op completes; a filtered client reaches nobody', async (t) => {
  const opts = (clients: SimOptions['clients']): SimOptions => ({
    seed: '9',
    ranks: 3,
    clusterId: 'toy-kv',
    loadMs: 1000,
    faults: [],
    link: { dropRate: 0, dupRate: 0, delayMs: 1, jitterMs: 0, damageRate: 0 },
    trace: false,
    ...(clients !== undefined ? { clients } : {}),
  });
  const late = new Simulation(toyKv, null, opts({ clients: 2, load: LOAD, deadlineMs: 200, startAtMs: 400, routing: 'per-key' }));
  late.runUntil(600);
  const first = late.kvClients().history.events[0];
  t.ok(first !== undefined && first.time >= 400, `the load's first op begins at ${first?.time} ms, not before 400`);
  const sim = new Simulation(
    toyKv,
    null,
    opts({ clients: 2, load: LOAD, deadlineMs: 200, attemptMs: 40, stopAtMs: 0, routing: 'per-key' }),
  );
  const k = sim.kvClients();
  k.tap = (client) => client === 1;
  k.issue(0, { f: 'put', key: 'k1', value: 'a' });
  k.issue(1, { f: 'put', key: 'k2', value: 'b' });
  t.throws(() => k.issue(0, { f: 'get', key: 'k1', read: 'index' }), /not an idle client/, 'one op at a time per client');
  sim.runUntil(500);
  t.same(
    k.history.events.filter((e) => e.type !== 'invoke').map((e) => [e.process, e.type]),
    [
      [0, 'ok'],
      [1, 'info'],
    ],
    'client 0 done; client 1, filtered, ends unknown at its deadline',
  );
  t.ok(k.idle(), 'and no more ops: the load never started (stopAtMs 0)');
});
