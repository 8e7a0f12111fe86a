import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { from, Observable } from 'rxjs';
import { heldOutPerplexity, perplexity, type PerplexityBatch } from '../../src/eval/perplexity.js';

t.test('perplexity = exp(nll / tokens)', async (t) => {
  t.equal(perplexity(0, 10), 1);
  t.ok(Math.abs(perplexity(1000 * Math.log(1024), 1000) - 1024) < 1e-9, 'uniform over 1024 words');
  t.throws(() => perplexity(1, 0), { code: 'INVALID_OPTION', message: /tokens/ });
  t.throws(() => perplexity(NaN, 5), { code: 'INVALID_OPTION', message: /negLogLikelihood/ });
});

interface FakeBatch extends PerplexityBatch {
  loss: number;
  disposed: boolean;
  x: tf.Tensor;
}
const makeBatch = (size: number, tokens: number, loss: number): FakeBatch => {
  const b: FakeBatch = {
    size,
    tokens,
    loss,
    disposed: false,
    x: tf.zeros([size, 3]),
    dispose() {
      if (!b.disposed) b.x.dispose();
      b.disposed = true;
    },
  };
  return b;
};
/** lossFn returns the batch's mean per-document bound, as TrainableModel.lossFn does. */
const model = {
  calls: [] as boolean[],
  lossFn(b: FakeBatch, training: boolean): tf.Scalar {
    this.calls.push(training);
    if (Number.isNaN(b.loss)) throw new Error('model failed');
    return tf.scalar(b.loss);
  },
};

t.test('heldOutPerplexity sums batch means × sizes over tokens, in eval mode, disposing every batch', async (t) => {
  const inputs: Array<[string, (bs: FakeBatch[]) => Parameters<typeof heldOutPerplexity<FakeBatch>>[1]]> = [
    ['array', (bs) => bs],
    ['Observable', (bs) => from(bs)],
    ['async iterable', (bs) => (async function* () { yield* bs; })()],
  ];
  for (const [name, wrap] of inputs) {
    const base = tf.memory().numTensors;
    model.calls = [];
    const batches = [makeBatch(2, 30, 60), makeBatch(1, 10, 15)];
    const r = await heldOutPerplexity(model, wrap(batches));
    t.equal(r.negLogLikelihood, 2 * 60 + 15, `${name}: nll`);
    t.equal(r.tokens, 40, `${name}: tokens`);
    t.equal(r.docs, 3, `${name}: docs`);
    t.ok(Math.abs(r.perplexity - Math.exp(135 / 40)) < 1e-12, `${name}: perplexity`);
    t.same(model.calls, [false, false], `${name}: inference mode`);
    t.ok(batches.every((b) => b.disposed), `${name}: batches disposed`);
    t.equal(tf.memory().numTensors, base, `${name}: no tensor leaked`);
  }
});

t.test('a failing model rejects and still disposes every batch', async (t) => {
  const base = tf.memory().numTensors;
  const batches = [makeBatch(1, 5, 1), makeBatch(1, 5, NaN), makeBatch(1, 5, 1)];
  await t.rejects(heldOutPerplexity(model, from(batches)), { message: 'model failed' });
  t.ok(batches.every((b) => b.disposed));
  t.equal(tf.memory().numTensors, base);
});

t.test('an erroring stream rejects; an empty one has no tokens to score', async (t) => {
  await t.rejects(heldOutPerplexity(model, new Observable<FakeBatch>((s) => s.error(new Error('read failed')))), { message: 'read failed' });
  await t.rejects(heldOutPerplexity(model, []), { code: 'INVALID_OPTION', message: /tokens/ });
});
