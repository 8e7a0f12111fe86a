// Adam's in-place update on the wasm heap against its tf-op form: the same bits, every step.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { Adam } from '../../src/train/optimizers.js';
import { createRandom } from '../../src/batch/random.js';

await initBackend('wasm', { log: false });

function run(fused: boolean, shareVar: boolean): { w: number[]; m: number[]; v: number[]; iterations: number } {
  const rng = createRandom(7);
  const random = () => rng.next();
  const init = tf.tensor2d(Array.from({ length: 60 }, () => random() * 2 - 1), [6, 10]);
  const w = tf.variable(init);
  init.dispose();
  const opt = new Adam({ learningRate: 2e-3, beta1: 0.99 });
  opt.fused = fused;
  // A clone alive during the updates shares w's memory: the in-place path must leave it alone.
  const alias = shareVar ? tf.clone(w) : null;
  const aliasBefore = alias ? Array.from(alias.dataSync()) : null;
  for (let step = 0; step < 6; step++) {
    const g = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? 0 : (random() - 0.5) * 10 ** (step - 3)));
    tf.tidy(() => opt.applyGradients([w], [tf.tensor2d(g, [6, 10])], step === 4 ? 1e-3 : undefined));
  }
  if (alias) {
    t.same(Array.from(alias.dataSync()), aliasBefore, 'a tensor sharing the variable memory is unchanged');
    alias.dispose();
  }
  const [m, v] = opt.getSlots([w]).map((s) => Array.from(s.tensor.dataSync()));
  const out = { w: Array.from(w.dataSync()), m: m!, v: v!, iterations: opt.iterations };
  opt.dispose();
  w.dispose();
  return out;
}

t.test('fused Adam on wasm is bit-identical to the tf-op update (weights, m, v)', async (t) => {
  const base = tf.memory().numTensors;
  const reference = run(false, false);
  t.same(run(true, false), reference, 'in place');
  t.same(run(true, true), reference, 'variable shared with another tensor (falls back to tf ops)');
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});

/** Trains w in loss = sum((x·w - 1)²) for a few steps; returns w. matMul caches packed weights on wasm by tensor identity. */
function trainMatMul(fused: boolean): number[] {
  const rng = createRandom(3);
  const x = tf.tensor2d(Array.from({ length: 32 }, () => rng.next()), [8, 4]);
  const init = tf.tensor2d(Array.from({ length: 12 }, () => rng.next() - 0.5), [4, 3]);
  const w = tf.variable(init);
  init.dispose();
  const opt = new Adam({ learningRate: 0.05 });
  opt.fused = fused;
  for (let step = 0; step < 5; step++) {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(tf.matMul(x, w), 1))) as tf.Scalar, [w]);
      opt.applyGradients([w], [grads[w.name]!]);
    });
  }
  const out = Array.from(w.dataSync());
  opt.dispose();
  w.dispose();
  x.dispose();
  return out;
}

t.test('fused Adam: a matMul reading the variable sees every update (same weights as the tf-op path)', async (t) => {
  const base = tf.memory().numTensors;
  t.same(trainMatMul(true), trainMatMul(false));
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});
