// Transport: how a rank's messages reach other ranks. send never blocks (a slow or paused
// peer costs the sender nothing but counted drops); inbound traffic arrives in batches on a
// channel, so one channel operation carries a whole decoded socket chunk or delivery burst.
import type { Chan } from './chan.js';

/** Inbound is a batch of messages from one peer, in the order that peer sent them. */
export interface Inbound<M> {
  from: number;
  msgs: M[];
}

export interface TransportStats {
  sent: number;
  delivered: number;
  /** dropped counts messages lost to full queues, faults or unreachable peers. */
  dropped: number;
  /** rejected counts connections closed for bad input (garbage, oversize, foreign cluster). */
  rejected: number;
}

export interface Transport<M> {
  readonly rank: number;
  /** inbox receives batches from every peer, this rank's own sends included. */
  readonly inbox: Chan<Inbound<M>>;
  /** send queues msg for rank `to` (which may be this rank) and returns at once. */
  send(to: number, msg: M): void;
  close(): Promise<void>;
  stats(): TransportStats;
}
