// launcher: the rank processes of one `csplab run`. It spawns them, reads their JSON events
// (round changes, progress, summary) from stdout, prefixes and forwards their stderr, sends
// the fault signals (SIGKILL, SIGSTOP/SIGCONT) and knows which exits were planned.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type RankState = 'pending' | 'running' | 'paused' | 'killed' | 'exited';

export interface RankProc {
  rank: number;
  incarnation: number;
  state: RankState;
  child?: ChildProcess;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** planned: the launcher killed it on purpose (a fault), so its death is not a failure. */
  planned: boolean;
  commits: number;
  round: number;
  /** summary: the rank's last summary event (commits, CPU, peak RSS), if it sent one. */
  summary?: Record<string, unknown>;
  lastLine?: string;
  /** errorLine: the first `csplab: …` line this incarnation wrote to stderr (why it failed). */
  errorLine?: string;
  /** ready: this incarnation reported it is listening. */
  ready: boolean;
}

export interface LauncherOptions {
  ranks: number;
  /** command builds the argv (after node) for one incarnation of a rank; held: with --hold (see prepare). */
  command: (rank: number, incarnation: number, held: boolean) => string[];
  /** onReady is called when a rank reports it is listening. */
  onReady?: (rank: number) => void;
  /** onExit is called when an incarnation's process has exited (its state already updated). */
  onExit?: (rank: number) => void;
  /** stderrLine receives each stderr line of a rank (already prefixed by the caller's choice). */
  stderrLine: (rank: number, line: string) => void;
}

export class Launcher {
  readonly procs: RankProc[];
  /** maxRound and its leader, from the newest round event of any rank. */
  maxRound = -1;
  maxRoundLeader: number | undefined;
  private lastKilled: number | undefined;
  private exits: Promise<void>[] = [];
  /** standby: per rank, its next incarnation, booted by prepare() and held until spawnRank. */
  private standby = new Map<number, { incarnation: number; child: ChildProcess }>();

  constructor(private readonly o: LauncherOptions) {
    this.procs = Array.from({ length: o.ranks }, (_, rank) => ({ rank, incarnation: -1, state: 'pending', exitCode: null, signal: null, planned: false, commits: 0, round: -1, ready: false }));
  }

  /**
   * spawnRank starts the next incarnation of rank (0 the first time): the one prepare() has
   * booted and held, if any (it starts at once), else a new process (which first has to boot).
   */
  spawnRank(rank: number): void {
    const p = this.procs[rank]!;
    if (p.state === 'running' || p.state === 'paused') throw new Error(`rank ${rank} is already running`);
    p.incarnation++;
    p.state = 'running';
    p.planned = false;
    p.exitCode = null;
    p.signal = null;
    p.ready = false;
    p.errorLine = undefined;
    const standby = this.standby.get(rank);
    this.standby.delete(rank);
    if (standby?.incarnation === p.incarnation && standby.child.exitCode === null && standby.child.signalCode === null) {
      p.child = standby.child;
      this.tell(rank, JSON.stringify({ go: true }));
      return;
    }
    standby?.child.stdin?.end(); // for another incarnation: let it go
    p.child = this.spawnChild(p, p.incarnation, false);
  }

  /**
   * prepare boots rank's next incarnation now and holds it (`csplab rank --hold`: modules
   * loaded, log dir untouched, not listening) until spawnRank starts it. Booting takes seconds on
   * a busy machine, so a late start or a restart spawned only at its time would begin late.
   */
  prepare(rank: number): void {
    const p = this.procs[rank]!;
    if (this.standby.has(rank)) return;
    const incarnation = p.incarnation + 1;
    this.standby.set(rank, { incarnation, child: this.spawnChild(p, incarnation, true) });
  }

  /** dropStandbys lets every held process that was never started exit (it touched nothing). */
  dropStandbys(signal?: NodeJS.Signals): void {
    for (const { child } of this.standby.values()) {
      if (signal) child.kill(signal);
      else child.stdin?.end();
    }
    this.standby.clear();
  }

