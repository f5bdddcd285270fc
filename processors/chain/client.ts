// client: a client request at a node (decision 7 of docs/protocols/chain.md): gets are tail
// reads (R1, R2), or with --craq reads at any member (R3, craq.ts), puts and deletes head writes
// (W1–W8). A node that is not where the request belongs answers `not-leader` with the right rank
// from its configuration; no lease (L2), a joiner before its handover (X4), a pause (J3) or a
// full window (W2) answer `electing`, so the client backs off and retries with the same reqNo.
import type { ClientRequest } from '../../runtime/client/wire.js';
import { headOf, rangeOfKey, readerOf } from './config.js';
import { craqGet } from './craq.js';
import { hasLease, servable, type NodeState } from './node_state.js';
import type { ChainOut } from './types.js';
import { headWrite } from './write.js';

/** onClientRequest answers or starts one client request from address `from`. */
export function onClientRequest(n: NodeState, from: number, req: ClientRequest, nowMs: number, out: ChainOut): void {
  const head = { type: 'client-reply', client: req.client, reqNo: req.reqNo } as const;
  if (req.op === 'append') {
    out.send(from, { ...head, status: 'refused', why: 'chain stores get, put and delete only' });
    return;
  }
  const cr = n.config === undefined ? undefined : rangeOfKey(n.config, req.key);
  if (cr === undefined) {
    out.send(from, { ...head, status: 'electing' }); // no configuration yet: the cluster is starting
    return;
  }
  const r = n.ranges.get(cr.rangeId);
  const craq = n.options.craq === true;
  // CRAQ: a member answers its own reads; a non-member sends the client to the member its hash picks
  const reader = craq && cr.chain.includes(n.rank) ? n.rank : readerOf(cr, req.client, req.key, craq);
  const end = req.op === 'get' ? reader : headOf(cr);
  if (end !== n.rank || r === undefined || r.retired) {
    n.counts.wrongNode++;
    const hint = end === n.rank ? null : (end ?? null);
    // a CRAQ read that asks is told the whole chain, so its client can spread the key's reads
    const members = craq && req.op === 'get' && req.members === true && cr.chain.length > 0 ? { members: cr.chain } : {};
    out.send(from, { ...head, status: 'not-leader', hint, ...members });
    return;
  }
  if (req.op !== 'get') {
    headWrite(n, r, from, req, nowMs, out);
    return;
  }
  if (!hasLease(n, nowMs) || !servable(r)) {
    n.counts.staleAnswers++;
    out.send(from, { ...head, status: 'electing' }); // R2: never an old read
    return;
  }
  if (craq) {
    craqGet(n, r, from, req, nowMs, out);
    return;
  }
  n.counts.reads++;
  out.send(from, { ...head, status: 'ok', result: r.store.get(req.key)?.value ?? null });
}
