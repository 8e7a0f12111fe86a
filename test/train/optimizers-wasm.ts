// Adam's in-place update on the wasm heap against its tf-op form: equal to float32 rounding, every step.
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

/** Largest |a − b| relative to max(|b|, 1e-6) over two arrays of the same length. */
function relDiff(a: number[], b: number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-6));
  return worst;
}

t.test('fused Adam on wasm equals the tf-op update to float32 rounding (weights, m, v)', async (t) => {
  const base = tf.memory().numTensors;
  const reference = run(false, false);
  const fused = run(true, false);
  t.equal(fused.iterations, reference.iterations);
  for (const k of ['w', 'm', 'v'] as const) {
    const d = relDiff(fused[k], reference[k]);
    t.ok(d < 1e-5, `${k}: max relative difference ${d.toExponential(2)}`);
  }
  t.ok(fused.m.some((x) => x !== 0) && fused.v.some((x) => x !== 0), 'the slots moved: the comparison is not between untouched arrays');
  // A tensor aliasing the variable: the new weights go to fresh memory, the alias keeps the old ones (checked in run).
  const shared = run(true, true);
  t.ok(relDiff(shared.w, reference.w) < 1e-5, 'variable shared with another tensor: same update');
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
  const d = relDiff(trainMatMul(true), trainMatMul(false));
  t.ok(d < 1e-5, `max relative difference ${d.toExponential(2)}`);
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});
