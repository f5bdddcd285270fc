// lifecycle: one rank's life in a `csplab run`, as an xstate machine. Its events come from the
// fault schedule (start, kill, pause, resume, restart) and from the rank's own reports (ready:
// it is listening; exit: its process ended). An event its state does not take is refused and
// said in one line ("rank 3: ignored resume while killed"); a report that cannot happen is a
// launcher bug and throws. The process work (spawn, SIGSTOP, SIGCONT, SIGKILL) and the calls
// back to `csplab run` are the machine's actions; the launcher provides them (RankEffects).
//
//   planned ─start→ starting ─ready→ ready ─kill→ killed ─restart→ restarting ─ready→ ready
//   starting / restarting / ready ─pause→ paused ─resume→ where it was (ready once it reported)
//   starting / restarting / ready / paused ─exit→ exited;  killed ─exit→ killed (planned death)
import { assign, createActor, setup, type Actor, type SnapshotFrom } from 'xstate';

export type RankEvent =
  | { type: 'start' } // a first-wave rank at launch, or a late start (--start) at its time
  | { type: 'restart' } // --restart: the next incarnation of a killed rank, recovering from its log
  | { type: 'kill' } // --kill: SIGKILL
  | { type: 'pause' } // --pause: SIGSTOP …
  | { type: 'resume' } // … and SIGCONT when the pause is over (or the run ends)
  | { type: 'ready' } // the rank reported it is listening
  | { type: 'exit' }; // the rank's process ended

/** RankEffects: what the machine's actions do, given by the launcher (or by a test). */
export interface RankEffects {
  /** spawn starts the given incarnation of the rank (0 the first time). */
  spawn(incarnation: number): void;
  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void;
  /** ready tells `csplab run` that the rank is listening. */
  ready(): void;
  /** exited tells `csplab run` that the rank's process ended (its status already recorded). */
  exited(): void;
}

const noEffect = (): void => {};

/** booting: the transitions of a spawned incarnation that is not listening yet (first start or restart). */
const booting = {
  ready: { target: 'ready', actions: ['listening', 'reportReady'] },
  pause: { target: 'paused', actions: 'sigstop' },
  kill: { target: 'killed', actions: 'sigkill' },
  exit: { target: 'exited', actions: 'reportExit' },
} as const;

const rankLifecycle = setup({
  types: {
    context: {} as {
      /** incarnation: the newest one started (-1: none yet). */
      incarnation: number;
      /** listening: this incarnation has reported ready (it may do so while paused). */
      listening: boolean;
    },
    events: {} as RankEvent,
    /** live: the rank has a process that is not being killed (starting, restarting, ready, paused). */
    tags: {} as 'live',
  },
  actions: {
    nextIncarnation: assign({ incarnation: ({ context }) => context.incarnation + 1, listening: false }),
    listening: assign({ listening: true }),
    // Placeholders: createRankActor provides the launcher's RankEffects.
    spawn: noEffect,
    sigkill: noEffect,
    sigstop: noEffect,
    sigcont: noEffect,
    reportReady: noEffect,
    reportExit: noEffect,
  },
  guards: {
    listening: ({ context }) => context.listening,
    restarted: ({ context }) => context.incarnation > 0,
  },
}).createMachine({
  id: 'rank',
  context: { incarnation: -1, listening: false },
  initial: 'planned',
  states: {
    // Not started yet: a first-wave rank for a moment, a late start until its time.
    planned: {
      on: { start: { target: 'starting', actions: ['nextIncarnation', 'spawn'] } },
    },
    // Incarnation 0 spawned (or let go from its held boot), not listening yet.
    starting: {
      tags: 'live',
      on: booting,
    },
    // A later incarnation spawned after a kill: recovering from its log, not listening yet.
    restarting: {
      tags: 'live',
      on: booting,
    },
    ready: {
      tags: 'live',
      on: {
        pause: { target: 'paused', actions: 'sigstop' },
        kill: { target: 'killed', actions: 'sigkill' },
        exit: { target: 'exited', actions: 'reportExit' },
      },
    },
    // SIGSTOPped. A ready line it wrote just before is still read (and counts).
    paused: {
      tags: 'live',
      on: {
        resume: [
          { guard: 'listening', target: 'ready', actions: 'sigcont' },
          { guard: 'restarted', target: 'restarting', actions: 'sigcont' },
          { target: 'starting', actions: 'sigcont' },
        ],
        ready: { actions: ['listening', 'reportReady'] },
        kill: { target: 'killed', actions: 'sigkill' },
        exit: { target: 'exited', actions: 'reportExit' },
      },
    },
    // SIGKILLed by a fault: a planned death, so its exit does not fail the run.
    killed: {
      on: {
        exit: { actions: 'reportExit' },
        restart: { target: 'restarting', actions: ['nextIncarnation', 'spawn'] },
      },
    },
    // Ended on its own: at the end of the run, or crashed (an unplanned death fails the run).
    exited: {},
  },
});

export type RankActor = Actor<typeof rankLifecycle>;
export type RankState = SnapshotFrom<typeof rankLifecycle>['value'];

/** createRankActor starts one rank's lifecycle, its actions doing `effects`. */
export function createRankActor(effects: RankEffects): RankActor {
  const machine = rankLifecycle.provide({
    actions: {
      spawn: ({ context }) => effects.spawn(context.incarnation),
      sigkill: () => effects.signal('SIGKILL'),
      sigstop: () => effects.signal('SIGSTOP'),
      sigcont: () => effects.signal('SIGCONT'),
      reportReady: () => effects.ready(),
      reportExit: () => effects.exited(),
    },
  });
  return createActor(machine).start();
}

/**
 * IMPOSSIBLE: reports that no rank can send in these states. The launcher reads reports only
 * from a rank's current process, and a process's exit is reported once: one of these means its
 * bookkeeping is wrong.
 */
const IMPOSSIBLE: Partial<Record<RankState, readonly RankEvent['type'][]>> = {
  planned: ['ready', 'exit'], // no process yet
  exited: ['ready', 'exit'], // its process is gone, and its exit was reported
};

/**
 * offer sends event to a rank's lifecycle if its state takes it and returns true. Otherwise the
 * event is refused: `log` gets one line saying so and offer returns false; or, for a report
 * that cannot happen (IMPOSSIBLE), it throws.
 */
export function offer(actor: RankActor, rank: number, event: RankEvent, log: (line: string) => void): boolean {
  const s = actor.getSnapshot();
  if (s.can(event)) {
    actor.send(event);
    return true;
  }
  const line = `rank ${rank}: ignored ${event.type} while ${s.value}`;
  if (IMPOSSIBLE[s.value]?.includes(event.type)) throw new Error(`launcher bug: ${line}`);
  log(line);
  return false;
}
