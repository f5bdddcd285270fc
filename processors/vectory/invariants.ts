// invariants: S1–S6 and S11 (docs/protocols/vectory.md §12) as pure functions over every node's
// instance log (log.ts), one sentence per violation. The simulator offers no per-step hook, so
// they are checked over the whole run's logs, every process lifetime included (a crash's lines
// stay in its node's log).
import { ballotText, parseBallot, parseLine, type LogLine } from './log.js';
import { compareBallot, type Ballot } from './types.js';

type Commit = { node: number; shard: number; index: number; ballot: string; version: number; by: Ballot | undefined };

function lines(logs: readonly (readonly string[])[]): { node: number; l: LogLine }[] {
  return logs.flatMap((ls, node) => ls.flatMap((t) => (parseLine(t) === undefined ? [] : [{ node, l: parseLine(t) as LogLine }])));
}

function commits(all: { node: number; l: LogLine }[]): Commit[] {
  return all
    .filter((x) => x.l.words[0] === 'commit')
    .map(({ node, l }) => ({
      node,
      shard: Number(l.words[1]),
      index: Number(l.words[2]),
      ballot: l.words[3] ?? '',
      version: Number(l.words[4]),
      by: parseBallot(l.words[6] ?? ''),
    }));
}

/** S1: per shard and index at most one entry (its ballot and version) is committed anywhere. */
export function checkS1(cs: readonly Commit[]): string[] {
  const seen = new Map<string, Commit>();
  const out: string[] = [];
  for (const c of cs) {
    const k = `${c.shard}/${c.index}`;
    const d = seen.get(k);
    if (d === undefined) seen.set(k, c);
    else if (d.ballot !== c.ballot || d.version !== c.version)
      out.push(
        `S1: shard ${c.shard} index ${c.index} committed as ${d.ballot}@${d.version} on node ${d.node} and ${c.ballot}@${c.version} on node ${c.node}`,
      );
  }
  return out;
}

/** S2: one master per ballot per shard, and a ballot is its own node's. */
export function checkS2(all: readonly { node: number; l: LogLine }[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (const { node, l } of all.filter((x) => x.l.words[0] === 'master')) {
    const k = `${l.words[1]}/${l.words[2]}`;
    if (seen.has(k) || parseBallot(l.words[2] ?? '')?.nodeId !== node)
      out.push(`S2: shard ${l.words[1]} ballot ${l.words[2]} mastered twice or by node ${node}`);
    seen.set(k, node);
  }
  return out;
}

/**
 * S3: an entry committed under ballot c is in the log every master of a higher ballot starts
 * from, whenever either happened (a Collect quorum meets the commit quorum; E3's source rule).
 */
export function checkS3(all: readonly { node: number; l: LogLine }[], cs: readonly Commit[]): string[] {
  const out: string[] = [];
  for (const { node, l } of all.filter((x) => x.l.words[0] === 'master')) {
    const shard = Number(l.words[1]);
    const b = parseBallot(l.words[2] ?? '');
    const len = Number(l.words[3]);
    const lost =
      b === undefined ? undefined : cs.find((c) => c.shard === shard && c.index > len && c.by !== undefined && compareBallot(c.by, b) < 0);
    if (lost !== undefined)
      out.push(
        `S3: node ${node} mastered shard ${shard} (${l.words[2]}) from ${len} entries, but index ${lost.index} was committed under ${ballotText(lost.by ?? b ?? { epoch: 0, rank: 0, nodeId: 0 })}`,
      );
  }
  return out;
}

/** recovered: a restart's `recover` line — no lower than the lines before it (nothing durable lost), accepted ≤ promised — is the new baseline. */
function recovered(node: number, w: readonly string[], last: Map<string, Ballot>): string[] {
  const [promised, accepted] = [parseBallot(w[2] ?? ''), parseBallot(w[3] ?? '')];
  if (promised === undefined || accepted === undefined) return [];
  const out: string[] = [];
  for (const [kind, b] of [
    ['promise', promised],
    ['accept', accepted],
  ] as const) {
    const before = last.get(`${kind}/${w[1]}`);
    if (before !== undefined && compareBallot(b, before) < 0)
      out.push(`S4: node ${node} shard ${w[1]} recovered ${kind} ${ballotText(b)} below its logged ${ballotText(before)}`);
    last.set(`${kind}/${w[1]}`, b);
  }
  if (compareBallot(accepted, promised) > 0)
    out.push(`S4: node ${node} shard ${w[1]} recovered accepted ${ballotText(accepted)} above its promise`);
  return out;
}

/** S4: promised and accepted never decrease on a node, across restarts; accepted ≤ promised. */
export function checkS4(logs: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  logs.forEach((ls, node) => {
    const last = new Map<string, Ballot>();
    for (const t of ls) {
      const l = parseLine(t);
      const w = l?.words ?? [];
      if (w[0] === 'recover') {
        out.push(...recovered(node, w, last));
        continue;
      }
      if (w[0] !== 'promise' && w[0] !== 'accept') continue;
      const b = parseBallot(w[2] ?? '');
      if (b === undefined) continue;
      const k = `${w[0]}/${w[1]}`;
      const before = last.get(k);
      if (before !== undefined && compareBallot(b, before) < (w[0] === 'accept' ? 0 : 1))
        out.push(`S4: node ${node} shard ${w[1]} ${w[0]} went from ${ballotText(before)} to ${ballotText(b)}`);
      const promised = last.get(`promise/${w[1]}`);
      if (w[0] === 'accept' && (promised === undefined || compareBallot(b, promised) > 0))
        out.push(`S4: node ${node} shard ${w[1]} accepted ${ballotText(b)} above its promise`);
      last.set(k, b);
    }
  });
  return out;
}

/** S5: within one process lifetime a node's commits per shard only go forward, one index at a time; S6: versions rise along the log. */
export function checkS5S6(logs: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  logs.forEach((ls, node) => {
    let at = new Map<number, { index: number; version: number }>();
    for (const t of ls) {
      const w = parseLine(t)?.words ?? [];
      if (w[0] === 'start') at = new Map();
      if (w[0] !== 'commit') continue;
      const shard = Number(w[1]);
      const c = { index: Number(w[2]), version: Number(w[4]) };
      const p = at.get(shard) ?? { index: 0, version: 0 };
      if (c.index !== p.index + 1) out.push(`S5: node ${node} shard ${shard} committed index ${c.index} after ${p.index}`);
      if (c.version <= p.version) out.push(`S6: node ${node} shard ${shard} version ${c.version} at index ${c.index} after ${p.version}`);
      at.set(shard, c);
    }
  });
  return out;
}

/** S11: a master grants at most one token per tokenTtlMs. */
export function checkS11(logs: readonly (readonly string[])[], tokenTtlMs: number): string[] {
  const out: string[] = [];
  logs.forEach((ls, node) => {
    let last = -Infinity;
    for (const t of ls) {
      const l = parseLine(t);
      if (l?.words[0] !== 'token') continue;
      if (l.atUs - last < tokenTtlMs * 1000) out.push(`S11: node ${node} granted tokens ${(l.atUs - last) / 1000} ms apart`);
      last = l.atUs;
    }
  });
  return out;
}

/** auditLogs: every invariant over every node's log. */
export function auditLogs(logs: readonly (readonly string[])[], tokenTtlMs: number): string[] {
  const all = lines(logs);
  const cs = commits(all);
  return [...checkS1(cs), ...checkS2(all), ...checkS3(all, cs), ...checkS4(logs), ...checkS5S6(logs), ...checkS11(logs, tokenTtlMs)];
}
