// report: `csplab report <log-dir> [-o report.html]`, one self-contained HTML page of a run
// (docs/report.md). Thin: load.ts reads and checks the logs, html.ts writes the page.
import { writeFileSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT, fromSystemError, usageError } from '../exit.js';
import { buildReport } from './load.js';
import { renderHtml } from './html.js';

export interface ReportArgs {
  logDir?: string;
  output: string;
  exitStatus?: number;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <log-dir>',
  describe: "write one offline HTML page of a run: commits/s, roles, faults, the checker's verdict, and the messages when traces exist",
  builder: (y: Argv) =>
    y
      .positional('log-dir', { type: 'string', describe: 'a run’s log directory (csplab run or csplab sim --log-dir)' })
      .option('output', { alias: 'o', type: 'string', default: 'report.html', describe: 'the HTML file to write' })
      .example('$0 report log', 'write report.html for the run in log/')
      .example('$0 report /tmp/sim1 -o sim1.html', 'a simulated run, with its space-time diagram'),
  handler: async (argv: ArgumentsCamelCase<ReportArgs>) => {
    argv.exitStatus = await runReport(argv, (text) => process.stdout.write(text));
  },
};

/** runReport writes the page and says where; the status is 0 even when the run failed its check (the page shows why). */
export async function runReport(argv: ReportArgs, write: (text: string) => void): Promise<number> {
  const dir = argv.logDir ?? '';
  if (dir === '') throw usageError('report needs a log directory');
  if (argv.output === '') throw usageError('--output needs a file name');
  const data = await buildReport(dir);
  const page = renderHtml(data);
  try {
    writeFileSync(argv.output, page);
  } catch (e) {
    throw fromSystemError(e, argv.output) ?? e;
  }
  const traced = data.hasTraces ? `${data.messageCount} messages` : 'no traces';
  const history = data.kv === null ? '' : `, ${data.kv.opCount} client ops ${data.kv.verdict}`;
  write(
    `${argv.output}: ${data.ranks} ranks, ${data.totalCommits.reduce((a, b) => a + b, 0)} commits, ${traced}${history}, check ${data.verdict}\n`,
  );
  return EXIT.ok;
}
