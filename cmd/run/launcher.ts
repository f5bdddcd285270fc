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
  /** command builds the argv (after node) for one incarnation of a rank. */
  command: (rank: number, incarnation: number) => string[];
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

  constructor(private readonly o: LauncherOptions) {
    this.procs = Array.from({ length: o.ranks }, (_, rank) => ({ rank, incarnation: -1, state: 'pending', exitCode: null, signal: null, planned: false, commits: 0, round: -1, ready: false }));
  }

  /** spawnRank starts the next incarnation of rank (0 the first time). */
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
    const child = spawn(process.execPath, this.o.command(rank, p.incarnation), { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {}); // a rank that died before reading its start time
    p.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => this.onEvent(p, line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      p.lastLine = line;
      if (p.errorLine === undefined && p.child === child && line.startsWith('csplab: ')) p.errorLine = line;
      this.o.stderrLine(rank, line);
    });
    this.exits.push(
      new Promise<void>((resolve) => {
        child.on('error', (e) => {
          p.lastLine = `could not start: ${e.message}`;
        });
        child.on('close', (code, signal) => {
          if (p.child !== child) return resolve();
          p.exitCode = code;
          p.signal = signal;
          if (p.state !== 'killed') p.state = 'exited';
          resolve();
          this.o.onExit?.(rank);
        });
      }),
    );
  }

  private onEvent(p: RankProc, line: string): void {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not an event: ignore (ranks print events only)
    }
    if (ev.ev === 'ready') {
      p.ready = true;
      this.o.onReady?.(p.rank);
    }
    if (ev.ev === 'summary') p.summary = ev;
    if (typeof ev.commits === 'number') p.commits = ev.commits;
    if (ev.ev === 'round' && typeof ev.round === 'number' && typeof ev.leader === 'number') {
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

  /** terminate asks every live rank to stop (resuming paused ones so they can). */
  terminate(signal: NodeJS.Signals = 'SIGTERM'): void {
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
