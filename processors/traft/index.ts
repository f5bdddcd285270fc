// index: the TRaft core's public API for a driver (the consensus processor's thin loop).
//
//   let s = restartReplica({ self, config, timing, durable: replayWal(batches), loggedUpTo, nowMs, random });
//   loop: input = next of { message from a peer, tick at out.wakeAtMs, persisted{batchId}, propose, read-round };
//         ({ state: s, out } = step(s, input, clock.nowMs(), random));
//         write out.persist batches to the WAL in order (then feed persisted{batchId} once fsynced),
//         send out.send, append out.log lines (formatInstanceLine), answer out.applied's results,
//         sleep until out.wakeAtMs.
//
// The state is owned linearly: step updates it in place and returns it; never keep the old one.
export { step } from './step.js';
export { restartReplica, roleOf, type ReplicaState, type RestartOptions, type Role } from './state.js';
export type { Input, Output, InstanceEvent, ProposeAnswer, TraceEvent } from './io.js';
export type { Message, Envelope, ElectReq, ElectReply, ForwardReq, ForwardReply } from './messages.js';
export { replayWal, type WalEntry, type WalBatch, type DurableState } from './durable.js';
export { defaultTiming, validateConfig, isQuorum, type Config, type Timing } from './config.js';
export { formatInstanceLine, loggedUpToFrom } from './instance_log.js';
export { applyCommitted, newApplier, formatKv, type Applier, type Applied } from './applier.js';
export type { Command } from './command.js';
// The replicated state machine (restartReplica's `machine`; the lab's by default).
export { interferes, type Access, type Json, type MachineKind, type SmCommand, type StateMachine } from './state_machine.js';
export { labMachine, LabMachine } from './lab_machine.js';
export { kvMachine, KvMachine } from './kv_machine.js';
export { leaderIdEq, type LeaderId } from './leader_id.js';
export type { LogRecord, Seq } from './record.js';
export { InvariantError } from '../../runtime/assert.js';
export { uncommittedCount, isDrained } from './drain.js';
// The protocol as the rank driver runs it (runtime/protocol.ts, runtime/driver/).
export { traft, traftWith, type TraftConfig, type TraftState } from './protocol.js';
export { afterStep, clientRequest, leaseValid, newClients, type Clients, type ReadOptions, type TraftWire } from './clients.js';
