// gateway_hooks: TRaft's client port on the rank driver — the client gateway
// (runtime/client/gateway.ts) around the rank's transport, with TRaft's messages for client
// requests and replies. The port is reported as a `clients` event: `csplab kv run` dials it.
import { withClientGateway } from '../../runtime/client/gateway.js';
import type { NodeBaseConfig } from '../../runtime/driver/cluster.js';
import type { NodeHooks } from '../../runtime/driver/node.js';
import { clientPort, type TraftWire } from './clients.js';

/** clientHooks: no hooks without a client port. */
export function clientHooks(node: NodeBaseConfig, port: number | undefined): NodeHooks<TraftWire> {
  if (port === undefined) return {};
  return {
    wrapTransport: async (t) => {
      const gw = await withClientGateway<TraftWire>(t, {
        port,
        clusterId: node.clusterId,
        ...clientPort,
        log: (line) => node.debug(line),
      });
      node.event({ type: 'clients', rank: node.rank, port: gw.port });
      return gw;
    },
  };
}
