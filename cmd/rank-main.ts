#!/usr/bin/env node
// rank-main: the entry `csplab run` spawns each rank process through (`node rank-main.js <rank
// flags>`, the flags of `csplab rank`). yargs is ~15 MiB of a rank's RSS (its help layout loads
// string-width and ICU segmenter data at import), a fifth of a Paxos rank at start (issue 20), and
// the launcher's argv never needs more than a plain parse: so the flags `csplab rank` declares
// (rankCommand's builder, run against a recorder) are parsed here with node:util's parseArgs.
// Anything that parse does not take as it is (an unknown or repeated flag, a bad choice, a missing
// value, --help) goes to the full command line instead, which answers it exactly as `csplab rank`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Argv, Options } from 'yargs';
import { failed } from './exit.js';
import { rankCommand, type RankArgs } from './rank.js';

/** Declared: the options `csplab rank` declares, by name, as yargs would read them. */
export type Declared = ReadonlyMap<string, Options>;

/** declaredRankOptions runs the rank command's builder against a recorder of its .option calls. */
export function declaredRankOptions(): Declared {
  const options = new Map<string, Options>();
  const recorder: unknown = new Proxy(
    {},
    {
      get: (_, method) => (method === 'option' ? (name: string, o: Options) => (options.set(name, o), recorder) : () => recorder), // .example and the like: nothing a parse needs
    },
  );
  (rankCommand.builder as (y: Argv) => unknown)(recorder as Argv);
  return options;
}

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** NUMBER: what yargs reads as a number in an untyped option (its parse-numbers rule, decimal and hex). */
const NUMBER = /^(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]+)$/i;

/**
 * leanParse reads argv as yargs would for these options, or returns undefined where it might not
 * (then the caller asks yargs): keys in both spellings, defaults filled, untyped values that look
 * like numbers as numbers.
 */
export function leanParse(argv: readonly string[], declared: Declared): Record<string, unknown> | undefined {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  const negated = new Map<string, boolean>();
  const args: string[] = [];
  for (const [name, o] of declared) {
    const short = name.length === 1 ? name : typeof o.alias === 'string' && o.alias.length === 1 ? o.alias : undefined;
    options[name] = {
      type: o.type === 'boolean' ? 'boolean' : 'string',
      multiple: o.type === 'array' || o.array === true,
      ...(short ? { short } : {}),
    };
  }
  for (const arg of argv) {
    const no = arg.startsWith('--no-') ? arg.slice(5) : undefined;
    if (no !== undefined && declared.get(no)?.type === 'boolean' && !negated.has(no)) negated.set(no, false);
    else args.push(arg);
  }
  let values: Record<string, unknown>;
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
    const seen = new Set<string>();
    for (const tok of parsed.tokens) {
      if (tok.kind !== 'option') continue;
      if ((seen.has(tok.name) && options[tok.name]?.multiple !== true) || negated.has(tok.name)) return undefined; // yargs names a repeat
      seen.add(tok.name);
    }
    values = { ...parsed.values, ...Object.fromEntries(negated) };
  } catch {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [name, o] of declared) {
    let v: unknown = values[name] ?? (o.default as unknown);
    if (v === undefined) continue;
    if (o.choices !== undefined && !(o.choices as readonly unknown[]).includes(v)) return undefined;
    if (o.type === undefined && typeof v === 'string' && NUMBER.test(v)) v = Number(v);
    out[name] = v;
    out[camel(name)] = v;
    if (typeof o.alias === 'string') out[o.alias] = v;
  }
  return out;
}

/** rankMain runs one rank from its flags: parsed here when plain, else by the full command line. */
export async function rankMain(argv: readonly string[]): Promise<number> {
  const args = leanParse(argv, declaredRankOptions());
  if (args === undefined) return (await import('./main.js')).main(['rank', ...argv]);
  try {
    await (rankCommand.handler as (a: RankArgs) => Promise<void>)(args as unknown as RankArgs);
    return (args as { exitStatus?: number }).exitStatus ?? 0;
  } catch (e) {
    return failed(e);
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/.*[\\/]/, '/'))) {
  rankMain(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => (process.exitCode = failed(e)),
  );
}
