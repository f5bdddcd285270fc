// lifecycle: the leader's round as an explicit state machine (xstate, used only through its
// pure transition function: no actors, no timers, no clocks inside xstate). A round this rank
// leads goes reading → imposing → proposing → done; any new round returns to idle first.
import { createMachine, initialTransition, transition, type SnapshotFrom } from 'xstate';

export type LifecycleEvent =
  | { type: 'LEAD' } // a round this rank leads has begun
  | { type: 'FOLLOW' } // a round led by another rank has begun
  | { type: 'GATHERED' } // enough GATHERs: IMPOSE sent
  | { type: 'IMPOSED' } // a quorum acked the IMPOSE: DECIDE sent
  | { type: 'FINISHED' }; // all L instances committed

export const leaderRound = createMachine({
  id: 'leaderRound',
  types: {} as { events: LifecycleEvent },
  initial: 'idle',
  on: { LEAD: '.reading', FOLLOW: '.idle' },
  states: {
    idle: {},
    reading: { on: { GATHERED: 'imposing' } },
    imposing: { on: { IMPOSED: 'proposing' } },
    proposing: { on: { FINISHED: 'done' } },
    done: {},
  },
});

export type Phase = 'idle' | 'reading' | 'imposing' | 'proposing' | 'done';
export type LifecycleSnapshot = SnapshotFrom<typeof leaderRound>;

export function initialPhase(): LifecycleSnapshot {
  return initialTransition(leaderRound)[0];
}

/** advance applies one event; an event the current phase does not accept is a bug. */
export function advance(s: LifecycleSnapshot, event: LifecycleEvent): LifecycleSnapshot {
  const [next] = transition(leaderRound, s, event);
  if (next.value === s.value && event.type !== 'LEAD' && event.type !== 'FOLLOW') {
    throw new Error(`leader round: ${event.type} not allowed in phase ${String(s.value)}`);
  }
  return next;
}

export function phaseOf(s: LifecycleSnapshot): Phase {
  return s.value as Phase;
}
