import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { EMPTY, NEVER, Subject, from, lastValueFrom, range, take, throwError, concat, map, toArray } from 'rxjs';
import { initBackend } from '../../src/backend.js';
import { batchBow } from '../../src/batch/bow.js';
import { sparseToDense } from '../../src/batch/tensors.js';
import type { BowBatch, BowDocument } from '../../src/batch/types.js';

const doc = (id: number, bow: Array<[number, number]>): BowDocument => ({ id, bow });
const docs: BowDocument[] = [
  doc(1, [[0, 2], [3, 1]]),
  doc(2, []),
  doc(3, [[4, 5]]),
  doc(4, [[1, 1], [2, 1], [4, 1]]),
  doc(5, [[2, 3]]),
];
const V = 5;

function denseOf(ds: BowDocument[]): number[][] {
  return ds.map((d) => {
    const row = new Array(V).fill(0);
    for (const [id, c] of d.bow) row[id] += c;
    return row;
  });
}

/** Read a batch into plain arrays and dispose it. */
function read(b: BowBatch): { docIds: unknown[]; dense: number[][]; tokens: number; size: number } {
  const dense = b.kind === 'dense' ? b.x.arraySync() : tf.tidy(() => sparseToDense(b).arraySync());
  const out = { docIds: b.docIds, dense, tokens: b.tokens, size: b.size };
  b.dispose();
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  t.test(`on ${backend}`, async (t) => {
    await initBackend(backend, { log: false });
    const base = tf.memory().numTensors;

    for (const format of ['sparse', 'dense'] as const) {
      const cases: Array<{ name: string; batchSize: number; dropRemainder: boolean; sizes: number[] }> = [
        { name: 'many, keep remainder', batchSize: 2, dropRemainder: false, sizes: [2, 2, 1] },
        { name: 'many, drop remainder', batchSize: 2, dropRemainder: true, sizes: [2, 2] },
        { name: 'exact multiple', batchSize: 5, dropRemainder: true, sizes: [5] },
        { name: 'batch larger than input, keep', batchSize: 8, dropRemainder: false, sizes: [5] },
        { name: 'batch larger than input, drop', batchSize: 8, dropRemainder: true, sizes: [] },
        { name: 'batch of one', batchSize: 1, dropRemainder: false, sizes: [1, 1, 1, 1, 1] },
      ];
      for (const c of cases) {
        t.test(`${format}: ${c.name}`, async (t) => {
          const got = await lastValueFrom(from(docs).pipe(batchBow({ batchSize: c.batchSize, vocabSize: V, format, dropRemainder: c.dropRemainder }), map(read), toArray()));
          t.same(got.map((b) => b.size), c.sizes);
          let offset = 0;
          for (const b of got) {
            const slice = docs.slice(offset, offset + b.size);
            t.same(b.docIds, slice.map((d) => d.id));
            t.same(b.dense, denseOf(slice));
            t.equal(b.tokens, slice.reduce((s, d) => s + d.bow.reduce((a, [, n]) => a + n, 0), 0));
            offset += b.size;
          }
        });
      }

      t.test(`${format}: one document`, async (t) => {
        const got = await lastValueFrom(from([docs[0]!]).pipe(batchBow({ batchSize: 4, vocabSize: V, format }), map(read), toArray()));
        t.same(got.map((b) => b.dense), [denseOf([docs[0]!])]);
      });

      t.test(`${format}: empty`, async (t) => {
        const got = await lastValueFrom(EMPTY.pipe(batchBow({ batchSize: 4, vocabSize: V, format }), toArray()));
        t.same(got, []);
      });

      t.test(`${format}: never emits nothing and allocates nothing`, async (t) => {
        const before = tf.memory().numTensors;
        const seen: unknown[] = [];
        const sub = NEVER.pipe(batchBow({ batchSize: 4, vocabSize: V, format })).subscribe((b) => seen.push(b));
        sub.unsubscribe();
        t.same(seen, []);
        t.equal(tf.memory().numTensors, before);
      });

      t.test(`${format}: upstream error passes through, partial batch is not emitted`, async (t) => {
        const boom = new Error('boom');
        const seen: number[] = [];
        const err = await new Promise((resolve) => {
          concat(from(docs.slice(0, 3)), throwError(() => boom))
            .pipe(batchBow({ batchSize: 2, vocabSize: V, format }))
            .subscribe({ next: (b) => (seen.push(b.size), b.dispose()), error: resolve });
        });
        t.equal(err, boom);
        t.same(seen, [2]);
      });

      t.test(`${format}: early unsubscribe stops the upstream`, async (t) => {
        let pulled = 0;
        const got = await lastValueFrom(
          range(0, 1000).pipe(
            map((i) => (pulled++, doc(i, [[i % V, 1]]))),
            batchBow({ batchSize: 3, vocabSize: V, format }),
            take(2),
            map(read),
            toArray(),
          ),
        );
        t.equal(got.length, 2);
        t.equal(pulled, 6, 'no document read after the second batch');
      });

      t.test(`${format}: a token id outside the vocabulary fails with a positioned error`, async (t) => {
        const bad = [doc(1, [[0, 1]]), doc(2, [[1, 1], [V, 2]])];
        const subject = new Subject<BowDocument>();
        const errors: unknown[] = [];
        subject.pipe(batchBow({ batchSize: 2, vocabSize: V, format })).subscribe({ next: (b) => b.dispose(), error: (e) => errors.push(e) });
        for (const d of bad) subject.next(d);
        t.equal(errors.length, 1);
        t.match(errors[0], { code: 'INVALID_FIELD_TYPE', position: { field: 'bow' }, message: /document 2: bow entry 1 has token id 5, outside \[0, 5\)/ });
        t.equal(subject.observed, false, 'upstream unsubscribed');
      });
    }

    t.test('1,000 batches consumed and disposed leave no tensors', async (t) => {
      const before = tf.memory().numTensors;
      for (const format of ['sparse', 'dense'] as const) {
        let n = 0;
        await lastValueFrom(
          range(0, 4000).pipe(
            map((i) => doc(i, [[i % V, 1], [(i + 2) % V, 2]])),
            batchBow({ batchSize: 4, vocabSize: V, format }),
            map((b) => {
              tf.tidy(() => {
                (b.kind === 'dense' ? b.x : b.counts).sum();
              });
              b.dispose();
              n++;
            }),
          ),
        );
        t.equal(n, 1000);
      }
      t.equal(tf.memory().numTensors, before);
    });

    t.test('dispose is idempotent', async (t) => {
      const [b] = await lastValueFrom(from(docs).pipe(batchBow({ batchSize: 5, vocabSize: V }), toArray()));
      b!.dispose();
      b!.dispose();
      t.pass();
    });

    t.test('no tensor leaked by any case above', async (t) => {
      t.equal(tf.memory().numTensors, base);
    });
  });
}

t.test('options are validated up front', async (t) => {
  const cases: Array<[string, object, RegExp]> = [
    ['batchSize 0', { batchSize: 0, vocabSize: 5 }, /Invalid option batchSize: expected a positive integer, got 0/],
    ['batchSize fractional', { batchSize: 1.5, vocabSize: 5 }, /Invalid option batchSize/],
    ['vocabSize missing', { batchSize: 2 }, /Invalid option vocabSize: expected a positive integer, got undefined/],
    ['format', { batchSize: 2, vocabSize: 5, format: 'csr' }, /Invalid option format: expected 'sparse' or 'dense', got "csr"/],
    ['dropRemainder', { batchSize: 2, vocabSize: 5, dropRemainder: 'yes' }, /Invalid option dropRemainder/],
  ];
  for (const [name, opts, message] of cases) {
    t.throws(() => batchBow(opts as never), { code: 'INVALID_OPTION', message }, name);
  }
});
