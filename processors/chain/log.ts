// log: chain's instance-log lines (docs/protocols/chain.md §11, H8). One line per update a node
// applies, so the log invariants (invariants.ts I1–I8) can be checked from the logs alone:
//
//   apply <rangeId> <seq> <key> <op> <clientId> <reqNo> <epoch> at <µs>
//
// key and clientId are percent-encoded (encodeURIComponent), so a line splits on spaces and
// reads back exactly; the node is the log file's rank. The other lines are for people:
//   config <epoch> <rangeId:[chain]>… at <µs>  ·  role <rangeId> <epoch> <role> at <µs>
//   master <epoch> <what> at <µs>              ·  summary <k=v>… at <µs>
import type { ChainLogEvent } from './types.js';

/** formatLog renders one event as one line (no newline); atUs is when it is written. */
export function formatLog(ev: ChainLogEvent, atUs: number): string {
  const at = ` at ${Math.floor(atUs)}`;
  switch (ev.type) {
    case 'apply':
      return `apply ${ev.rangeId} ${ev.seq} ${encodeURIComponent(ev.key)} ${ev.op} ${encodeURIComponent(ev.clientId)} ${ev.reqNo} ${ev.epoch}${at}`;
    case 'config':
      return `config ${ev.epoch} ${ev.summary}${at}`;
    case 'role':
      return `role ${ev.rangeId} ${ev.epoch} ${ev.role}${at}`;
    case 'master':
      return `master ${ev.epoch} ${ev.what}${at}`;
    case 'summary':
      return `summary ${Object.entries(ev.fields)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}${at}`;
  }
}

/** ApplyLine: one parsed apply line — the logged apply event's fields, the node whose log it came from, and when. */
export type ApplyLine = Omit<Extract<ChainLogEvent, { type: 'apply' }>, 'type'> & { readonly node: number; readonly atUs: number };

const APPLY_RE = /^apply (\S+) (\d+) (\S+) (put|delete) (\S+) (\d+) (\d+) at (\d+)$/;

/** parseApplyLine reads one apply line of node's log, or undefined for any other line (a torn one included). */
export function parseApplyLine(line: string, node: number): ApplyLine | undefined {
  const m = APPLY_RE.exec(line);
  if (m === null) return undefined;
  const [, rangeId, seq, key, op, clientId, reqNo, epoch, atUs] = m;
  if (rangeId === undefined || key === undefined || clientId === undefined) return undefined;
  return {
    node,
    rangeId,
    seq: Number(seq),
    key: decodeURIComponent(key),
    op: op === 'put' ? 'put' : 'delete',
    clientId: decodeURIComponent(clientId),
    reqNo: Number(reqNo),
    epoch: Number(epoch),
    atUs: Number(atUs),
  };
}

/** parseApplyLines: node's apply lines in log order (the input of I1–I8's log checks). */
export function parseApplyLines(lines: readonly string[], node: number): ApplyLine[] {
  const out: ApplyLine[] = [];
  for (const line of lines) {
    const a = parseApplyLine(line, node);
    if (a !== undefined) out.push(a);
  }
  return out;
}
