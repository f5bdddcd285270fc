// events: what the pure cores ask the runtime to do. The processors carry them out.
import type { PaxosMsg } from './messages.js';

/** ALL addresses a broadcast to every rank, the sender included. */
export const ALL = -1;

export interface Send {
  to: number; // a rank or ALL
  msg: PaxosMsg;
}

/** LogEvent is one instance-log line to write (the writer stamps `at`). */
export interface LogEvent {
  kind: 'generate' | 'commit';
  estround: number;
  key: string;
}
