// wire-version: the TCP handshake's protocol version; peers with another one are refused.
// Bump it whenever the frame or handshake format changes.
export const WIRE_VERSION = 1;
