import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Observable, from, map, take, throwError, concat, of, delay, mergeMap, toArray } from 'rxjs';
import { toReadable, toTransform } from '../../src/etl/streams.js';
import { fromDocuments } from '../../src/sources/iterable.js';
import { preprocess } from '../../src/preprocess/operator.js';

async function collect(r: Readable): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of r) out.push(v);
  return out;
}

t.test('toReadable', async (t) => {
  const cases: Array<[string, Observable<number>, number[]]> = [
    ['empty', from([]), []],
    ['one value', of(1), [1]],
    ['many values', from(Array.from({ length: 1000 }, (_, i) => i)), Array.from({ length: 1000 }, (_, i) => i)],
  ];
  for (const [name, obs, expected] of cases) t.same(await collect(toReadable(obs)), expected, name);

  await t.rejects(collect(toReadable(concat(of(1, 2), throwError(() => new Error('boom'))))), { message: 'boom' }, 'error mid-stream');

  let subscribed = 0;
  let unsubscribed = 0;
  const endless = new Observable<number>((s) => {
    subscribed++;
    let i = 0;
    const timer = setInterval(() => s.next(i++), 1);
    return () => {
      unsubscribed++;
      clearInterval(timer);
    };
  });
  const r = toReadable(endless);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(subscribed, 0, 'subscribes lazily, on the first read');
  const got: unknown[] = [];
  for await (const v of r) {
    got.push(v);
    if (got.length === 3) break; // destroys the stream
  }
  t.same(got, [0, 1, 2]);
  t.equal(unsubscribed, 1, 'destroying the Readable unsubscribes (early stop)');
});

t.test('toReadable paces a flow-controlled source while nobody reads', async (t) => {
  let produced = 0;
  const docs = fromDocuments(function* () {
    for (let i = 0; i < 100_000; i++) {
      produced++;
      yield { id: i, text: `doc ${i}` };
    }
  }, { maxInFlight: 8 });
  const r = toReadable(docs, { highWaterMark: 4 });
  const first = await new Promise((resolve) => r.once('readable', () => resolve(r.read())));
  t.match(first, { id: 0 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.ok(produced < 1000, `source paused after ${produced} of 100000 documents`);
  const rest = await collect(r);
  t.equal(rest.length, 99_999, 'and everything arrives once reading resumes');
});

t.test('toTransform', async (t) => {
  const run = async (input: unknown[], transform: ReturnType<typeof toTransform>) => {
    const out: unknown[] = [];
    await pipeline(
      Readable.from(input),
      transform,
      new Writable({
        objectMode: true,
        write(chunk, _e, cb) {
          out.push(chunk);
          cb();
        },
      }),
    );
    return out;
  };
  t.same(await run([], toTransform(map((x: number) => x * 2))), [], 'empty');
  t.same(await run([1], toTransform(map((x: number) => x * 2))), [2], 'one');
  t.same(await run([1, 2, 3], toTransform(map((x: number) => x * 2))), [2, 4, 6], 'many');
  t.same(await run([1, 2, 3, 4, 5], toTransform(take(2))), [1, 2], 'an operator that completes early ends the stream');
  t.same(
    // Deterministic under load: nothing is emitted until the input has ended, then the values come out later, reversed.
    await run([1, 2, 3], toTransform((src: Observable<number>) => src.pipe(toArray(), mergeMap((xs) => from(xs.reverse()).pipe(delay(5)))))),
    [3, 2, 1],
    'async output after the input ended is still delivered before the end',
  );
  t.same(
    await run([{ id: 'a', text: '<b>Hello</b> World' }], toTransform(preprocess({ filters: ['lowercase', 'strip_tags'] }))),
    [{ id: 'a', tokens: ['hello', 'world'] }],
    'a corpusflow operator',
  );
  await t.rejects(
    run([1, 2], toTransform(map((x: number) => {
      if (x === 2) throw new Error('bad record');
      return x;
    }))),
    { message: 'bad record' },
    'an operator error fails the pipeline',
  );
});
