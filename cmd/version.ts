// version: csplab's version and wire-protocol version (handshakes refuse a mismatch).
export const VERSION = '0.1.0';
export const WIRE_VERSION = 1;
