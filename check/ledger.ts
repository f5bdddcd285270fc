// ledger: the commit tables of a run, built one line at a time. Memory grows with the number of
// distinct seqs and keys, never with file size: keys are interned once as small integers, seqs
// get one global slot, and each rank keeps a typed-array column (slot → key, slot → line).
import { defined } from '../runtime/assert.js';
import { BigMap } from './big-map.js';
import { FirstFew } from './first-few.js';
import type { LineSink } from './lines.js';
import { isBlank, matchInstance, type Malformed, type InstanceEvent } from './parse.js';

/** Repeat is a commit line for a seq this rank had already committed (rule 1's raw material). */
export interface Repeat {
  readonly seq: number;
  /** firstKey, firstLine: the commit already in the table; key, line: the later one. */
  readonly firstKey: number;
  readonly firstLine: number;
  readonly key: number;
  readonly line: number;
}

/** MalformedLine is a line that announced an instance but did not complete the pattern. */
export interface MalformedLine {
  readonly line: number;
  readonly reason: string;
}

/** UnreadableLine is a line the checker could not read as an instance line: malformed, or too long to read. */
export interface UnreadableLine extends MalformedLine {
  readonly truncated: boolean;
}

/** RankLedger is one rank's table and line statistics; a column's slot i is ledger slot i. */
export interface RankLedger {
  readonly node: number;
  readonly file: string;
  /** keyAt[slot] is 1 + the key id committed at that slot's seq, 0 if none; may be shorter than the slot count. */
  keyAt: Int32Array;
  /** lineAt[slot] is the line of that first commit. */
  lineAt: Float64Array;
  /** commits counts distinct committed seqs; maxSeq is -1 until the first commit. */
  commits: number;
  maxSeq: number;
  generates: number;
  commitLines: number;
  lines: number;
  blank: number;
  unmatched: number;
  overlong: number;
  unterminated: boolean;
  /** missing: the rank's log does not exist (it wrote none). */
  missing: boolean;
  readonly malformed: FirstFew<MalformedLine>;
  /** unreadable: malformed and overlong lines, which fail rule 2 — all but a torn tail. */
  readonly unreadable: FirstFew<MalformedLine>;
  /** tornTail: an unterminated last line cut short mid-write (a killed rank's), only noted. */
  tornTail: MalformedLine | undefined;
  /** conflictingValues: repeats with another key; repeatedCommits: with the same key. */
  readonly conflictingValues: FirstFew<Repeat>;
  readonly repeatedCommits: FirstFew<Repeat>;
}

/** LedgerView is what the rules read: the tables, frozen by convention once ingestion ends. */
export interface LedgerView {
  readonly ranks: readonly RankLedger[];
  /** slotCount slots are in use; seqOf[slot] is the seq of a slot. */
  readonly slotCount: number;
  readonly seqOf: Float64Array;
  /** keyCount keys are interned; keyText[id] is the key. */
  readonly keyCount: number;
  readonly keyText: readonly string[];
  /** generated[id] is 1 if some rank generated the key. */
  readonly generated: Uint8Array;
  /** commitsOfKey[id] counts commit lines naming the key; firstCommitNode/Line locate the first (-1 if none). */
  readonly commitsOfKey: Float64Array;
  readonly firstCommitNode: Int32Array;
  readonly firstCommitLine: Float64Array;
}

/**
 * DENSE_SEQS: seqs below this find their slot in an array indexed by seq, not a hash map (a run's
 * seqs are dense from 0; the array grows with the highest seq read, so it is capped: 16 MB).
 */
const DENSE_SEQS = 1 << 22;

/** GUESS_SEQS: seqs past this get no key guess (the guess table grows with the highest seq read, so it is capped: 16 MB). */
const GUESS_SEQS = 1 << 22;

const byLine = (a: { line: number }, b: { line: number }): boolean => a.line < b.line;

