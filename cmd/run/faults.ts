// faults: the fault schedule of `csplab run`, parsed from flags like `--kill leader@2`,
// `--pause 3@1.5:2`, `--start 4@2`, `--restart killed@3`, `--partition 0,1|2,3,4@2:3`,
// `--cut 0>1@2:3`, and the whole-run link faults `--delay 50±25`, `--dup 0.1`, `--skew 2:300`.
// Times are seconds after round 0. The syntax is docs/faults.md.
import { defined } from '../../runtime/assert.js';
import { usageError } from '../exit.js';

export type Target = { type: 'rank'; rank: number } | { type: 'leader' } | { type: 'killed' };

export type FaultAction =
  | { action: 'kill'; target: Target; atMs: number }
  | { action: 'pause'; target: Target; atMs: number; durationMs: number }
  | { action: 'start'; target: Target; atMs: number }
  | { action: 'restart'; target: Target; atMs: number };

/** NetFaultAction: a partition or one-way cut of the network, for durationMs from atMs (docs/faults.md). */
export type NetFaultAction =
  | { action: 'partition'; groups: Target[][]; atMs: number; durationMs: number }
  | { action: 'cut'; from: Target[]; to: Target[]; atMs: number; durationMs: number };

/** LinkFlags: the faults on every link for the whole run, and the one rank whose clock is off. */
export interface LinkFlags {
  delayMs: number;
  jitterMs: number;
  dupRate: number;
  skew?: { rank: number; offsetMs: number };
}

const SPEC = /^([\w-]+)@(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$/;

function target(flag: string, text: string, ranks: number, allowed: readonly string[]): Target {
  // master-leader names the same rank as leader: with a replicated chain master, the rank that
  // reports itself leader is the master group's leader (chain nodes have no leader of their own).
  if (text === 'master-leader' && allowed.includes('leader')) return { type: 'leader' };
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

const WINDOW = /^(.+)@(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/;

/** members reads a comma list of ranks and `leader` (each once). */
function members(flag: string, text: string, ranks: number): Target[] {
  const out = text.split(',').map((m) => target(flag, m.trim(), ranks, ['leader']));
  const seen = out.map((m) => (m.type === 'rank' ? String(m.rank) : m.type));
  const twice = seen.find((m, i) => seen.indexOf(m) !== i);
  if (twice !== undefined) throw usageError(`${flag}: ${twice} is named twice in ${JSON.stringify(text)}`);
  return out;
}

/** parseNetFault reads one --partition or --cut value. */
export function parseNetFault(action: NetFaultAction['action'], text: string, ranks: number): NetFaultAction {
  const flag = `--${action}`;
  const shape = action === 'partition' ? '<ranks>|<ranks>[|…]@<s>:<duration s>' : '<ranks>><ranks>@<s>:<duration s>';
  const m = WINDOW.exec(text.trim());
  if (!m) throw usageError(`${flag}: expected ${shape}, got ${JSON.stringify(text)}`);
  const body = defined(m[1], 'WINDOW has a body');
  const atMs = Number(m[2]) * 1000;
  const durationMs = Number(m[3]) * 1000;
  if (durationMs <= 0) throw usageError(`${flag}: the duration must be > 0, got ${JSON.stringify(text)}`);
  if (action === 'partition') {
    const groups = body.split('|').map((g) => members(flag, g, ranks));
    if (groups.length < 2 && groups.flat().length === ranks) throw usageError(`${flag}: one group of every rank cuts nothing`);
    const named = groups.flat().map((m) => (m.type === 'rank' ? `rank ${m.rank}` : m.type));
    const twice = named.find((m, i) => named.indexOf(m) !== i);
    if (twice !== undefined) throw usageError(`${flag}: ${twice} is in two groups of ${JSON.stringify(text)}`);
    return { action, groups, atMs, durationMs };
  }
  const sides = body.split('>');
  if (sides.length !== 2) throw usageError(`${flag}: expected ${shape}, got ${JSON.stringify(text)}`);
  const [from, to] = sides.map((side) => members(flag, side, ranks)) as [Target[], Target[]];
  return { action, from, to, atMs, durationMs };
}

/** StarveAction: ranks descheduled again and again for durationMs from atMs (the simulator's alone, docs/faults.md). */
export type StarveAction = { action: 'starve'; ranks: Target[]; atMs: number; durationMs: number };

/** parseStarve reads one --starve value: <ranks>@<s>:<duration s>. */
export function parseStarve(text: string, ranks: number): StarveAction {
  const m = WINDOW.exec(text.trim());
  if (!m) throw usageError(`--starve: expected <ranks>@<s>:<duration s>, got ${JSON.stringify(text)}`);
  const durationMs = Number(m[3]) * 1000;
  if (durationMs <= 0) throw usageError(`--starve: the duration must be > 0, got ${JSON.stringify(text)}`);
  return { action: 'starve', ranks: members('--starve', defined(m[1], 'WINDOW has a body'), ranks), atMs: Number(m[2]) * 1000, durationMs };
}

/** parseNetFaults reads every --partition and --cut (each may repeat), ordered by time. */
export function parseNetFaults(flags: Partial<Record<NetFaultAction['action'], string[] | string>>, ranks: number): NetFaultAction[] {
  const out: NetFaultAction[] = [];
  for (const action of ['partition', 'cut'] as const) {
    const v = flags[action];
    for (const text of v === undefined ? [] : Array.isArray(v) ? v : [v]) out.push(parseNetFault(action, String(text), ranks));
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

const DELAY = /^(\d+(?:\.\d+)?)(?:(?:±|\+-|~)(\d+(?:\.\d+)?))?$/;

/** parseLinkFlags reads --delay <ms>[±<jitter ms>], --dup <p> and --skew <rank>:<±ms>. */
export function parseLinkFlags(a: { delay?: string; dup?: number; skew?: string }, ranks: number): LinkFlags {
  let delayMs = 0;
  let jitterMs = 0;
  if (a.delay !== undefined) {
    const m = DELAY.exec(String(a.delay).trim());
    if (!m) throw usageError(`--delay: expected <ms>[±<jitter ms>] (or <ms>+-<jitter>), got ${JSON.stringify(a.delay)}`);
    delayMs = Number(m[1]);
    jitterMs = m[2] === undefined ? 0 : Number(m[2]);
    if (jitterMs > delayMs) throw usageError(`--delay ${a.delay}: the jitter must not exceed the delay`);
  }
  const dupRate = a.dup ?? 0;
  if (!(typeof dupRate === 'number' && dupRate >= 0 && dupRate <= 0.5))
    throw usageError(`--dup: expected a probability in [0, 0.5], got ${JSON.stringify(a.dup)}`);
  if (a.skew === undefined) return { delayMs, jitterMs, dupRate };
  const m = /^(\d+):([+-]?\d+(?:\.\d+)?)$/.exec(String(a.skew).trim());
  if (!m) throw usageError(`--skew: expected <rank>:<ms> (ms may be negative), got ${JSON.stringify(a.skew)}`);
  const rank = Number(m[1]);
  if (rank >= ranks) throw usageError(`--skew ${a.skew}: rank must be < ${ranks}`);
  return { delayMs, jitterMs, dupRate, skew: { rank, offsetMs: Number(m[2]) } };
}
