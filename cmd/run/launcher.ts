// launcher: the rank processes of one `csplab run`. It spawns them, reads their JSON events
// (round changes, progress, summary) from stdout, prefixes and forwards their stderr, and
// sends the fault signals (SIGKILL, SIGSTOP/SIGCONT). Each rank's life (planned, starting,
// ready, paused, killed, restarting, exited) is its lifecycle machine (lifecycle.ts): the
// launcher offers it the faults and the rank's reports, and does the process work it asks for.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { defined } from '../../runtime/assert.js';
import { createRankActor, offer, type RankActor, type RankEffects, type RankEvent, type RankState } from './lifecycle.js';
import { resolveLeader, type LeaderView } from './leader.js';

export class RankProc {
  readonly lifecycle: RankActor;
  child?: ChildProcess;
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  commits = 0;
  round = -1;
  /** claim: this incarnation's newest `lead` report (the round or term it leads, and whether it still does). */
  claim?: { round: number; leading: boolean };
  /** rssKiB: the newest incarnation's resident set, one a second from its progress events (RSS over time). */
  rssKiB: number[] = [];
  /** summary: the rank's last summary event (commits, CPU, peak RSS), if it sent one. */
  summary?: Record<string, unknown>;
  lastLine?: string;
  /** errorLine: the first `csplab: …` line this incarnation wrote to stderr (why it failed). */
  errorLine?: string;

  constructor(
    readonly rank: number,
    lifecycle: (p: RankProc) => RankActor,
  ) {
    this.lifecycle = lifecycle(this);
  }

  get state(): RankState {
    return this.lifecycle.getSnapshot().value;
  }

  /** incarnation: the newest one started (-1: never started). */
  get incarnation(): number {
    return this.lifecycle.getSnapshot().context.incarnation;
  }

  /** live: it has a process that was not killed (starting, restarting, ready or paused). */
  get live(): boolean {
    return this.lifecycle.getSnapshot().hasTag('live');
  }
}

export interface LauncherOptions {
  ranks: number;
  /** nodeFlags: Node/V8 flags before each rank's script (the protocol's rankNodeFlags). */
  nodeFlags?: readonly string[];
  /** command builds the argv (after node) for one incarnation of a rank; held: with --hold (see prepare). */
  command: (rank: number, incarnation: number, held: boolean) => string[];
  /** onReady is called when a rank reports it is listening. */
  onReady?: (rank: number) => void;
  /** onExit is called when an incarnation's process has exited (its status recorded). */
  onExit?: (rank: number) => void;
  /** stderrLine receives each stderr line of a rank (already prefixed by the caller's choice). */
  stderrLine: (rank: number, line: string) => void;
  /** log receives one line per refused event, e.g. `rank 3: ignored resume while killed`. */
  log: (line: string) => void;
  /** onEvent hears every JSON event a rank reports (e.g. TRaft's `clients` port, for `csplab kv run`). */
  onEvent?: (rank: number, ev: Readonly<Record<string, unknown>>) => void;
}

export class Launcher {
  readonly procs: RankProc[];
  /** maxRound and its leader, from the newest round event of any rank (-1: none yet). */
  maxRound = -1;
  maxRoundLeader: number | undefined;
  private lastKilled: number | undefined;
  private exits: Promise<void>[] = [];
  /** standby: per rank, its next incarnation, booted by prepare() and held until started. */
  private standby = new Map<number, { incarnation: number; child: ChildProcess }>();

  constructor(private readonly o: LauncherOptions) {
    this.procs = Array.from({ length: o.ranks }, (_, rank) => new RankProc(rank, (p) => createRankActor(this.effectsOn(p))));
  }

  /** effectsOn: what p's lifecycle actions do to its process and tell `csplab run`. */
  private effectsOn(p: RankProc): RankEffects {
    return {
      spawn: (incarnation) => this.spawnIncarnation(p, incarnation),
      signal: (signal) => p.child?.kill(signal),
      ready: () => this.o.onReady?.(p.rank),
      exited: () => this.o.onExit?.(p.rank),
    };
  }

  /** proc is rank's RankProc. */
  proc(rank: number): RankProc {
    return defined(this.procs[rank], 'every rank the run names (its flags, its faults, a reported leader) is in 0..ranks-1');
  }

  /** offer hands an event to rank's lifecycle; false (and a line in the log) if its state refuses it. */
  private offer(p: RankProc, event: RankEvent): boolean {
    return offer(p.lifecycle, p.rank, event, this.o.log);
  }

  /** start starts rank's first incarnation: at launch, or a late start (--start) at its time. */
  start(rank: number): boolean {
    return this.offer(this.proc(rank), { type: 'start' });
  }

  /** restart starts the next incarnation of a killed rank (--restart); it recovers from its log. */
  restart(rank: number): boolean {
    return this.offer(this.proc(rank), { type: 'restart' });
  }

