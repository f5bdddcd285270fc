// hooks: a store's client port on the rank driver — the client gateway (gateway.ts) around the
// rank's transport, with the store's ClientPort mapping requests and replies to its messages.
// The port is reported as a `clients` event: `csplab kv run` dials it. Every store with a
// client port (TRaft, chain) starts it this way.
import type { NodeBaseConfig } from '../driver/cluster.js';
import type { NodeHooks } from '../driver/node.js';
import type { ClientPort } from '../protocol.js';
import { withClientGateway } from './gateway.js';

/** clientPortHooks: no hooks without a port to listen on. */
export function clientPortHooks<M>(node: NodeBaseConfig, port: number | undefined, clients: ClientPort<M>): NodeHooks<M> {
  if (port === undefined) return {};
  return {
    wrapTransport: async (t) => {
      const gw = await withClientGateway<M>(t, { port, clusterId: node.clusterId, ...clients, log: (line) => node.debug(line) });
      node.event({ type: 'clients', rank: node.rank, port: gw.port });
      return gw;
    },
  };
}