  /** spawnChild starts one process of rank; only the one in p.child speaks for the rank. */
  private spawnChild(p: RankProc, incarnation: number, held: boolean): ChildProcess {
    const rank = p.rank;
    const child = spawn(process.execPath, this.o.command(rank, incarnation, held), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {}); // a rank that died before reading its start time
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (p.child === child) this.onEvent(p, line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (p.child === child) {
        p.lastLine = line;
        if (p.errorLine === undefined && line.startsWith('csplab: ')) p.errorLine = line;
      }
      this.o.stderrLine(rank, line);
    });
    this.exits.push(
      new Promise<void>((resolve) => {
        child.on('error', (e) => {
          if (p.child === child) p.lastLine = `could not start: ${e.message}`;
        });
        child.on('close', (code, signal) => {
          if (p.child !== child) return resolve(); // an earlier incarnation, or a held one never started
          p.exitCode = code;
          p.signal = signal;
          if (p.state !== 'killed') p.state = 'exited';
          resolve();
          this.o.onExit?.(rank);
        });
      }),
    );
    return child;
  }

  private onEvent(p: RankProc, line: string): void {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not an event: ignore (ranks print events only)
    }
    if (ev.type === 'ready') {
      p.ready = true;
      this.o.onReady?.(p.rank);
    }
    if (ev.type === 'summary') p.summary = ev;
    if (typeof ev.commits === 'number') p.commits = ev.commits;
    if (ev.type === 'round' && typeof ev.round === 'number' && typeof ev.leader === 'number') {
      p.round = ev.round;
      this.roundStarted(ev.round, ev.leader);
    }
  }

  private roundStarted(round: number, leader: number): void {
    if (round > this.maxRound) {
      this.maxRound = round;
      this.maxRoundLeader = leader;
    }
  }

  /**
   * leader is the rank leading the newest round: the newest any rank reported, or the one the
   * slot clock says has begun (a report may trail the slot boundary by a few ms).
   */
  leader(expected?: { round: number; leader: number }): number | undefined {
    if (expected && expected.round > this.maxRound) return expected.leader;
    return this.maxRoundLeader;
  }

  /** killed is the rank most recently killed by a fault (for `--restart killed@…`). */
  killed(): number | undefined {
    return this.lastKilled;
  }

  /** tell writes one line to a rank's stdin (its start time). */
  tell(rank: number, line: string): void {
    const c = this.procs[rank]!.child;
    if (c?.stdin?.writable) c.stdin.write(`${line}\n`);
  }

  kill(rank: number): void {
    const p = this.procs[rank]!;
    if (p.state !== 'running' && p.state !== 'paused') return;
    p.planned = true;
    p.state = 'killed';
    this.lastKilled = rank;
    p.child?.kill('SIGKILL');
  }

  pause(rank: number): void {
    const p = this.procs[rank]!;
    if (p.state !== 'running') return;
    p.state = 'paused';
    p.child?.kill('SIGSTOP');
  }

  resume(rank: number): void {
    const p = this.procs[rank]!;
    if (p.state !== 'paused') return;
    p.state = 'running';
    p.child?.kill('SIGCONT');
  }

  /** terminate asks every live rank to stop (resuming paused ones so they can), held ones too. */
  terminate(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.dropStandbys(signal);
    for (const p of this.procs) {
      if (p.state === 'paused') {
        p.child?.kill('SIGCONT');
        p.state = 'running';
      }
      if (p.state === 'running') p.child?.kill(signal);
    }
  }

  /** settled resolves when every spawned process so far has exited. */
  async settled(): Promise<void> {
    let seen = 0;
    while (seen < this.exits.length) {
      const batch = this.exits.slice(seen);
      seen = this.exits.length;
      await Promise.all(batch);
    }
  }

  /** live counts ranks still running or paused. */
  live(): number {
    return this.procs.filter((p) => p.state === 'running' || p.state === 'paused').length;
  }
}
