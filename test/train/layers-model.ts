import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { fromLayersModel } from '../../src/train/layers-model.js';
import { train } from '../../src/train/train.js';

await tf.setBackend('cpu');

interface XYBatch {
  size: number;
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  dispose(): void;
}
// y = 2·x0 - x1 + 0.5, learned by a one-unit dense layer.
const data = () => {
  const out: XYBatch[] = [];
  for (let b = 0; b < 8; b++) {
    const xs = Array.from({ length: 16 }, (_, i) => [Math.sin(b * 16 + i), Math.cos(3 * (b * 16 + i))]);
    const x = tf.tensor2d(xs);
    const y = tf.tensor2d(xs.map(([a, c]) => [2 * a! - c! + 0.5]));
    out.push({ size: 16, x, y, dispose: () => tf.dispose([x, y]) });
  }
  return from(out);
};

t.test('a LayersModel trains through the adapter and the trainer', async (t) => {
  const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'zeros' })] });
  const base = tf.memory().numTensors;
  const model = fromLayersModel<XYBatch>(net, { toTensors: (b) => ({ xs: b.x, ys: b.y }), loss: 'meanSquaredError' });
  t.equal(model.trainableVariables().length, 2);
  t.same(model.variableNames!(), ['dense_Dense1/kernel', 'dense_Dense1/bias']);
  const events = await lastValueFrom(data().pipe(train(model, { epochs: 1, optimizer: { adam: { learningRate: 0.05 } } }), toArray()));
  t.equal(events.at(-1)!.type, 'done');
  // Each run is one epoch over fresh batches; keep going until it converges.
  for (let i = 0; i < 30; i++) await lastValueFrom(data().pipe(train(model, { optimizer: { adam: { learningRate: 0.05 } } })));
  const [w, b] = net.getWeights().map((x) => Array.from(x.dataSync()));
  t.ok(Math.abs(w![0]! - 2) < 0.2 && Math.abs(w![1]! + 1) < 0.2 && Math.abs(b![0]! - 0.5) < 0.2, `learned w=${w} b=${b}`);
  t.equal(tf.memory().numTensors, base, 'tensors back to baseline');
  net.dispose();
});

t.test('a loss function and validation', async (t) => {
  const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  const model = fromLayersModel<XYBatch>(net, { toTensors: (b) => ({ xs: b.x, ys: b.y }), loss: (y, p) => tf.mean(tf.abs(tf.sub(y, p))) });
  const [batch] = await lastValueFrom(data().pipe(toArray()));
  const loss = model.lossFn(batch!, false);
  t.ok(Number.isFinite(loss.dataSync()[0]));
  loss.dispose();
  t.throws(() => fromLayersModel(net, { toTensors: () => ({ xs: batch!.x, ys: batch!.y }), loss: 'hinge' as never }), { code: 'INVALID_OPTION', message: /Invalid option loss/ });
  net.dispose();
});
