// load_flags: the client load's flags, shared by `csplab kv run` (real clients over TCP) and
// `csplab sim --clients` (simulated clients), so one load reads the same in both
// (runtime/client/load.ts draws it). Bad values are usage errors (exit 2).
import type { Argv } from 'yargs';
import { DEFAULT_ZIPF_EXPONENT, loadProblem, MAX_VALUE_SIZE, type KeyDist, type LoadOptions } from '../../runtime/client/load.js';
import type { ReadMode } from '../../runtime/client/wire.js';
import { usageError } from '../exit.js';
import { numberFlag, numeric } from '../flags.js';

/** LoadArgs: the load flags as yargs hands them over. */
export interface LoadArgs {
  kvKeys: number | string;
  getShare: number | string;
  deleteShare: number | string;
  valueSize: number | string;
  keyDist: string;
  zipfExponent: number | string;
  read: string;
  deadline: number | string;
}

/** loadOptions adds the load flags (not --clients, whose default differs between the commands). */
export function loadOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('kv-keys', numeric('keys the clients write and read', 8))
    .option('get-share', numeric('fraction of ops that are gets', 0.5))
    .option('delete-share', numeric('fraction of ops that are deletes (the rest, after gets and deletes, are puts of unique values)', 0))
    .option('value-size', numeric(`pad each put's unique value to this many characters (0: unpadded; at most ${MAX_VALUE_SIZE})`, 0))
    .option('key-dist', {
      choices: ['uniform', 'zipf'],
      default: 'uniform',
      describe: 'how keys are drawn: all equally likely, or Zipf-skewed (a few hot keys; see --zipf-exponent)',
    })
    .option('zipf-exponent', numeric('s of --key-dist zipf: key i drawn with probability ∝ 1/(i+1)^s', DEFAULT_ZIPF_EXPONENT))
    .option('read', {
      choices: ['index', 'lease', 'log'],
      default: 'index',
      describe: 'how gets are answered: ReadIndex, a leader lease (--lease-reads), or through the log',
    })
    .option('deadline', numeric('seconds one op may take before its outcome is unknown (:info)', 2));
}

/** readLoad validates the load flags; deadlineMs is --deadline in ms. */
export function readLoad(a: LoadArgs): { load: LoadOptions; deadlineMs: number } {
  const load: LoadOptions = {
    keys: numberFlag('--kv-keys', a.kvKeys, 1, 1e6, true),
    getShare: numberFlag('--get-share', a.getShare, 0, 1),
    deleteShare: numberFlag('--delete-share', a.deleteShare, 0, 1),
    valueSize: numberFlag('--value-size', a.valueSize, 0, MAX_VALUE_SIZE, true),
    keyDist: a.keyDist as KeyDist,
    zipfExponent: numberFlag('--zipf-exponent', a.zipfExponent, 0.001, 10),
    read: a.read as ReadMode,
  };
  if (load.getShare + load.deleteShare > 1)
    throw usageError(`--get-share ${load.getShare} and --delete-share ${load.deleteShare} add up to more than 1`);
  const problem = loadProblem(load);
  if (problem !== undefined) throw usageError(problem);
  return { load, deadlineMs: numberFlag('--deadline', a.deadline, 0.05, 60) * 1000 };
}
