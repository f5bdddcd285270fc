// protocol: Paxos as a runtime Protocol (runtime/protocol.ts), run by the rank driver
// (runtime/driver/). The core (core.ts) is the state and its step; this file adds what the
// driver needs around it: the wire validation, the instance log's lines and their reading back
// on restart, and the durable round bound as the protocol's storage (roundstore.ts, §8).
import { join } from 'node:path';
import type { OpenedStorage, Protocol, RankSetup, Store } from '../../runtime/protocol.js';
import type { LogEvent } from './events.js';
import { initPaxos, stepPaxos, type PaxosConfig, type PaxosState, type RoundBatch } from './core.js';
import { formatLine, linesRoom, recoverCommitted, writeLines } from './instancelog.js';
import type { Entry, PaxosMsg } from './messages.js';
import { FileRoundStore, type RoundStore } from './roundstore.js';
import { paxosInvariants } from './step_invariants.js';
import { validatePaxosMsg } from './wire.js';

/** Durable: what a restarted rank finds of its round bound. */
export interface Durable {
  readonly votedThrough: number;
}

/** PaxosSetup is init's setup; startAtMs is the shared start the rounds' slots count from. */
export type PaxosSetup = RankSetup<PaxosConfig, Durable, Entry[]>;

export type PaxosProtocol = Protocol<PaxosConfig, PaxosState, PaxosMsg, RoundBatch, LogEvent, Durable, Entry[]>;

/**
 * PaxosCore: the decisions of a rank, what a lab student writes (csplab lab init paxos): the
 * state and its step. Everything around them (wire, instance log, round store) stays ours, so a
 * student's core runs on the same driver and simulator and is graded by the same checker.
 */
export interface PaxosCore {
  readonly initPaxos: typeof initPaxos;
  readonly stepPaxos: typeof stepPaxos;
}

export const paxos: PaxosProtocol = paxosOf({ initPaxos, stepPaxos });

/** paxosOf: Paxos as a Protocol around a core (ours, or a student's loaded by path). */
export function paxosOf(core: PaxosCore): PaxosProtocol {
  return {
    name: 'paxos',
    init: (o) =>
      core.initPaxos({
        self: o.self,
        ranks: o.ranks,
        config: o.config,
        startAtMs: o.startAtMs,
        endAtMs: o.loadUntilMs,
        random: o.random,
        ...(o.durable !== undefined ? { votedThrough: o.durable.votedThrough } : {}),
        ...(o.logged !== undefined ? { restored: o.logged } : {}),
      }),
    step: (s, input, nowMs) => core.stepPaxos(s, input, nowMs),
    validate: validatePaxosMsg,
    // A CATCHUP chunk lost to a rank too busy committing the ones before it to read for a second
    // made it discard every later chunk until it re-asked (§6.4, §12; issue 11 hole 3).
    keepWhenStalled: (m) => m.type === 'catchup',
    // The only bytes a message decodes to are a PROPOSE's values, and validate drops them (wire.ts).
    transientPayloads: true,
    formatLog: formatLine,
    writeLog: (events, atUs, text) => text.fill(linesRoom(events), (buf, at) => writeLines(events, atUs, buf, at)),
    recoverLog: recoverCommitted,
    storage: { open: openRounds },
    pollMs: (s) => s.slotMs,
    // A rank leads while its leader role is in a round it leads (reading … done): what a `leader`
    // fault target resolves from.
    role: (s) => (s.leader.phase === 'idle' ? 'follower' : 'leader'),
    round: (s) => s.router.round,
    summary: (s) => ({
      commits: s.counts.commits,
      generates: s.counts.generates,
      frontier: s.follower.frontier,
      round: s.router.round,
      roundsLed: s.leader.stats.roundsLed,
      proposed: s.leader.stats.proposed,
      forged: s.counts.forged,
    }),
    // The simulator's disk (runtime/sim/): the bound is the highest round saved, and each save replaces the one before.
    replay: (batches) => ({ votedThrough: batches.reduce((r, b) => Math.max(r, b.round), -1) }),
    supersedes: () => true,
    invariants: paxosInvariants,
    recovered: (durable, logged, incarnation) =>
      `incarnation ${incarnation} recovered ${logged?.length ?? 0} commits from its instance log; sits out rounds ≤ ${durable.votedThrough}`,
  };
}

/** openRounds opens <log-dir>/.paxos-round<rank>: fresh for incarnation 0, else the bound an earlier one kept. */
async function openRounds(o: { logDir: string; rank: number; incarnation: number }): Promise<OpenedStorage<RoundBatch, Durable>> {
  const store = new FileRoundStore(join(o.logDir, `.paxos-round${o.rank}`), o.incarnation === 0);
  return Promise.resolve(roundStorage(store, o.incarnation));
}

/**
 * roundStorage: a RoundStore as the protocol's storage. A save is durable on return (as the
 * instance log is, §8), so each batch is reported persisted as soon as it is written.
 */
export function roundStorage(store: RoundStore, incarnation: number): OpenedStorage<RoundBatch, Durable> {
  return {
    durable: incarnation > 0 ? { votedThrough: store.votedThrough } : undefined,
    notes: [],
    start(onPersisted, onError): Store<RoundBatch> {
      return {
        write(batches) {
          const last = batches.at(-1);
          if (last === undefined) return;
          try {
            store.save(last.round);
          } catch (e) {
            onError(e);
            return;
          }
          onPersisted(last.batchId);
        },
        close() {
          store.close();
          return Promise.resolve();
        },
      };
    },
  };
}
