// gateway_hooks: chain's client port on the rank driver — the client gateway
// (runtime/client/gateway.ts) around a node's transport. Client requests reach the node's step
// as messages from client addresses and its `client-reply` messages go back on their
// connections (decision 7 of docs/protocols/chain.md). The master (rank 0) serves no keys but
// answers every request not-leader with the key's head or tail (core.ts), so no client waits on it.
// The port is reported as a `clients` event: `csplab kv run` dials it.
import { withClientGateway } from '../../runtime/client/gateway.js';
import type { NodeBaseConfig } from '../../runtime/driver/cluster.js';
import type { NodeHooks } from '../../runtime/driver/node.js';
import type { ChainMsg } from './messages.js';

/** clientHooks: no hooks without a client port. */
export function clientHooks(node: NodeBaseConfig, port: number | undefined): NodeHooks<ChainMsg> {
  if (port === undefined) return {};
  return {
    wrapTransport: async (t) => {
      const gw = await withClientGateway<ChainMsg>(t, {
        port,
        clusterId: node.clusterId,
        toMsg: (req) => req,
        asReply: (m) => (m.type === 'client-reply' ? m : null),
        log: (line) => node.debug(line),
      });
      node.event({ type: 'clients', rank: node.rank, port: gw.port });
      return gw;
    },
  };
}
