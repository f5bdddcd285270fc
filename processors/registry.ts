// registry: the protocols the CLI offers (`csplab rank`, `csplab run`, scripts/run_and_check.sh
// through them). A protocol is one folder under processors/ plus one line here; the CLI knows
// protocols only through this list (docs/protocols/interface.md). The first is the default.
import type { ProtocolEntry } from '../runtime/protocol.js';
import { chainEntry } from './chain/entry.js';
import { paxosEntry } from './paxos/entry.js';
import { traftEntry } from './traft/entry.js';
import { vectoryEntry } from './vectory/entry.js';

export const protocols: readonly ProtocolEntry[] = [paxosEntry, traftEntry, chainEntry, vectoryEntry];

/** protocolNamed: the registry's entry for name (undefined if none). */
export function protocolNamed(name: string): ProtocolEntry | undefined {
  return protocols.find((p) => p.name === name);
}
