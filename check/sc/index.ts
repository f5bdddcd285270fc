// sc: `csplab check --sc`, sequential consistency of a kv history whose store orders all writes
// in one global order (docs/history.md §Sequential consistency). Each ok write carries its place
// in that order (`vts`) and each ok read the applied prefix it saw (`at`), so the check is linear
// in the history (a sort, then one pass per key and per process), not a search: order writes by
// vts, place each read at its at, and check every read sees the latest write to its key there
// and every process's ops keep program order.
import { canon, compareStamp, HistoryError, type History, type Op, type Stamp } from '../lin/history.js';
import { describeOp } from '../lin/report.js';

export type ScVerdict = 'sequentially consistent' | 'not sequentially consistent';

/**
 * ScViolationKind: a read that does not see the latest write before its place; a process whose
 * stamps go back; an unknown write a read saw but which fits nowhere; two writes at one vts.
 */
export type ScViolationKind = 'stale-read' | 'program-order' | 'unknown-write' | 'duplicate-vts';

export interface ScViolation {
  readonly kind: ScViolationKind;
  readonly text: string;
  /** ops: the ops the violation is about, the offending one first. */
  readonly ops: readonly Op[];
}

export interface ScResult {
  readonly verdict: ScVerdict;
  readonly ops: number;
  readonly writes: number;
  readonly reads: number;
  /** unknownWrites: writes whose outcome is unknown (info or never completed). */
  readonly unknownWrites: number;
  /** violations: the first `MAX_VIOLATIONS` found; `more` counts the rest. */
  readonly violations: readonly ScViolation[];
  readonly more: number;
}

/** MAX_VIOLATIONS: a broken store breaks thousands of reads; the first few say what is wrong. */
export const MAX_VIOLATIONS = 20;

/** BEFORE / AFTER: stamps below and above every stamp a history can carry. */
const BEFORE: Stamp = { version: -1, shard: 0 };
const AFTER: Stamp = { version: Number.MAX_SAFE_INTEGER, shard: 0 };
/** ABSENT: a key's state with no value ("" reads as absent too, as in the kv model). */
const ABSENT = 'absent';

export const showStamp = (s: Stamp): string => `(${s.version}, ${s.shard})`;

const isRead = (op: Op): boolean => op.f === 'get';

/** effect: the state a write leaves its key in. */
const effect = (op: Op): string => (op.f === 'delete' || op.arg === '' || op.arg === null ? ABSENT : canon(op.arg));
/** seen: the state an ok read saw. */
const seen = (op: Op): string => (op.output === null || op.output === '' ? ABSENT : canon(op.output));

class Findings {
  readonly list: ScViolation[] = [];
  more = 0;
  add(kind: ScViolationKind, text: string, ops: readonly (Op | undefined)[]): void {
    if (this.list.length < MAX_VIOLATIONS) this.list.push({ kind, text, ops: ops.filter((o): o is Op => o !== undefined) });
    else this.more++;
  }
}

/** stampOf: the stamp of an ok op (validate first). */
function stampOf(op: Op): Stamp {
  const s = isRead(op) ? op.at : op.vts;
  if (s === undefined) throw new HistoryError(op.completeLine ?? op.invokeLine, 'op without a stamp');
  return s;
}

/** validate: --sc reads kv histories of get, put and delete whose ok ops are all stamped. */
function validate(h: History): void {
  if (h.ops.length > 0 && h.model !== 'kv') throw new HistoryError(0, '--sc checks kv histories (get, put, delete), not registers');
  for (const op of h.ops) {
    if (op.f === 'append') throw new HistoryError(op.invokeLine, '--sc checks get, put and delete; an append has no single value to place');
    if (op.outcome !== 'ok') continue;
    const line = op.completeLine ?? op.invokeLine;
    if (isRead(op) && op.at === undefined)
      throw new HistoryError(line, 'an ok get without "at": --sc needs the applied prefix each read saw');
    if (!isRead(op) && op.vts === undefined)
      throw new HistoryError(line, `an ok ${op.f} without "vts": --sc needs each write's place in the global order`);
  }
}

