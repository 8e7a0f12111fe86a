import t from 'tap';
import { FlowControl } from '../../src/sources/flow.js';

t.test('credits', async (t) => {
  const flow = new FlowControl({ highWaterMark: 2 });
  t.ok(flow.hasCredit);
  const a = flow.hold();
  const b = flow.hold();
  t.notOk(flow.hasCredit);
  t.equal(flow.inFlight, 2);
  let woke = false;
  const waiting = flow.whenCredit().then(() => (woke = true));
  await Promise.resolve();
  t.notOk(woke, 'waits while no credit');
  a();
  a(); // idempotent
  await waiting;
  t.ok(woke);
  t.equal(flow.inFlight, 1);
  b();
  t.equal(flow.inFlight, 0);
  t.equal(flow.peakInFlight, 2);
});

t.test('an aborted wait resolves', async (t) => {
  const flow = new FlowControl({ highWaterMark: 1 });
  flow.hold();
  const controller = new AbortController();
  const waiting = flow.whenCredit(controller.signal);
  controller.abort();
  await waiting;
  t.pass('resolved on abort');
});

t.test('invalid bound', async (t) => {
  for (const bad of [0, -1, 1.5]) {
    t.throws(() => new FlowControl({ highWaterMark: bad }), { code: 'INVALID_OPTION' });
  }
});
