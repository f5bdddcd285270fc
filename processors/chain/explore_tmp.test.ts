import t from 'tap';
import { checkLinearizable, parseHistoryText } from '../../check/lin/index.js';
import { DEFAULT_CHAIN_OPTIONS } from './options.js';
import { simulateChain } from './entry.js';

t.test('explore', async (t) => {
  const program = await simulateChain(DEFAULT_CHAIN_OPTIONS, 1024);
  for (const s of [Number(process.env.S ?? 14)]) {
    const seed = String(s);
    const victim = 1 + (s % 5);
    const o = program.run({
      seed,
      ranks: 6,
      clusterId: `chain-${seed}`,
      loadMs: 10000,
      faults: [
        { action: 'kill', target: { type: 'rank', rank: victim }, atMs: 1500 + ((s * 37) % 1000) },
        { action: 'restart', target: { type: 'rank', rank: victim }, atMs: 4500 },
        {
          action: 'partition',
          groups: [
            [{ type: 'rank', rank: 1 + ((s + 2) % 5) }],
            [0, 1, 2, 3, 4, 5].filter((r) => r !== 1 + ((s + 2) % 5)).map((rank) => ({ type: 'rank' as const, rank })),
          ],
          atMs: 6000,
          durationMs: 1500,
        },
        ...(s % 3 === 0
          ? [
              { action: 'kill' as const, target: { type: 'rank' as const, rank: 0 }, atMs: 3000 },
              { action: 'restart' as const, target: { type: 'rank' as const, rank: 0 }, atMs: 3500 },
            ]
          : []),
      ],
      link: { dropRate: 0.03, dupRate: 0.03, delayMs: 1, jitterMs: 3, damageRate: 0.01 },
      trace: false,
      clients: {
        clients: 8,
        load: { keys: 10, getShare: 0.4, deleteShare: 0.1, read: 'log', valueSize: 0, keyDist: 'uniform', zipfExponent: 0.99 },
        deadlineMs: 3000,
        routing: 'per-key',
      },
    });
    const lin = checkLinearizable(parseHistoryText(o.history?.toJsonl() ?? '', 'kv'), 'kv');
    const m = o.ranks[0]?.summary;
    t.comment(
      `seed ${seed}: ${lin.verdict} ok=${o.clientStats?.ok} info=${o.clientStats?.info} problems=${o.problems.length} epoch=${m?.epoch} lost=${m?.lostRanges}`,
    );
    for (const r of o.ranks)
      for (const l of r.lines.filter((x) => !x.startsWith('apply')).slice(-14)) t.comment(`${r.rank}: ${l.slice(0, 220)}`);
    t.same(o.problems, [], `seed ${seed} problems`);
    t.equal(lin.verdict, 'linearizable', `seed ${seed}`);
  }
});