/** checkSequential is the library API: the history's verdict under sequential consistency. */
export function checkSequential(h: History): ScResult {
  validate(h);
  const found = new Findings();
  const ok = h.ops.filter((o) => o.outcome === 'ok');
  const writes = ok.filter((o) => !isRead(o)).sort((a, b) => compareStamp(stampOf(a), stampOf(b)));
  for (let i = 1; i < writes.length; i++) {
    const [a, b] = [writes[i - 1], writes[i]];
    if (a && b && compareStamp(stampOf(a), stampOf(b)) === 0)
      found.add('duplicate-vts', `two writes at vts ${showStamp(stampOf(b))}: one place in the order holds one write`, [b, a]);
  }
  checkProgramOrder(h.ops, found);
  const unknown = h.ops.filter((o) => !isRead(o) && (o.outcome === 'info' || o.outcome === 'open'));
  for (const [key, ops] of byKey(h.ops)) checkKey(key, ops, found);
  return {
    verdict: found.list.length === 0 ? 'sequentially consistent' : 'not sequentially consistent',
    ops: h.ops.length,
    writes: writes.length,
    reads: ok.length - writes.length,
    unknownWrites: unknown.length,
    violations: found.list,
    more: found.more,
  };
}

/**
 * checkProgramOrder: along each process's ok ops (invoke order), a write sorts after everything
 * the process did before, and a read sees at least as much as the process had seen or written.
 * Unknown ops have no stamp and constrain nothing here.
 */
function checkProgramOrder(ops: readonly Op[], found: Findings): void {
  const last = new Map<number | string, Op>();
  for (const op of ops) {
    if (op.outcome !== 'ok') continue;
    const prev = last.get(op.process);
    const s = stampOf(op);
    if (prev !== undefined) {
      const c = compareStamp(s, stampOf(prev));
      const prevWhat = isRead(prev) ? `read at ${showStamp(stampOf(prev))}` : `write at ${showStamp(stampOf(prev))}`;
      if (isRead(op) && c < 0) {
        const own = isRead(prev) ? 'less than it had already seen' : 'without its own write';
        found.add('program-order', `process ${String(op.process)} read at ${showStamp(s)} after its ${prevWhat}: ${own}`, [op, prev]);
      } else if (!isRead(op) && c <= 0) {
        found.add('program-order', `process ${String(op.process)} wrote at ${showStamp(s)} after its ${prevWhat}: not ordered after it`, [
          op,
          prev,
        ]);
      }
    }
    if (prev === undefined || compareStamp(s, stampOf(prev)) > 0) last.set(op.process, op);
  }
}

function byKey(ops: readonly Op[]): Map<string, Op[]> {
  const m = new Map<string, Op[]>();
  for (const op of ops) {
    const list = m.get(op.key);
    if (list) list.push(op);
    else m.set(op.key, [op]);
  }
  return m;
}

/** Unknown: a write of unknown outcome that reads saw; it sits somewhere in (lo, hi]. */
type Unknown = { readonly op: Op; lo: Stamp; hi: Stamp; readonly readers: Op[] };
/** Window: a read saw an ok write: no unknown write of its key sits in (from, to]. */
type Window = { readonly from: Stamp; readonly to: Stamp; readonly read: Op };

/**
 * checkKey: each ok read must see the latest ok write at or before its place, or an unknown
 * write (which may have taken effect, once, at a place of its own). An unknown write some reads
 * saw must fit after each such read's latest ok write and at or before its place, and not
 * inside the window of a read that saw an ok write instead.
 */
function checkKey(key: string, ops: readonly Op[], found: Findings): void {
  const writes = ops.filter((o) => o.outcome === 'ok' && !isRead(o)).sort((a, b) => compareStamp(stampOf(a), stampOf(b)));
  const reads = ops.filter((o) => o.outcome === 'ok' && isRead(o)).sort((a, b) => compareStamp(stampOf(a), stampOf(b)));
  const unknown = ops.filter((o) => !isRead(o) && (o.outcome === 'info' || o.outcome === 'open'));
  const pinned = new Map<Op, Unknown>();
  const windows: Window[] = [];
  let w = -1;
  for (const r of reads) {
    const at = stampOf(r);
    while (w + 1 < writes.length && compareStamp(stampOf(writes[w + 1] as Op), at) <= 0) w++;
    const latest = writes[w];
    const from = latest === undefined ? BEFORE : stampOf(latest);
    if (seen(r) === (latest === undefined ? ABSENT : effect(latest))) {
      windows.push({ from, to: at, read: r });
      continue;
    }
    const could = unknown.filter((u) => effect(u) === seen(r));
    if (could.length === 0) staleRead(key, r, latest, writes, found);
    else if (could.length === 1) pin(pinned, could[0] as Op, from, at, r);
    // Several unknown writes could explain the read: it constrains none of them (sound, less strict).
  }
  for (const u of pinned.values()) placeUnknown(key, u, windows, found);
}

