// kv-clients: the chain store under more clients in flight (issue 18): put-only at 64, 256 and
// 512 clients (and 512 with batched client frames), and tail-only against CRAQ reads on the one-hot-range Zipf load at 256 clients,
// where the hot tail has enough reads queued to be the busiest process. `BENCH_KV_ONLY=clients
// node dist/scripts/bench/kv.bench.js` runs these rows alone and writes the `kv-chain-clients`
// section. CPU per op (ranks from the run's start + the runner) is the figure a loaded machine
// moves least; ops/s are the load window's, whose first ~2 s the chain is still being configured.
import { CHAIN, kvRun, type Q, type Run } from './kv-run.js';
import { machine, writeSection } from './sections.js';

const ZIPF = ['--key-dist', 'zipf', '--zipf-exponent', '2'];
/** chainWith: the chain rows' store flags with another number of clients. */
const chainWith = (clients: number): string[] => CHAIN.map((f, i) => (CHAIN[i - 1] === '--clients' ? String(clients) : f));

type Row = { readonly name: string; readonly clients: number; readonly flags: string[]; readonly show: 'put' | 'get' };
const ROWS: readonly Row[] = [
  { name: 'put', clients: 64, flags: ['--get-share', '0'], show: 'put' },
  { name: 'put', clients: 256, flags: ['--get-share', '0'], show: 'put' },
  { name: 'put', clients: 512, flags: ['--get-share', '0'], show: 'put' },
  { name: 'put, batched frames', clients: 512, flags: ['--get-share', '0', '--batch-ms', '0'], show: 'put' },
  { name: 'get, tail reads', clients: 256, flags: ['--get-share', '1', ...ZIPF], show: 'get' },
  { name: 'get, CRAQ', clients: 256, flags: ['--get-share', '1', ...ZIPF, '--craq'], show: 'get' },
];

/** busiest: the largest share of the gets one node answered. */
function busiest(r: Run): string {
  const total = r.reads.reduce((a, b) => a + b, 0);
  return total > 0 ? `${((100 * Math.max(...r.reads)) / total).toFixed(0)}%` : '—';
}

/** line: one row of the table; cpu µs/op is the ranks' (from the run's start) + the runner's. */
function line(row: Row, r: Run, q: Q): string {
  const perOp = (ms: number | undefined): string => (ms !== undefined && r.kv.ok > 0 ? ((1000 * ms) / r.kv.ok).toFixed(0) : '—');
  const ms = (x: number | null): string => (x === null ? '—' : x.toFixed(1));
  const verdict = r.status === 0 ? 'linearizable' : `**exit ${r.status}**`;
  const cpu = `${perOp(r.cpuLoadMs)} + ${perOp(r.kv.runnerCpuMs)}`;
  const cells = [row.name, row.clients, `\`${row.flags.join(' ')}\``, q.opsPerS.toFixed(0), ms(q.p50Ms), ms(q.p99Ms)];
  return `| ${[...cells, r.kv.info, r.kv.retries, cpu, busiest(r), verdict, r.load.toFixed(1)].join(' | ')} |`;
}

/** clientsRows: the rows above and the `kv-chain-clients` section; false if a history was not linearizable. */
export async function clientsRows(): Promise<boolean> {
  const lines: string[] = [];
  const gets: number[] = [];
  let passed = true;
  for (const row of ROWS) {
    const r = await kvRun(row.flags, chainWith(row.clients));
    passed &&= r.status === 0;
    const q = row.show === 'get' ? r.kv.get : r.kv.put;
    if (row.show === 'get') gets.push(q.opsPerS);
    lines.push(line(row, r, q));
    process.stderr.write(`bench kv clients: ${lines.at(-1) ?? ''}\n`);
    if (r.status !== 0) process.stderr.write(r.stderr);
  }
  const ratio = ((gets[1] ?? 0) / Math.max(1, gets[0] ?? 0)).toFixed(2);
  writeSection(
    'kv-chain-clients',
    `## Chain KV under more clients in flight (\`kv.bench\`, \`BENCH_KV_ONLY=clients\`, issue 18)

\`csplab kv run ${chainWith(0).join(' ').replace('--clients 0', '--clients <n>')} -t 10\` plus the row's flags: the chain rows' store (the
master group, 5 nodes, chains of 3, 1 KiB values) with n clients, each one op outstanding (§9's single-entry
dedup), all in one runner process over one connection per rank (batched frames, \`--batch-ms 0\`, in the row that says so). The read rows are the \`kv-craq\` rows'
one-hot-range Zipf load (s = 2). CRAQ / tail-only gets/s at 256 clients: **${ratio}×**. "cpu µs/op": the ranks'
CPU from the run's start + the runner's, per ok op; "busiest node": the largest share of the gets one node
answered. Ops/s count the whole load window (-t minus the 2 s deadline), whose first ~2 s the master group is
still electing and installing the first configuration (no op completes). Machine: ${machine()}.

| ops | clients | flags | ops/s | p50 ms | p99 ms | info | retries | cpu µs/op | busiest node | history | load |
|---|---|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}`,
  );
  return passed;
}