/** Ledger accumulates every rank's log; feed one rank at a time through beginRank's sink. */
export class Ledger implements LedgerView {
  readonly ranks: RankLedger[] = [];
  slotCount = 0;
  seqOf = new Float64Array(1024);
  keyCount = 0;
  readonly keyText: string[] = [];
  generated = new Uint8Array(1024);
  commitsOfKey = new Float64Array(1024);
  firstCommitNode = new Int32Array(1024).fill(-1);
  firstCommitLine = new Float64Array(1024);
  /**
   * firstCommitOrder[id]: the position in `ranks` of firstCommitNode[id]. Ranks may be fed
   * interleaved (a simulation grades its logs while they are written); the first commit of a key
   * is still the one in the earliest rank begun, as if the ranks were read one after another.
   */
  private firstCommitOrder = new Int32Array(1024);
  /** slotOfSeq: the slot of a seq ≥ DENSE_SEQS; slotAtSeq[seq]: 1 + the slot of a smaller one (0: none yet). */
  private readonly slotOfSeq = new BigMap<number, number>();
  private slotAtSeq = new Int32Array(1024);
  private readonly idOfKey = new BigMap<string, number>();
  /** keyAtSeq[seq]: 1 + the key id last read at seq (0: none), for seq < GUESS_SEQS: a guess, never an answer. */
  private keyAtSeq = new Int32Array(1024);

  /**
   * examples bounds how many malformed lines and repeats each rank keeps for diagnostics;
   * maxLineBytes is the reader's line limit, named when a longer line is reported.
   */
  constructor(
    readonly examples: number,
    readonly maxLineBytes = Infinity,
  ) {}

  /**
   * beginRank starts a rank's table; feed its lines to the returned sink, in file order. Ranks
   * may be fed one after another or interleaved: the tables and the verdict are the same.
   */
  beginRank(node: number, file: string): RankIngest {
    if (this.ranks.some((r) => r.node === node)) throw new RangeError(`node ${node} given twice`);
    const rank: RankLedger = {
      node,
      file,
      keyAt: new Int32Array(0),
      lineAt: new Float64Array(0),
      commits: 0,
      maxSeq: -1,
      generates: 0,
      commitLines: 0,
      lines: 0,
      blank: 0,
      unmatched: 0,
      overlong: 0,
      unterminated: false,
      missing: false,
      malformed: new FirstFew<MalformedLine>(this.examples, byLine),
      unreadable: new FirstFew<MalformedLine>(this.examples, byLine),
      tornTail: undefined,
      conflictingValues: new FirstFew<Repeat>(this.examples, byLine),
      repeatedCommits: new FirstFew<Repeat>(this.examples, byLine),
    };
    this.ranks.push(rank);
    return new RankIngest(this, rank, this.ranks.length - 1);
  }

  /**
   * firstCommit records a commit of key id at line of the rank begun order-th, if it is the
   * key's first: none yet, or the one recorded came from a rank begun later.
   */
  firstCommit(id: number, order: number, node: number, line: number): void {
    if (this.commitsOfKey[id] !== 0 && order >= (this.firstCommitOrder[id] as number)) return;
    this.firstCommitNode[id] = node;
    this.firstCommitLine[id] = line;
    this.firstCommitOrder[id] = order;
  }

  /**
   * keyId interns a key. guess is the id the caller expects (see RankIngest): checking it
   * costs one string comparison, a map lookup must hash the key. A new key is copied first:
   * the parsed one is a slice that would pin the whole chunk it was read in.
   */
  keyId(key: string, guess = -1): number {
    if (guess >= 0 && guess < this.keyCount && this.keyText[guess] === key) return guess;
    let id = this.idOfKey.get(key);
    if (id === undefined) {
      id = this.keyCount++;
      const own = detach(key);
      this.idOfKey.set(own, id);
      this.keyText.push(own);
      if (id >= this.generated.length) this.growKeys(id + 1);
    }
    return id;
  }

  /** keyGuess: the key id last read at seq by any rank (-1: none): the key its next line at seq most likely names. */
  keyGuess(seq: number): number {
    return seq < this.keyAtSeq.length ? (this.keyAtSeq[seq] as number) - 1 : -1;
  }

