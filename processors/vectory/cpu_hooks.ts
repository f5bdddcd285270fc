// cpu_hooks: the `cpu` metric on a real process (probe.ts). The rank's driver samples the
// process's CPU share every CPU_PROBE_MS and hands it to the node as its own `load-probe`
// message, written straight into the rank's inbox: the network never carries one (validate
// refuses the type), and the pure core only ever sees a reading, not the machine.
import type { Clock } from '../../runtime/clock.js';
import type { NodeHooks } from '../../runtime/driver/node.js';
import { cpuShareSampler } from '../../runtime/driver/usage.js';
import { every } from '../../runtime/every.js';
import type { Transport } from '../../runtime/transport.js';
import type { VMsg } from './messages.js';
import { CPU_PROBE_MS } from './probe.js';

/** withCpuProbe: hooks, with the transport they make also carrying this rank's CPU readings (clock: the rank's). */
export function withCpuProbe(clock: Clock, hooks: NodeHooks<VMsg>, sampler = cpuShareSampler): NodeHooks<VMsg> {
  return {
    wrapTransport: async (t) => {
      const inner: Transport<VMsg> = hooks.wrapTransport ? await hooks.wrapTransport(t) : t;
      const sample = sampler(() => clock.nowMs());
      const stop = every(clock, CPU_PROBE_MS, () => {
        inner.inbox.write({ from: inner.rank, msgs: [{ type: 'load-probe', cpu: sample() }] });
      });
      return {
        rank: inner.rank,
        inbox: inner.inbox,
        send: (to, msg) => inner.send(to, msg),
        close: () => {
          stop();
          return inner.close();
        },
        stats: () => inner.stats(),
      };
    },
  };
}
