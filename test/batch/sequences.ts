import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { EMPTY, NEVER, concat, from, lastValueFrom, map, range, take, tap, throwError, toArray } from 'rxjs';
import { initBackend } from '../../src/backend.js';
import { batchSequences } from '../../src/batch/sequences.js';
import type { SequenceBatch, SequenceDocument } from '../../src/batch/types.js';

const seq = (id: number, ids: number[]): SequenceDocument => ({ id, ids });
const docs = [seq(1, [5, 6, 7]), seq(2, []), seq(3, [1, 2, 3, 4, 5, 6]), seq(4, [9, -1, 8]), seq(5, [4])];

function read(b: SequenceBatch) {
  const out = { size: b.size, docIds: b.docIds, ids: b.ids.arraySync(), mask: b.mask.arraySync(), lengths: b.lengths, tokens: b.tokens, maxLen: b.maxLen };
  b.dispose();
  return out;
}

for (const backend of ['cpu', 'wasm'] as const) {
  t.test(`on ${backend}`, async (t) => {
    await initBackend(backend, { log: false });
    const base = tf.memory().numTensors;

    t.test('pads, cuts to maxLen, masks, and leaves out unknown (-1) ids', async (t) => {
      const got = await lastValueFrom(from(docs).pipe(batchSequences({ batchSize: 5, maxLen: 4, padId: 0 }), map(read), toArray()));
      t.equal(got.length, 1);
      t.same(got[0], {
        size: 5,
        docIds: [1, 2, 3, 4, 5],
        maxLen: 4,
        ids: [[5, 6, 7, 0], [0, 0, 0, 0], [1, 2, 3, 4], [9, 8, 0, 0], [4, 0, 0, 0]],
        mask: [[1, 1, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]],
        lengths: [3, 0, 4, 2, 1],
        tokens: 10,
      });
    });

    t.test('a custom padId fills only padding', async (t) => {
      const [b] = await lastValueFrom(from(docs.slice(0, 2)).pipe(batchSequences({ batchSize: 2, maxLen: 4, padId: 99 }), map(read), toArray()));
      t.same(b!.ids, [[5, 6, 7, 99], [99, 99, 99, 99]]);
    });

    const cases = [
      { name: 'keep remainder', batchSize: 2, dropRemainder: false, sizes: [2, 2, 1] },
      { name: 'drop remainder', batchSize: 2, dropRemainder: true, sizes: [2, 2] },
      { name: 'one per batch', batchSize: 1, dropRemainder: true, sizes: [1, 1, 1, 1, 1] },
    ];
    for (const c of cases) {
      t.test(c.name, async (t) => {
        const got = await lastValueFrom(from(docs).pipe(batchSequences({ batchSize: c.batchSize, maxLen: 3, dropRemainder: c.dropRemainder }), map(read), toArray()));
        t.same(got.map((b) => b.size), c.sizes);
        t.same(got.flatMap((b) => b.docIds), docs.slice(0, c.sizes.reduce((a, b) => a + b, 0)).map((d) => d.id));
      });
    }

    t.test('one', async (t) => {
      const got = await lastValueFrom(from([docs[0]!]).pipe(batchSequences({ batchSize: 3, maxLen: 2 }), map(read), toArray()));
      t.same(got.map((b) => b.ids), [[[5, 6]]]);
    });

    t.test('empty and never', async (t) => {
      t.same(await lastValueFrom(EMPTY.pipe(batchSequences({ batchSize: 3, maxLen: 2 }), toArray())), []);
      const seen: unknown[] = [];
      NEVER.pipe(batchSequences({ batchSize: 3, maxLen: 2 })).subscribe((b) => seen.push(b)).unsubscribe();
      t.same(seen, []);
    });

    t.test('error passes through', async (t) => {
      const boom = new Error('boom');
      const err = await new Promise((resolve) =>
        concat(from(docs.slice(0, 3)), throwError(() => boom)).pipe(batchSequences({ batchSize: 2, maxLen: 2 })).subscribe({ next: (b) => b.dispose(), error: resolve }),
      );
      t.equal(err, boom);
    });

    t.test('a non-integer id fails with a positioned error', async (t) => {
      const err = await new Promise((resolve) =>
        from([seq(7, [1, 2.5])]).pipe(batchSequences({ batchSize: 2, maxLen: 2 })).subscribe({ next: (b) => b.dispose(), error: resolve }),
      );
      t.match(err, { code: 'INVALID_FIELD_TYPE', position: { field: 'ids' }, message: /document 7: token id at 1 is 2.5/ });
    });

    t.test('early unsubscribe stops the upstream', async (t) => {
      let pulled = 0;
      await lastValueFrom(range(0, 1e9).pipe(tap(() => pulled++), map((i) => seq(i, [i % 7])), batchSequences({ batchSize: 4, maxLen: 2 }), take(2), map(read), toArray()));
      t.equal(pulled, 8);
    });

    t.test('1,000 batches consumed and disposed leave no tensors', async (t) => {
      let n = 0;
      await lastValueFrom(
        range(0, 3000).pipe(
          map((i) => seq(i, [i % 7, i % 5, 1])),
          batchSequences({ batchSize: 3, maxLen: 4 }),
          tap((b) => {
            n++;
            b.dispose();
          }),
        ),
      );
      t.equal(n, 1000);
      t.equal(tf.memory().numTensors, base);
    });
  });
}

t.test('options are validated up front', async (t) => {
  const cases: Array<[object, RegExp]> = [
    [{ batchSize: 2 }, /Invalid option maxLen: expected a positive integer, got undefined/],
    [{ batchSize: 2, maxLen: 0 }, /Invalid option maxLen/],
    [{ batchSize: 0, maxLen: 3 }, /Invalid option batchSize/],
    [{ batchSize: 2, maxLen: 3, padId: 0.5 }, /Invalid option padId: expected an integer, got 0.5/],
  ];
  for (const [opts, message] of cases) t.throws(() => batchSequences(opts as never), { code: 'INVALID_OPTION', message });
});