  /** noteKey remembers that a line at seq named key id (see keyGuess). */
  noteKey(seq: number, id: number): void {
    if (seq >= this.keyAtSeq.length) {
      if (seq >= GUESS_SEQS) return;
      this.keyAtSeq = grown(this.keyAtSeq, seq + 1);
    }
    this.keyAtSeq[seq] = id + 1;
  }

  /** slot gives the seq (a safe integer ≥ 0) its global slot, shared by every rank's column; guess as for keyId. */
  slot(seq: number, guess = -1): number {
    if (guess >= 0 && guess < this.slotCount && this.seqOf[guess] === seq) return guess;
    const known = this.knownSlot(seq);
    if (known >= 0) return known;
    const slot = this.slotCount++;
    if (seq >= DENSE_SEQS) this.slotOfSeq.set(seq, slot);
    else {
      if (seq >= this.slotAtSeq.length) this.slotAtSeq = grown(this.slotAtSeq, seq + 1);
      this.slotAtSeq[seq] = slot + 1;
    }
    if (slot >= this.seqOf.length) this.seqOf = grown(this.seqOf, slot + 1);
    this.seqOf[slot] = seq;
    return slot;
  }

  /** knownSlot: the seq's slot, or -1 if it has none yet. */
  private knownSlot(seq: number): number {
    if (seq >= DENSE_SEQS) return this.slotOfSeq.get(seq) ?? -1;
    return seq < this.slotAtSeq.length ? (this.slotAtSeq[seq] as number) - 1 : -1;
  }

  private growKeys(need: number): void {
    this.generated = grown(this.generated, need);
    this.commitsOfKey = grown(this.commitsOfKey, need);
    const before = this.firstCommitNode.length;
    this.firstCommitNode = grown(this.firstCommitNode, need);
    this.firstCommitNode.fill(-1, before);
    this.firstCommitLine = grown(this.firstCommitLine, need);
    this.firstCommitOrder = grown(this.firstCommitOrder, need);
  }
}

