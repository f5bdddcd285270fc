// paxos: the simple Paxos lab (docs/protocols/paxos.md) on the csplab runtime.
export { validatePaxosMsg, BadMessage } from './wire.js';
export type { PaxosMsg } from './messages.js';
export { startPaxosRank, type PaxosRank, type PaxosRankOptions, type PaxosRankStats } from './rank.js';