function pin(pinned: Map<Op, Unknown>, op: Op, from: Stamp, at: Stamp, r: Op): void {
  const u = pinned.get(op) ?? { op, lo: BEFORE, hi: AFTER, readers: [] };
  if (compareStamp(from, u.lo) > 0) u.lo = from;
  if (compareStamp(at, u.hi) < 0) u.hi = at;
  u.readers.push(r);
  pinned.set(op, u);
}

function staleRead(key: string, r: Op, latest: Op | undefined, writes: readonly Op[], found: Findings): void {
  const before =
    latest === undefined
      ? 'no write to it is at or before that'
      : `the latest write to it at or before that is at ${showStamp(stampOf(latest))}`;
  const source = writes.find((x) => effect(x) === seen(r));
  const where =
    source === undefined
      ? seen(r) === ABSENT
        ? ''
        : '; no write of that value took effect'
      : `; that value was written at ${showStamp(stampOf(source))}`;
  const value = seen(r) === ABSENT ? 'nothing' : seen(r);
  found.add('stale-read', `get ${key} at ${showStamp(stampOf(r))} saw ${value}, but ${before}${where}`, [r, latest, source]);
}

/**
 * placeUnknown: the unknown write needs one place in (lo, hi] that no window of a read that saw
 * an ok write covers (windows are (from, to], so a place equal to a window's `from` is free).
 */
function placeUnknown(key: string, u: Unknown, windows: readonly Window[], found: Findings): void {
  const what = `the unknown ${u.op.f} of ${key} that ${u.readers.length === 1 ? 'a read' : `${u.readers.length} reads`} saw`;
  if (compareStamp(u.lo, u.hi) >= 0) {
    found.add('unknown-write', `${what} must sit after ${showStamp(u.lo)} and at or before ${showStamp(u.hi)}: no such place`, [
      u.op,
      ...u.readers.slice(0, 3),
    ]);
    return;
  }
  const cover = windows
    .filter((x) => compareStamp(x.to, u.lo) > 0 && compareStamp(x.from, u.hi) < 0)
    .sort((a, b) => compareStamp(a.from, b.from));
  let reach = u.lo;
  const used: Op[] = [];
  for (const x of cover) {
    if (compareStamp(x.from, reach) > 0) break; // a gap above `reach`: the write fits there
    if (compareStamp(x.to, reach) > 0) {
      reach = x.to;
      used.push(x.read);
    }
  }
  if (compareStamp(reach, u.hi) >= 0)
    found.add('unknown-write', `${what} fits nowhere in (${showStamp(u.lo)}, ${showStamp(u.hi)}]: reads there saw other writes`, [
      u.op,
      ...u.readers.slice(0, 2),
      ...used.slice(0, 3),
    ]);
}

/** formatScReport is the text report of one file. */
export function formatScReport(file: string, r: ScResult): string {
  const head = `${file}: ${r.ops} ops (${r.writes} ok writes, ${r.reads} ok reads, ${r.unknownWrites} unknown writes)`;
  const out = [head];
  for (const v of r.violations) {
    out.push(`  ${v.kind}: ${v.text}`);
    for (const op of v.ops) out.push(`    ${describeStamped(op)}`);
  }
  if (r.more > 0) out.push(`  … and ${r.more} more violations`);
  out.push(`verdict: ${r.verdict === 'sequentially consistent' ? 'sequentially consistent' : 'NOT sequentially consistent'}`);
  return `${out.join('\n')}\n`;
}

function describeStamped(op: Op): string {
  const s = op.outcome !== 'ok' ? '' : isRead(op) ? ` at ${showStamp(stampOf(op))}` : ` vts ${showStamp(stampOf(op))}`;
  return `${describeOp(op)}${s}`;
}

/** scJson is one file's entry in `--sc --json` (docs/history.md). */
export function scJson(file: string, r: ScResult): object {
  const { verdict, ops, writes, reads, unknownWrites, more } = r;
  const violations = r.violations.map((v) => ({
    kind: v.kind,
    text: v.text,
    ops: v.ops.map((op) => ({
      process: op.process,
      f: op.f,
      key: op.key,
      invokeLine: op.invokeLine,
      completeLine: op.completeLine ?? null,
    })),
  }));
  return { file, verdict, ops, writes, reads, unknownWrites, violations, more };
}