  /**
   * spawnIncarnation (the lifecycle's spawn) starts one incarnation of p: the one prepare() has
   * booted and held, if any (it starts at once), else a new process (which first has to boot).
   */
  private spawnIncarnation(p: RankProc, incarnation: number): void {
    p.exitCode = null;
    p.signal = null;
    p.errorLine = undefined;
    p.claim = undefined; // an earlier incarnation's leadership is not this one's
    p.rssKiB = [];
    const standby = this.standby.get(p.rank);
    this.standby.delete(p.rank);
    if (standby?.incarnation === incarnation && standby.child.exitCode === null && standby.child.signalCode === null) {
      p.child = standby.child;
      this.tell(p.rank, JSON.stringify({ go: true }));
      return;
    }
    standby?.child.stdin?.end(); // for another incarnation: let it go
    p.child = this.spawnChild(p, incarnation, false);
  }

  /**
   * prepare boots rank's next incarnation now and holds it (`csplab rank --hold`: modules
   * loaded, log dir untouched, not listening) until start or restart starts it. Booting takes
   * seconds on a busy machine, so a late start or a restart spawned only at its time would begin late.
   */
  prepare(rank: number): void {
    const p = this.proc(rank);
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
    const child = spawn(process.execPath, [...rankNodeOptions(this.o.nodeFlags ?? []), ...this.o.command(rank, incarnation, held)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => {}); // a rank that died before reading its start time
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (p.child === child) this.onEvent(p, line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
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
          resolve();
          this.offer(p, { type: 'exit' });
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
    this.o.onEvent?.(p.rank, ev);
    if (ev.type === 'ready') this.offer(p, { type: 'ready' });
    if (ev.type === 'summary') p.summary = ev;
    if (typeof ev.commits === 'number') p.commits = ev.commits;
    if (ev.type === 'lead' && typeof ev.round === 'number') p.claim = { round: ev.round, leading: ev.leading !== false };
    // a multi-master protocol (Vectory) has no leader's round: its ranks report their highest ballot epoch each second
    if (ev.type === 'progress' && typeof ev.round === 'number') this.maxRound = Math.max(this.maxRound, ev.round);
    if (ev.type === 'progress' && typeof ev.rssKiB === 'number') p.rssKiB.push(ev.rssKiB);
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
   * leader resolves a `leader` target now, from the ranks' own claims (leader.ts); expected is
   * the slot clock's round and owner (Paxos), which a claim may trail by a few ms.
   */
  leader(expected?: { round: number; leader: number }): number | undefined {
    const views: LeaderView[] = this.procs.map((p) => ({
      rank: p.rank,
      state: p.state,
      able: p.incarnation === 0 || p.claim !== undefined,
      ...(p.claim ? { claim: p.claim } : {}),
    }));
    return resolveLeader(views, expected);
  }

  /**
   * tellListening writes one line to the stdin of every live rank that has reported ready in
   * this incarnation (a fault of the network). One still booting or recovering reads its start
   * time first, so `csplab run` tells it the faults still to hold once it is ready.
   */
  tellListening(line: string): void {
    for (const p of this.procs) if (p.live && p.lifecycle.getSnapshot().context.listening) this.tell(p.rank, line);
  }

  /** killed is the rank most recently killed by a fault (for `--restart killed@…`). */
  killed(): number | undefined {
    return this.lastKilled;
  }

  /** tell writes one line to a rank's stdin (its start time). */
  tell(rank: number, line: string): void {
    const c = this.proc(rank).child;
    if (c?.stdin?.writable) c.stdin.write(`${line}\n`);
  }

  /** kill SIGKILLs rank (--kill): a planned death. */
  kill(rank: number): boolean {
    if (!this.offer(this.proc(rank), { type: 'kill' })) return false;
    this.lastKilled = rank;
    return true;
  }

  /** pause SIGSTOPs rank (--pause); resume SIGCONTs it. */
  pause(rank: number): boolean {
    return this.offer(this.proc(rank), { type: 'pause' });
  }

  resume(rank: number): boolean {
    return this.offer(this.proc(rank), { type: 'resume' });
  }

  /** terminate asks every live rank to stop (resuming paused ones so they can), held ones too. */
  terminate(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.dropStandbys(signal);
    for (const p of this.procs) {
      if (p.state === 'paused') this.offer(p, { type: 'resume' });
      if (p.live) p.child?.kill(signal);
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

  /** live counts ranks still starting, restarting, ready or paused. */
  live(): number {
    return this.procs.filter((p) => p.live).length;
  }
}

/**
 * rankNodeOptions: the protocol's flags, then CSPLAB_RANK_NODE_OPTIONS (hidden, for profiling and
 * for measuring a flag both ways: V8 takes a flag's last value, so `--max-semi-space-size=16` there
 * undoes a protocol's cap). Both go before each rank's script, since node refuses --cpu-prof in
 * NODE_OPTIONS and a rank's own profile is what a cost hunt needs.
 */
export function rankNodeOptions(protocol: readonly string[], env: string | undefined = process.env.CSPLAB_RANK_NODE_OPTIONS): string[] {
  return [...protocol, ...(env ?? '').split(' ').filter((a) => a !== '')];
}
