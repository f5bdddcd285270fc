// tcp-msgs: the message shape both ends of the TCP benchmark use: Paxos-sized (a ballot,
// a slot, a 32-character key, a short value).

export interface BenchMsg {
  type: 'data' | 'ping' | 'fin';
  ballot: number;
  slot: number;
  key: string;
  v: string;
}

/** benchValidate is the cheapest honest check: the shape a protocol would verify. */
export function benchValidate(x: unknown): BenchMsg {
  const m = x as BenchMsg;
  if (typeof m !== 'object' || m === null || typeof m.type !== 'string' || typeof m.slot !== 'number')
    throw new TypeError('not a bench message');
  return m;
}

export function dataMsg(slot: number): BenchMsg {
  return { type: 'data', ballot: 7, slot, key: 'k0123456789abcdef0123456789abcde', v: `v${slot}` };
}
