import t from 'tap';
import { from, NEVER, of, Subject, take, throwError, concat } from 'rxjs';
import { mapAsync } from '../../src/sources/map-async.js';
import { FlowControl } from '../../src/sources/flow.js';
import { collect } from '../fixtures/sources/helpers.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('checklist', async (t) => {
  t.same(await collect(from([]).pipe(mapAsync(async (x: number) => x))), { values: [] }, 'empty');
  t.same(await collect(of(2).pipe(mapAsync(async (x) => x * 10))), { values: [20] }, 'one');
  // Later values finish first; output order is still input order.
  const many = await collect(from([30, 1, 20, 2, 10]).pipe(mapAsync(async (ms, i) => { await delay(ms); return `${i}:${ms}`; }, { concurrency: 3 })));
  t.same(many.values, ['0:30', '1:1', '2:20', '3:2', '4:10'], 'many, ordered');
  const upstreamError = await collect(concat(of(1), throwError(() => new Error('up'))).pipe(mapAsync(async (x) => x)));
  t.match(upstreamError.error, { message: 'up' }, 'upstream error');
  const rejected = await collect(from([1, 2, 3]).pipe(mapAsync(async (x) => { if (x === 2) throw new Error('fn'); return x; })));
  t.match(rejected, { values: [1], error: { message: 'fn' } }, 'callback rejects');
  const thrown = await collect(from([1, 2]).pipe(mapAsync((x) => { if (x === 1) throw new Error('sync'); return x; })));
  t.match(thrown, { values: [], error: { message: 'sync' } }, 'callback throws synchronously');
  const never = NEVER.pipe(mapAsync(async (x: number) => x)).subscribe();
  never.unsubscribe();
  t.ok(never.closed, 'never: unsubscribes');
});

t.test('concurrency is respected', async (t) => {
  for (const concurrency of [1, 2, 5]) {
    let running = 0;
    let peak = 0;
    await collect(from(Array.from({ length: 20 }, (_, i) => i)).pipe(mapAsync(async (x) => {
      running++;
      peak = Math.max(peak, running);
      await delay(1);
      running--;
      return x;
    }, { concurrency })));
    t.equal(peak, concurrency, `concurrency ${concurrency}`);
  }
});

t.test('holds a credit per value until its result was passed on; releases all on unsubscribe', async (t) => {
  const flow = new FlowControl({ highWaterMark: 10 });
  const input = new Subject<number>();
  const gates: Array<() => void> = [];
  const seen: number[] = [];
  const sub = input.pipe(mapAsync((x) => new Promise<number>((r) => gates.push(() => r(x))), { flow, concurrency: 2 })).subscribe((v) => seen.push(v));
  for (let i = 0; i < 5; i++) input.next(i);
  t.equal(flow.inFlight, 5, 'five held (two running, three queued)');
  gates.shift()!();
  await delay(1);
  t.same(seen, [0]);
  t.equal(flow.inFlight, 4);
  sub.unsubscribe();
  t.equal(flow.inFlight, 0, 'released on unsubscribe');
});

t.test('early unsubscribe with take', async (t) => {
  const flow = new FlowControl();
  const { values } = await collect(from([1, 2, 3, 4]).pipe(mapAsync(async (x) => x, { flow }), take(2)));
  t.same(values, [1, 2]);
  t.equal(flow.inFlight, 0);
});

t.test('invalid concurrency', async (t) => {
  t.throws(() => mapAsync(async (x) => x, { concurrency: 0 }), { code: 'INVALID_OPTION', message: 'Invalid option concurrency: expected a positive integer, got 0' });
});

t.test('long queues stay ordered (regression: emitted slots are compacted, not shifted one by one)', async (t) => {
  const n = 5000;
  const { values } = await collect(from(Array.from({ length: n }, (_, i) => i)).pipe(mapAsync(async (x) => { await Promise.resolve(); return x; }, { concurrency: 7 })));
  t.equal(values.length, n);
  t.ok(values.every((v, i) => v === i), 'input order');
});
