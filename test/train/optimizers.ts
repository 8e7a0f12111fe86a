import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { Adam, Momentum, RmsProp, Sgd, createOptimizer, type Optimizer } from '../../src/train/optimizers.js';

await tf.setBackend('cpu');

/** The same updates written out in plain numbers (PyTorch's torch.optim formulas) for one scalar parameter. */
function reference(kind: string, grads: number[], lr: number): number {
  let w = 1, m = 0, v = 0, b = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    if (kind === 'adam') {
      m = 0.99 * m + 0.01 * g;
      v = 0.999 * v + 0.001 * g * g;
      w -= (lr / (1 - 0.99 ** t)) * (m / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8));
    } else if (kind === 'sgd') {
      w -= lr * g;
    } else if (kind === 'momentum') {
      b = 0.9 * b + g;
      w -= lr * (g + 0.9 * b); // nesterov
    } else if (kind === 'rmsprop') {
      v = 0.99 * v + 0.01 * g * g;
      w -= (lr * g) / (Math.sqrt(v) + 1e-8);
    }
  });
  return w;
}

const cases: Array<[string, () => Optimizer]> = [
  ['adam', () => new Adam({ learningRate: 0.1, beta1: 0.99 })],
  ['sgd', () => new Sgd({ learningRate: 0.1 })],
  ['momentum', () => new Momentum({ learningRate: 0.1, nesterov: true })],
  ['rmsprop', () => new RmsProp({ learningRate: 0.1 })],
];

for (const [kind, make] of cases) {
  t.test(`${kind} follows the PyTorch update rule`, async (t) => {
    const base = tf.memory().numTensors;
    const init = tf.scalar(1);
    const w = tf.variable(init);
    init.dispose();
    const opt = make();
    const grads = [0.5, -1, 2, 0.25, 3];
    for (const g of grads) tf.tidy(() => opt.applyGradients([w], [tf.scalar(g)]));
    const got = w.dataSync()[0]!;
    const want = reference(kind, grads, 0.1);
    t.ok(Math.abs(got - want) < 1e-5, `${got} ≈ ${want}`);
    t.equal(opt.iterations, 5);
    opt.dispose();
    w.dispose();
    t.equal(tf.memory().numTensors, base);
  });
}

t.test('slots round-trip through getSlots/setSlots; resetRows zeroes chosen rows along an axis', async (t) => {
  const w = tf.variable(tf.ones([3, 2]));
  const a = new Adam({ learningRate: 0.1 });
  tf.tidy(() => a.applyGradients([w], [tf.fill([3, 2], 2)]));
  const saved = a.getSlots([w]).map((s) => ({ ...s, tensor: s.tensor.clone() }));
  t.same(saved.map((s) => s.slot), ['m', 'v']);
  const b = new Adam({ learningRate: 0.1 });
  b.setSlots([w], saved);
  t.same(b.getSlots([w])[0]!.tensor.arraySync(), saved[0]!.tensor.arraySync());
  b.resetRows(w, [1], 0);
  t.same(b.getSlots([w])[0]!.tensor.arraySync(), [[0.2, 0.2], [0, 0], [0.2, 0.2]].map((r) => r.map((x) => Math.fround(x))));
  b.resetRows(w, [0], 1);
  t.same((b.getSlots([w])[1]!.tensor.arraySync() as number[][]).map((r) => r[0]), [0, 0, 0]);
  t.throws(() => b.setSlots([w], [{ variable: 0, slot: 'velocity', tensor: saved[0]!.tensor }]), { code: 'INVALID_OPTION' });
  tf.dispose(saved.map((s) => s.tensor));
  a.dispose();
  b.dispose();
  w.dispose();
});

t.test('createOptimizer: specs and validation', async (t) => {
  t.equal(createOptimizer({ adam: {} }).name, 'adam');
  t.equal(createOptimizer({ sgd: { learningRate: 1 } }).name, 'sgd');
  t.equal(createOptimizer({ momentum: { learningRate: 1 } }).name, 'momentum');
  t.equal(createOptimizer({ rmsprop: { learningRate: 1 } }).name, 'rmsprop');
  const own = new Sgd({ learningRate: 1 });
  t.equal(createOptimizer(own), own);
  const bad: Array<[unknown, RegExp]> = [
    [{ lion: {} }, /Invalid option optimizer/],
    [{ adam: {}, sgd: {} }, /Invalid option optimizer/],
    [{ adam: { beta1: 1 } }, /Invalid option adam.beta1/],
    [{ sgd: { learningRate: 0 } }, /Invalid option optimizer.learningRate/],
  ];
  for (const [spec, message] of bad) t.throws(() => createOptimizer(spec as never), { code: 'INVALID_OPTION', message });
});
