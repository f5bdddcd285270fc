// log: chain's instance-log lines (docs/protocols/chain.md §11, H8). One line per update a node
// applies, so the log invariants (invariants.ts I1–I8) can be checked from the logs alone:
//
//   apply <rangeId> <seq> <key> <op> <clientId> <reqNo> <epoch> at <µs>
//
// key and clientId are percent-encoded (encodeURIComponent), so a line splits on spaces and
// reads back exactly; the node is the log file's rank. The other lines are for people:
//   config <epoch> <rangeId:lo:[chain]>… at <µs>  ·  role <rangeId> <epoch> <role> at <µs>
//   master <epoch> <what> at <µs>                 ·  summary <k=v>… at <µs>
// A node's config lines read back too (parseConfigLine), for the log audit's I7 and I10; the
// master's own config lines are for people (`hi8:[head … tail]`).
import type { Config, ConfigRange } from './config.js';
import { nodePosition, POS_RE } from './ring.js';
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

/** ConfigLine: a node's parsed config line — the configuration it installed (its nodes are the chains' members) and when. */
export interface ConfigLine {
  readonly node: number;
  readonly atUs: number;
  readonly config: Config;
}

const CONFIG_RE = /^config (\d+) (.*) at (\d+)$/;
const RANGE_RE = /^(([0-9a-f]{16})\/\d+):([0-9a-f]{16}):\[([\d,]*)\]$/;

/** parseConfigLine reads one config line of a node's log, or undefined for any other line (a torn one, or the master's). */
export function parseConfigLine(line: string, node: number): ConfigLine | undefined {
  const m = CONFIG_RE.exec(line);
  if (m === null) return undefined;
  const ranges: ConfigRange[] = [];
  for (const part of (m[2] ?? '').split(' ')) {
    const r = RANGE_RE.exec(part);
    if (r === null) return undefined;
    const [, rangeId, hi, lo, chain] = r;
    if (rangeId === undefined || hi === undefined || lo === undefined || !POS_RE.test(lo)) return undefined;
    ranges.push({ rangeId, lo, hi, chain: chain === '' || chain === undefined ? [] : chain.split(',').map(Number) });
  }
  const ranks = [...new Set(ranges.flatMap((r) => r.chain))].sort((a, b) => a - b);
  const k = Math.max(0, ...ranges.map((r) => r.chain.length));
  const config: Config = { epoch: Number(m[1]), k, nodes: ranks.map((rank) => ({ rank, pos: nodePosition(rank) })), ranges };
  return { node, atUs: Number(m[3]), config };
}
