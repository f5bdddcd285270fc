// lab: a teaching lab on a protocol (`csplab lab init`, `csplab grade`; docs/labs/README.md).
// A protocol's registry entry names its lab; the CLI builds the student's project from it and
// grades the student's core by it. The lab says what the student writes and how each part is
// tested; the CLI does the compiling, the child processes, the sweeps, the real runs and the score.

/** LabFile: a file of the reference copied into the student's project (paths: the repo's, the project's). */
export interface LabFile {
  readonly from: string;
  readonly to: string;
}

/**
 * LabStub: a decision function the student writes. In the skeleton its body throws "not
 * implemented"; `contract` says what it must do and goes above the throw.
 */
export interface LabStub {
  /** file: the project path it is in; name: `Class.method` or a function's name. */
  readonly file: string;
  readonly name: string;
  readonly part: number;
  readonly contract: string;
}

/** LinkFaults: a sweep's faults on every link (docs/faults.md's flags), or the seed's nemesis schedule. */
export type LabSchedule = 'nemesis' | { readonly drop?: number; readonly dup?: number; readonly delay?: string; readonly skew?: string };

/** LabSweep: one seeded simulator run per seed (published and hidden), each graded by the checker. */
export interface LabSweep {
  readonly name: string;
  /** o, l, t: the common flags; the rest: the protocol's own (e.g. window: 64). */
  readonly flags: { readonly o: number; readonly l: number; readonly t: number } & Readonly<Record<string, number | boolean>>;
  readonly schedule: LabSchedule;
  /** minCommits: the best rank must commit at least this many (a throughput bar); 1 when unset. */
  readonly minCommits?: number;
  /** seeds: this sweep's own seeds (only these run, hidden seeds too are left out); unset: the lab's published seeds plus the hidden ones. */
  readonly seeds?: readonly number[];
}

/** LabRealRun: a real cluster of OS processes (`csplab run` with these flags, then `csplab check`). */
export interface LabRealRun {
  readonly name: string;
  readonly flags: { readonly o: number; readonly l: number; readonly t: number; readonly ranks: number };
}

/** LabPart: one graded part; its points are earned only when all its tests pass. */
export interface LabPart {
  readonly part: number;
  readonly title: string;
  readonly points: number;
  /** timeLimitSec: the child process running the part is killed after it (a hung core fails, never hangs the grader). */
  readonly timeLimitSec: number;
  /** unit: the part's unit tests, by name (Lab.unitTest runs one). */
  readonly unit: readonly string[];
  readonly sweeps: readonly LabSweep[];
  readonly real?: LabRealRun;
}

/** Lab: a protocol's teaching lab. */
export interface Lab {
  readonly name: string;
  /** handout: the repo path of the handout (docs/labs/<lab>.md), copied into the project as HANDOUT.md. */
  readonly handout: string;
  readonly files: readonly LabFile[];
  /** rewrite: import specifiers of the reference rewritten in the copies (the project has no runtime/). */
  readonly rewrite: Readonly<Record<string, string>>;
  readonly stubs: readonly LabStub[];
  readonly parts: readonly LabPart[];
  /** seeds: the published seeds of every sweep (the handout lists them). */
  readonly seeds: readonly number[];
  /** unitTest runs the named unit test against the core compiled into build; it throws on a failure. */
  unitTest(name: string, build: string): Promise<void>;
}
