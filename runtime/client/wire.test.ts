// wire: a store with one global write order (Vectory) sends `vts`/`at` on ok replies and gets
// `after` on requests; frames without them stay valid, and malformed ones are named, not trusted.
import t from 'tap';
import { BadClientFrame, parseClientReply, parseClientRequest, parseHello } from './wire.js';

const req = { type: 'client-req', client: 'c1', reqNo: 3, op: 'get', key: 'k' };
const ok = { type: 'client-reply', client: 'c1', reqNo: 3, status: 'ok', result: 'v' };

t.test('after, vts and at round-trip; absent stays absent', async (t) => {
  t.same(parseClientRequest({ ...req, read: 'local', after: { version: 10, shard: 5 } }), {
    ...req,
    read: 'local',
    after: { version: 10, shard: 5 },
  });
  t.notOk('after' in parseClientRequest(req), 'a request without after (every other store) is unchanged');
  t.same(parseClientRequest({ ...req, read: 'master' }).read, 'master');
  const w = parseClientReply({ ...ok, result: null, vts: { version: 7, shard: 0 } });
  t.same(w, { ...ok, result: null, vts: { version: 7, shard: 0 } });
  const r = parseClientReply({ ...ok, at: { version: 9, shard: 2 } });
  t.same(r, { ...ok, at: { version: 9, shard: 2 } });
  const plain = parseClientReply(ok);
  t.notOk('vts' in plain || 'at' in plain, 'an ok reply without them has neither');
});

t.test('a malformed vts is refused with its field named', async (t) => {
  const bad: unknown[] = [{ version: -1, shard: 0 }, { version: 1.5, shard: 0 }, { version: 1 }, [1, 2], 'x', null];
  for (const after of bad)
    t.throws(
      () => parseClientRequest({ ...req, after }),
      new BadClientFrame('after must be {version, shard}, integers ≥ 0'),
      JSON.stringify(after),
    );
  t.throws(
    () => parseClientReply({ ...ok, vts: { version: 1, shard: 'a' } }),
    new BadClientFrame('vts must be {version, shard}, integers ≥ 0'),
  );
  t.throws(() => parseClientReply({ ...ok, at: { shard: 1 } }), new BadClientFrame('at must be {version, shard}, integers ≥ 0'));
  t.throws(() => parseClientRequest({ ...req, read: 'nearest' }), BadClientFrame);
});

t.test('members: a read may ask who can answer it; ok and not-leader replies may name them', async (t) => {
  t.same(parseClientRequest({ ...req, members: true }), { ...req, members: true });
  t.notOk('members' in parseClientRequest(req), 'a request without it is unchanged');
  t.throws(() => parseClientRequest({ ...req, members: false }), new BadClientFrame('members must be true or absent'));
  t.same(parseClientReply({ ...ok, members: [3, 5, 7] }), { ...ok, members: [3, 5, 7] });
  const nl = { type: 'client-reply', client: 'c1', reqNo: 3, status: 'not-leader', hint: 5 };
  t.same(parseClientReply({ ...nl, members: [5] }), { ...nl, members: [5] });
  t.notOk('members' in parseClientReply(nl), 'a not-leader without it has none');
  for (const members of [[], [1, -1], [1.5], 'x', Array.from({ length: 65 }, (_, i) => i)])
    t.throws(() => parseClientReply({ ...ok, members }), new BadClientFrame('members must be 1–64 ranks'), JSON.stringify(members));
});

t.test('a hello may ask for batched frames; anything but true is refused', async (t) => {
  const h = { magic: 'csplab-client', clusterId: 'x' };
  t.same(parseHello({ ...h, batch: true }), { ...h, batch: true });
  t.notOk('batch' in parseHello(h), 'an old client’s hello: one object per frame');
  t.throws(() => parseHello({ ...h, batch: 'yes' }), new BadClientFrame('batch must be true or absent'));
});
