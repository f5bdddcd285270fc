// table: the end-of-run summary, one row per rank; a rank that died unplanned fails the run.
import type { RankProc } from './launcher.js';

export function formatTable(procs: readonly RankProc[], testSeconds: number): { table: string; failed: boolean } {
  let failed = false;
  const rows = procs.map((p) => {
    let status: string;
    if (p.incarnation < 0) {
      status = 'never started';
    } else if (p.state === 'killed') {
      // only a fault kills: a planned death
      status = 'killed (planned)';
    } else if (p.exitCode === 0) {
      status = 'ok';
    } else {
      failed = true;
      const why = p.errorLine ?? p.lastLine; // its `csplab: …` line, not the "Try --help" after it
      status = p.signal ? `died: ${p.signal}` : `exit ${p.exitCode}${why ? ` — ${why}` : ''}`;
    }
    const rate = (p.commits / testSeconds).toFixed(0);
    return `${String(p.rank).padStart(4)}  ${String(p.incarnation < 0 ? '-' : p.incarnation).padStart(11)}  ${String(p.commits).padStart(8)}  ${rate.padStart(9)}  ${status}`;
  });
  const head = `rank  incarnation   commits  commits/s  status`;
  return { table: `${head}\n${rows.join('\n')}\n`, failed };
}
