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
  read?: string;
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
      choices: [...RAFT_READS, ...VECTORY_READS],
      describe:
        'how gets are answered: ReadIndex (the default), a leader lease (--lease-reads), or through the log; ' +
        'Vectory: at any node, at the master, or either per get (mix, its default)',
    })
    .option('deadline', numeric('seconds one op may take before its outcome is unknown (:info)', 2));
}

/** RAFT_READS: the read modes of a single-leader store (TRaft, chain); VECTORY_READS: Vectory's (§9). */
const RAFT_READS = ['index', 'lease', 'log'] as const;
const VECTORY_READS = ['local', 'master', 'mix'] as const;

/** readMode: --read checked against the store's modes; Vectory's local and master reads mean nothing to a single-leader store. */
function readMode(read: string | undefined, vectory: boolean): ReadMode | 'mix' {
  const modes: readonly string[] = vectory ? VECTORY_READS : RAFT_READS;
  if (read === undefined) return vectory ? 'mix' : 'index';
  if (!modes.includes(read))
    throw usageError(`--read ${read} is not a read mode of ${vectory ? 'vectory' : 'this store'} (${modes.join(', ')})`);
  return read as ReadMode | 'mix';
}

/** readLoad validates the load flags (the read modes `vectory`'s, or a single-leader store's); deadlineMs is --deadline in ms. */
export function readLoad(a: LoadArgs, vectory = false): { load: LoadOptions; deadlineMs: number } {
  const load: LoadOptions = {
    keys: numberFlag('--kv-keys', a.kvKeys, 1, 1e6, true),
    getShare: numberFlag('--get-share', a.getShare, 0, 1),
    deleteShare: numberFlag('--delete-share', a.deleteShare, 0, 1),
    valueSize: numberFlag('--value-size', a.valueSize, 0, MAX_VALUE_SIZE, true),
    keyDist: a.keyDist as KeyDist,
    zipfExponent: numberFlag('--zipf-exponent', a.zipfExponent, 0.001, 10),
    read: readMode(a.read, vectory),
  };
  if (load.getShare + load.deleteShare > 1)
    throw usageError(`--get-share ${load.getShare} and --delete-share ${load.deleteShare} add up to more than 1`);
  const problem = loadProblem(load);
  if (problem !== undefined) throw usageError(problem);
  return { load, deadlineMs: numberFlag('--deadline', a.deadline, 0.05, 60) * 1000 };
}
