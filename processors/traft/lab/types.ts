// types: the shape of csplab's seeded random stream (runtime/random.ts in csplab) that the TRaft
// core is handed. Given to the lab's students as src/lib/types.ts: their core is loaded by path
// and run on csplab's driver, which passes this in.

/** Random: the seeded random stream the driver hands a rank (one seed replays a whole run). */
export interface Random {
  next(): number;
  int(n: number): number;
  between(lo: number, hi: number): number;
  bytes(n: number): Uint8Array;
  fork(label: string): Random;
  id(size?: number): string;
}
