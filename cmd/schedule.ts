// schedule: the fault-schedule file `csplab run --schedule` and `csplab sim --schedule` both
// read (docs/faults.md): one JSON object whose keys are the fault flags and whose values are
// what those flags take, so a schedule moves between a simulated run and a real one, and a
// shrunk schedule (`sim --shrink`) is written in the same form.
import { readFileSync } from 'node:fs';
import { usageError } from './exit.js';

/** ScheduleSpec: a fault schedule as flag values (docs/faults.md's syntax). */
export interface ScheduleSpec {
  kill?: string[];
  pause?: string[];
  start?: string[];
  restart?: string[];
  partition?: string[];
  cut?: string[];
  /** starve: ranks descheduled again and again, as on a starved machine (the simulator only). */
  starve?: string[];
  drop?: number;
  dup?: number;
  delay?: string;
  skew?: string;
  /** damage: the share of messages that arrive as damaged frames (the simulator only). */
  damage?: number;
}

export const LIST_KEYS = ['kill', 'pause', 'start', 'restart', 'partition', 'cut', 'starve'] as const;

/** ScheduleFlags: the fault flags `run` and `sim` both take as text (the rest are numbers or sim-only). */
export type ScheduleFlags = Pick<ScheduleSpec, (typeof LIST_KEYS)[number] | 'skew'>;
const NUMBER_KEYS = ['drop', 'dup', 'damage'] as const;
const STRING_KEYS = ['delay', 'skew'] as const;

/** readSchedule reads and checks a schedule file; a bad one is a usage error naming the file. */
export function readSchedule(path: string): ScheduleSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw usageError(`--schedule ${path}: ${(e as Error).message}`);
  }
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    throw usageError(`--schedule ${path}: not JSON`);
  }
  return checkSchedule(x, `--schedule ${path}`);
}

/** checkSchedule checks a parsed schedule's shape (the specs themselves are parsed by cmd/run/faults.ts). */
export function checkSchedule(x: unknown, where: string): ScheduleSpec {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw usageError(`${where}: expected a JSON object of fault flags`);
  const out: ScheduleSpec = {};
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if ((LIST_KEYS as readonly string[]).includes(k)) {
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw usageError(`${where}: "${k}" must be a list of specs`);
      out[k as (typeof LIST_KEYS)[number]] = v;
    } else if ((NUMBER_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 0.5)) throw usageError(`${where}: "${k}" must be a probability in [0, 0.5]`);
      out[k as (typeof NUMBER_KEYS)[number]] = v;
    } else if ((STRING_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== 'string') throw usageError(`${where}: "${k}" must be a string like the --${k} flag's`);
      out[k as (typeof STRING_KEYS)[number]] = v;
    } else {
      throw usageError(`${where}: unknown key "${k}" (one of ${[...LIST_KEYS, ...NUMBER_KEYS, ...STRING_KEYS].join(', ')})`);
    }
  }
  return out;
}

/**
 * withSchedule merges a schedule into the command's flags: its fault lists join the flags'
 * lists; a whole-run value (drop, dup, delay, skew, damage) set by a flag off its default wins
 * over the file's.
 */
export function withSchedule<A extends object>(a: A, spec: ScheduleSpec): A {
  const out = { ...a } as Record<string, unknown>;
  const given = a as Record<string, unknown>;
  for (const k of LIST_KEYS) {
    const list = [...((given[k] as string[] | undefined) ?? []), ...(spec[k] ?? [])];
    if (list.length > 0) out[k] = list;
  }
  for (const k of [...NUMBER_KEYS, ...STRING_KEYS] as const) {
    const flag = given[k];
    if ((flag === undefined || Number(flag) === 0) && spec[k] !== undefined) out[k] = spec[k];
  }
  return out as A;
}

/** formatSchedule writes a schedule file's text (stable key order). */
export function formatSchedule(spec: ScheduleSpec): string {
  const out: Record<string, unknown> = {};
  for (const k of [...LIST_KEYS, ...NUMBER_KEYS, ...STRING_KEYS]) {
    const v = spec[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}
