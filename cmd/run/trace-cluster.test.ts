// trace-cluster.test: `csplab run --trace` on a real 5-process cluster writes one trace per rank
// (docs/trace.md) whose messages parse and whose commits are the instance log's.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertRulesPass, describe, keepOnFailure, runCluster } from '../testing/cluster.js';

const RANKS = 5;

t.test('--trace: a trace per rank, messages parse, commits match the instance logs', async (t) => {
  const c = await runCluster(t, { o: 1, l: 100, t: 3, extra: ['--trace'] });
  assertRulesPass(t, c);
  for (let r = 0; r < RANKS; r++) {
    const path = join(c.dir, `trace${r}.ndjson`);
    t.ok(existsSync(path), `rank ${r} wrote ${path} (${describe(c)})`);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    t.same(lines[0], { t: lines[0]?.t, ev: 'start', incarnation: 0 }, `rank ${r}'s trace opens with its start`);
    const messages = lines.filter((l) => l.ev === 'send' || l.ev === 'recv');
    const malformed = messages.filter(
      (l) => typeof l.t !== 'number' || typeof l.type !== 'string' || typeof l.from !== 'number' || typeof l.to !== 'number',
    );
    t.ok(messages.some((l) => l.ev === 'send') && messages.some((l) => l.ev === 'recv'), `rank ${r} traced sends and receives`);
    t.same(malformed, [], `rank ${r}'s message lines carry t, type, from and to`);
    const traced = lines.filter((l) => l.ev === 'commit').reduce((n, l) => n + (l.n as number), 0);
    const logged = readFileSync(join(c.dir, `instancelog${r}.log`), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('commit')).length;
    t.equal(traced, logged, `rank ${r}'s traced commits are its instance log's commit lines`);
    t.equal(lines.at(-1)?.ev, 'stop', `rank ${r}'s trace ends with its stop`);
  }
  keepOnFailure(t, c, 'trace');
});
