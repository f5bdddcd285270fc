// gateway: a rank's client port (docs/net.md "Clients"). Clients of any replicated store dial
// it over TCP on loopback; each connection gets an address above every rank's, so a request
// reaches the protocol as a message `from` that address through the rank's inbox, and a reply
// the protocol sends `to` it leaves on that connection. The rank's driver is unchanged: this is
// a Transport decorator. Every frame is validated: a bad request is dropped and counted (the
// connection stays), bad framing or a foreign hello closes the connection, nothing crashes.
import { createServer, type Server, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { encodeFrame, FrameDecoder, FrameError } from '../net/frame.js';
import type { ClientPort } from '../protocol.js';
import type { Transport, TransportStats } from '../transport.js';
import { BatchWriter } from './batch.js';
import { BadClientFrame, decodeJson, MAX_CLIENT_FRAME_BYTES, parseClientRequest, parseHello } from './wire.js';

/** CLIENT_ADDRESS_BASE: connection n is address BASE + n, above any rank. */
export const CLIENT_ADDRESS_BASE = 1 << 20;

/** isClientAddress: an address the gateway gave a client connection. */
export function isClientAddress(a: number): boolean {
  return a >= CLIENT_ADDRESS_BASE;
}

/** GatewayOptions: where to listen, and the protocol's client port (toMsg / asReply: runtime/protocol.ts). */
export interface GatewayOptions<M> extends ClientPort<M> {
  /** port: where clients dial (0: ephemeral; read `port` after the promise resolves). */
  readonly port: number;
  readonly clusterId: string;
  log(line: string): void;
}

/** ClientGateway is the decorated transport plus what the gateway counts. */
export type ClientGateway<M> = Transport<M> & {
  readonly port: number;
  gatewayStats(): { connections: number; requests: number; bad: number };
};

/** Conn is one client connection after its hello; batch: its replies' writer, if the hello asked for batched frames. */
type Conn = { readonly socket: Socket; readonly decoder: FrameDecoder; hello: boolean; batch?: BatchWriter };

/** serve reads one connection's frames; bad framing or a bad hello closes it. */
function serve(c: Conn, onFrame: (payload: Buffer) => void, refuse: (why: string) => void, closed: () => void): void {
  const { socket } = c;
  socket.setNoDelay(true);
  socket.on('error', () => {}); // a client that vanished: 'close' cleans up
  socket.once('close', closed);
  socket.on('data', (chunk: Buffer) => {
    c.decoder.push(chunk);
    try {
      for (let p = c.decoder.next(); p !== undefined; p = c.decoder.next()) onFrame(p);
    } catch (e) {
      if (!(e instanceof BadClientFrame || e instanceof FrameError)) throw e;
      refuse(e.message);
      socket.destroy();
    }
  });
}

/** listen binds loopback:port and resolves with the port bound. */
function listen(server: Server, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    });
  });
}

/** withClientGateway listens for clients and wraps `inner`; it rejects with the listen error. */
export async function withClientGateway<M>(inner: Transport<M>, o: GatewayOptions<M>): Promise<ClientGateway<M>> {
  const conns = new Map<number, Conn>();
  const counts = { connections: 0, requests: 0, bad: 0 };
  const logged = new Set<string>();
  const refuse = (why: string): void => {
    counts.bad++;
    if (!logged.has(why)) o.log(`client gateway of rank ${inner.rank}: dropped ${why}`);
    logged.add(why);
  };
  const onFrame = (addr: number, c: Conn, payload: Buffer): void => {
    const x = decodeJson(payload);
    if (!c.hello) {
      const hello = parseHello(x);
      if (hello.clusterId !== o.clusterId) throw new BadClientFrame(`a client of cluster ${hello.clusterId}`);
      c.hello = true;
      c.decoder.maxFrameBytes = MAX_CLIENT_FRAME_BYTES;
      if (hello.batch === true) c.batch = new BatchWriter(c.socket);
      return;
    }
    // a batch frame's requests reach the protocol as one inbox batch: one hand-off, one turn
    const msgs: M[] = [];
    for (const r of c.batch !== undefined && Array.isArray(x) ? (x as unknown[]) : [x]) {
      try {
        msgs.push(o.toMsg(parseClientRequest(r)));
        counts.requests++;
      } catch (e) {
        if (!(e instanceof BadClientFrame)) throw e;
        refuse(e.message); // one bad request: dropped, the connection stays
      }
    }
    if (msgs.length > 0) inner.inbox.write({ from: addr, msgs });
  };
  const server: Server = createServer((socket) => {
    const addr = CLIENT_ADDRESS_BASE + counts.connections++;
    const c: Conn = { socket, decoder: new FrameDecoder(1024), hello: false };
    conns.set(addr, c);
    serve(
      c,
      (p) => onFrame(addr, c, p),
      refuse,
      () => conns.delete(addr),
    );
  });
  const port = await listen(server, o.port);
  return {
    rank: inner.rank,
    inbox: inner.inbox,
    port,
    send(to: number, msg: M): void {
      if (!isClientAddress(to)) return inner.send(to, msg);
      const reply = o.asReply(msg);
      const c = conns.get(to);
      if (reply === null || c === undefined || c.socket.destroyed) return; // gone: the client retries elsewhere
      if (c.batch !== undefined) c.batch.write(reply);
      else writeCorked(c.socket, encodeFrame(Buffer.from(JSON.stringify(reply), 'utf8')));
    },
    async close(): Promise<void> {
      for (const c of conns.values()) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inner.close();
    },
    stats(): TransportStats {
      const s = inner.stats();
      return { ...s, rejected: s.rejected + counts.bad };
    },
    gatewayStats: () => ({ ...counts }),
  };
}

/**
 * writeCorked writes a frame, gathering every frame written in the same event-loop iteration into
 * one socket write: a turn answers many clients on one connection, and a syscall per reply cost
 * the ranks a fifth of their CPU (docs/benchmarks.md, Chain KV). The write waits for the
 * iteration's end (setImmediate), not the tick's: the runner reads replies from several ranks in
 * one iteration, and with CRAQ's spread reads each rank's replies, flushed per tick, sent the next
 * requests as one small write per rank per reply batch (docs/benchmarks.md, CRAQ).
 */
export function writeCorked(socket: Writable, frame: Buffer): void {
  if (!socket.writableCorked) {
    socket.cork();
    setImmediate(() => socket.uncork());
  }
  socket.write(frame);
}
