// bind: a protocol and its validated flags as a SimProgram, its types hidden behind a closure,
// so a registry entry (ValidFlags.simulate) hands the CLI something it can run without
// knowing which protocol it is.
import type { Protocol, SimProgram } from '../protocol.js';
import { Simulation, type ConfigFor } from './sim.js';

/** simProgram binds protocol p to config (or, per rank and incarnation, configFor's) for the simulator. */
export function simProgram<C, S, M, P extends { readonly batchId: number }, L, D, R>(
  p: Protocol<C, S, M, P, L, D, R>,
  config: C,
  configFor?: ConfigFor<C>,
): SimProgram {
  return { name: p.name, clients: p.clients !== undefined, run: (o) => new Simulation(p, config, o, configFor).run() };
}
