// wire-version: the TCP handshake's protocol version; peers with another one are refused.
// Bump it whenever the frame or handshake format, or a protocol's message shape, changes (2:
// tagged unions are discriminated by `type`; 3: Paxos GATHER `partial` and CATCHUP `more`).
export const WIRE_VERSION = 3;