/** RankIngest turns one rank's lines into ledger entries. */
export class RankIngest implements LineSink {
  // Ranks log the same instances in much the same order, and a commit line usually follows
  // its generate line: so the next key is usually the last one or the one interned after it,
  // and the next seq's slot the one after the last. Guessing them skips most hashing.
  private lastKey = -1;
  private lastSlot = -1;
  // A truncated malformed line waits here until the next line shows it was not the last one:
  // only a file's unterminated last line can be a write cut short (see end).
  private pending: UnreadableLine | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly rank: RankLedger,
    /** order: the rank's position in the ledger's ranks (see Ledger.firstCommit). */
    private readonly order: number,
  ) {}

  line(text: string, lineNo: number): void {
    this.flushPending();
    this.rank.lines = lineNo;
    const generate = matchInstance(text, 'generate');
    const commit = matchInstance(text, 'commit');
    if (generate === undefined && commit === undefined) {
      if (isBlank(text)) this.rank.blank++;
      else this.rank.unmatched++;
      return;
    }
    // As in the reference, one line may record both events; it is malformed only if it records neither.
    const gOk = generate !== undefined && isEvent(generate);
    const cOk = commit !== undefined && isEvent(commit);
    if (gOk) this.generate(generate.key, generate.seq);
    if (cOk) this.commit(commit.key, commit.seq, lineNo);
    if (!gOk && !cOk) {
      const bad = defined(generate ?? commit, 'the line names an instance (returned early otherwise) and records none');
      this.rank.malformed.offer({ line: lineNo, reason: bad.reason });
      const unreadable = { line: lineNo, reason: bad.reason, truncated: bad.truncated };
      if (bad.truncated) this.pending = unreadable;
      else this.rank.unreadable.offer(unreadable);
    }
  }

  overlong(lineNo: number): void {
    this.flushPending();
    this.rank.lines = lineNo;
    this.rank.overlong++;
    this.rank.unreadable.offer({ line: lineNo, reason: `longer than ${this.ledger.maxLineBytes} bytes: not read` });
  }

  /** missing records that the rank's log does not exist. */
  missing(): void {
    this.rank.missing = true;
  }

  /** end records what the reader learnt about the file as a whole. */
  end(summary: { lines: number; unterminated: boolean }): void {
    this.rank.lines = summary.lines;
    this.rank.unterminated = summary.unterminated;
    const last = this.pending;
    if (last !== undefined && summary.unterminated && last.line === summary.lines) {
      this.pending = undefined;
      this.rank.tornTail = { line: last.line, reason: last.reason };
    }
    this.flushPending();
  }

  /** flushPending counts a held-back truncated line as unreadable: a line followed it. */
  private flushPending(): void {
    if (this.pending === undefined) return;
    this.rank.unreadable.offer({ line: this.pending.line, reason: this.pending.reason });
    this.pending = undefined;
  }

  /**
   * keyOf interns key, guessing the last key (a commit after its generate), then the key last
   * read at the same seq (this rank's generate before its commit; another rank's lines for the
   * same instance: out-of-order commits and leader changes break the other guesses), then the
   * one interned after the last.
   */
  private keyOf(key: string, seq: number): number {
    const ledger = this.ledger;
    const last = this.lastKey;
    let id: number;
    if (last >= 0 && ledger.keyText[last] === key) id = last;
    else {
      const atSeq = ledger.keyGuess(seq);
      id = atSeq >= 0 && ledger.keyText[atSeq] === key ? atSeq : ledger.keyId(key, last + 1);
    }
    this.lastKey = id;
    ledger.noteKey(seq, id);
    return id;
  }

  private generate(key: string, seq: number): void {
    this.rank.generates++;
    const id = this.keyOf(key, seq);
    this.ledger.generated[id] = 1;
  }

  private commit(key: string, seq: number, line: number): void {
    const { ledger, rank } = this;
    rank.commitLines++;
    const id = this.keyOf(key, seq);
    ledger.firstCommit(id, this.order, rank.node, line);
    ledger.commitsOfKey[id] = defined(ledger.commitsOfKey[id], 'keyId grows the per-key columns past every id it hands out') + 1;
    const slot = (this.lastSlot = ledger.slot(seq, this.lastSlot + 1));
    if (slot >= rank.keyAt.length) {
      rank.keyAt = grown(rank.keyAt, slot + 1);
      rank.lineAt = grown(rank.lineAt, slot + 1);
    }
    const prev = defined(rank.keyAt[slot], "the rank's columns were just grown past slot");
    if (prev === 0) {
      rank.keyAt[slot] = id + 1;
      rank.lineAt[slot] = line;
      rank.commits++;
      if (seq > rank.maxSeq) rank.maxSeq = seq;
      return;
    }
    // The table keeps the first commit, as the reference does; the later line is a repeat.
    const repeat: Repeat = { seq, firstKey: prev - 1, firstLine: defined(rank.lineAt[slot], 'lineAt grows with keyAt'), key: id, line };
    (prev - 1 === id ? rank.repeatedCommits : rank.conflictingValues).offer(repeat);
  }
}

function isEvent(m: InstanceEvent | Malformed): m is InstanceEvent {
  return 'seq' in m;
}

type TypedArray = Int32Array | Float64Array | Uint8Array;

/** grown returns a copy of a with room for at least need elements (doubling keeps appends linear). */
function grown<A extends TypedArray>(a: A, need: number): A {
  const bigger = new (a.constructor as new (n: number) => A)(Math.max(need, a.length * 2, 16));
  bigger.set(a);
  return bigger;
}

/**
 * detach returns a flat copy of s. V8 represents a slice of a long string as a view that
 * keeps the long string alive; a UTF-16 round trip through a Buffer forces a copy, is
 * lossless for every JS string (lone surrogates included), and V8 stores the result in one
 * byte per character when it can.
 */
function detach(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}
