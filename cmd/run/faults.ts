// faults: the fault schedule of `csplab run`, parsed from flags like `--kill leader@2`,
// `--pause 3@1.5:2`, `--start 4@2`, `--restart killed@3`. Times are seconds after round 0.
import { defined } from '../../runtime/assert.js';
import { usageError } from '../exit.js';

export type Target = { type: 'rank'; rank: number } | { type: 'leader' } | { type: 'killed' };

export type FaultAction =
  | { action: 'kill'; target: Target; atMs: number }
  | { action: 'pause'; target: Target; atMs: number; durationMs: number }
  | { action: 'start'; target: Target; atMs: number }
  | { action: 'restart'; target: Target; atMs: number };

const SPEC = /^(\w+)@(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$/;

function target(flag: string, text: string, ranks: number, allowed: readonly string[]): Target {
  if (allowed.includes(text)) return { type: text as 'leader' | 'killed' };
  if (/^\d+$/.test(text)) {
    const rank = Number(text);
    if (rank >= ranks) throw usageError(`${flag} ${text}: rank must be < ${ranks}`);
    return { type: 'rank', rank };
  }
  throw usageError(`${flag}: expected a rank${allowed.length ? ` or ${allowed.join('/')}` : ''}, got ${JSON.stringify(text)}`);
}

/** parseFault reads one fault flag's value. */
export function parseFault(action: FaultAction['action'], text: string, ranks: number): FaultAction {
  const flag = `--${action}`;
  const m = SPEC.exec(text.trim());
  const shape =
    action === 'pause'
      ? '<rank|leader>@<s>:<duration s>'
      : action === 'restart'
        ? '<rank|killed>@<s>'
        : action === 'start'
          ? '<rank>@<s>'
          : '<rank|leader>@<s>';
  if (!m) throw usageError(`${flag}: expected ${shape}, got ${JSON.stringify(text)}`);
  const who = defined(m[1], 'the target group of SPEC is not optional');
  const atMs = Number(m[2]) * 1000;
  if (action === 'pause') {
    if (m[3] === undefined) throw usageError(`${flag}: expected ${shape} (the pause needs a duration), got ${JSON.stringify(text)}`);
    return { action, target: target(flag, who, ranks, ['leader']), atMs, durationMs: Number(m[3]) * 1000 };
  }
  if (m[3] !== undefined) throw usageError(`${flag}: expected ${shape}, got ${JSON.stringify(text)}`);
  const allowed = action === 'kill' ? ['leader'] : action === 'restart' ? ['killed'] : [];
  return { action, target: target(flag, who, ranks, allowed), atMs };
}

/** parseFaults reads every fault flag (each may repeat) into one schedule ordered by time. */
export function parseFaults(flags: Partial<Record<FaultAction['action'], string[] | string>>, ranks: number): FaultAction[] {
  const out: FaultAction[] = [];
  for (const action of ['kill', 'pause', 'start', 'restart'] as const) {
    const v = flags[action];
    for (const text of v === undefined ? [] : Array.isArray(v) ? v : [v]) out.push(parseFault(action, String(text), ranks));
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}
