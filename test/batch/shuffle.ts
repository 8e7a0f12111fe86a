import t from 'tap';
import { EMPTY, NEVER, Subject, concat, defer, from, lastValueFrom, range, take, tap, throwError, toArray } from 'rxjs';
import { shuffle } from '../../src/batch/shuffle.js';

const collect = <T>(o: import('rxjs').Observable<T>) => lastValueFrom(o.pipe(toArray()));
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ids = Array.from({ length: 100 }, (_, i) => i);

t.test('a permutation of the input, for every buffer size', async (t) => {
  for (const bufferSize of [1, 2, 7, 99, 100, 1000]) {
    const got = await collect(from(ids).pipe(shuffle<number>({ bufferSize, seed: 3 })));
    t.same(sorted(got), ids, `bufferSize ${bufferSize}`);
  }
});

t.test('bufferSize 1 keeps the order', async (t) => {
  t.same(await collect(from(ids).pipe(shuffle<number>({ bufferSize: 1, seed: 3 }))), ids);
});

t.test('same seed, same order; different seed, different order', async (t) => {
  const a = await collect(from(ids).pipe(shuffle<number>({ bufferSize: 50, seed: 7 })));
  const b = await collect(from(ids).pipe(shuffle<number>({ bufferSize: 50, seed: 7 })));
  const c = await collect(from(ids).pipe(shuffle<number>({ bufferSize: 50, seed: 8 })));
  t.same(a, b);
  t.notSame(a, c);
  t.notSame(a, ids, 'actually shuffled');
});

t.test('each subscription (epoch) reshuffles: the k-th uses seed + k', async (t) => {
  const shuffled = from(ids).pipe(shuffle<number>({ bufferSize: 100, seed: 10 }));
  const epochs = [await collect(shuffled), await collect(shuffled), await collect(shuffled)];
  t.notSame(epochs[0], epochs[1]);
  t.notSame(epochs[1], epochs[2]);
  for (let k = 0; k < 3; k++) {
    t.same(epochs[k], await collect(from(ids).pipe(shuffle<number>({ bufferSize: 100, seed: 10 + k }))), `epoch ${k} = seed ${10 + k}`);
  }
  // Resuming at epoch 2 from a checkpoint replays epoch 2's order.
  t.same(await collect(from(ids).pipe(shuffle<number>({ bufferSize: 100, seed: 10, startEpoch: 2 }))), epochs[2]);
});

t.test('reshuffleEachEpoch: false repeats the first order', async (t) => {
  const shuffled = from(ids).pipe(shuffle<number>({ bufferSize: 100, seed: 10, reshuffleEachEpoch: false }));
  t.same(await collect(shuffled), await collect(shuffled));
});

t.test('holds at most bufferSize items: nothing comes out before the buffer is full', async (t) => {
  const subject = new Subject<number>();
  const out: number[] = [];
  subject.pipe(shuffle<number>({ bufferSize: 5, seed: 1 })).subscribe((x) => out.push(x));
  for (let i = 0; i < 5; i++) subject.next(i);
  t.equal(out.length, 0);
  for (let i = 5; i < 20; i++) {
    subject.next(i);
    t.equal(out.length, i - 4, 'one out per one in once full');
  }
  subject.complete();
  t.same(sorted(out), Array.from({ length: 20 }, (_, i) => i));
});

t.test('never', async (t) => {
  const out: unknown[] = [];
  const sub = NEVER.pipe(shuffle({ bufferSize: 3, seed: 1 })).subscribe((x) => out.push(x));
  sub.unsubscribe();
  t.same(out, []);
});

t.test('empty', async (t) => {
  t.same(await collect(EMPTY.pipe(shuffle({ bufferSize: 3, seed: 1 }))), []);
});

t.test('one', async (t) => {
  t.same(await collect(from(['a']).pipe(shuffle<string>({ bufferSize: 3, seed: 1 }))), ['a']);
});

t.test('error passes through; buffered items are dropped', async (t) => {
  const boom = new Error('boom');
  const out: number[] = [];
  const err = await new Promise((resolve) =>
    concat(from([1, 2, 3]), throwError(() => boom)).pipe(shuffle<number>({ bufferSize: 10, seed: 1 })).subscribe({ next: (x) => out.push(x), error: resolve }),
  );
  t.equal(err, boom);
  t.same(out, []);
});

t.test('early unsubscribe stops a synchronous source, also while draining', async (t) => {
  let pulled = 0;
  const got = await collect(range(0, 1e9).pipe(tap(() => pulled++), shuffle<number>({ bufferSize: 10, seed: 1 }), take(3)));
  t.equal(got.length, 3);
  t.equal(pulled, 13);
  const drained: number[] = [];
  await collect(defer(() => from(ids)).pipe(shuffle<number>({ bufferSize: 100, seed: 1 }), take(4), tap((x) => drained.push(x))));
  t.equal(drained.length, 4);
});

t.test('options are validated up front', async (t) => {
  const cases: Array<[object, RegExp]> = [
    [{ bufferSize: 0 }, /Invalid option bufferSize: expected a positive integer, got 0/],
    [{ bufferSize: 4, seed: 1.5 }, /Invalid option seed: expected an integer, got 1.5/],
    [{ bufferSize: 4, reshuffleEachEpoch: 1 }, /Invalid option reshuffleEachEpoch/],
    [{ bufferSize: 4, startEpoch: -1 }, /Invalid option startEpoch/],
  ];
  for (const [opts, message] of cases) t.throws(() => shuffle(opts as never), { code: 'INVALID_OPTION', message });
});
