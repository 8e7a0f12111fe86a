// Which kernels does training touch, and does wasm have every one of them?
// A ProdLDA-style step (sparse encoder, softplus, dropout, batch norm, reparameterised
// sample, softmax decoder, gather-based loss, global-norm clipping, Adam) and a tfjs
// LayersModel step are run on cpu while recording every kernel the engine dispatches;
// then the same steps on wasm must find each kernel and give the same numbers.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';

const B = 8;
const V = 40;
const H = 12;
const K = 5;
const rows = [0, 0, 1, 2, 2, 2, 3, 4, 5, 6, 7, 7];
const ids = [1, 4, 2, 3, 7, 9, 0, 39, 11, 2, 5, 8];
const counts = [2, 1, 3, 1, 1, 4, 1, 2, 1, 1, 1, 3];

/** Deterministic initial weights, the same on every backend. */
const init = (shape: number[], k: number) => {
  const value = tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.7 + k) * 0.1), shape);
  const v = tf.variable(value);
  value.dispose();
  return v;
};

/** One ProdLDA-style training step; returns the loss and the updated weights. */
function prodLdaStep(): { loss: number; weights: number[][] } {
  const vars = {
    emb: init([V, H], 1),
    w1: init([H, H], 2),
    wmu: init([H, K], 3),
    wlv: init([H, K], 4),
    beta: init([K, V], 5),
  };
  const r = tf.tensor1d(rows, 'int32');
  const i = tf.tensor1d(ids, 'int32');
  const c = tf.tensor1d(counts);
  const opt = tf.train.adam(2e-3, 0.99, 0.999);
  const lossFn = () =>
    tf.tidy(() => {
      // Sparse encoder: gather embedding rows, weight by counts, segment-sum into documents.
      const h0 = tf.unsortedSegmentSum(tf.gather(vars.emb, i).mul(c.expandDims(1)), r, B);
      let h = tf.softplus(tf.matMul(tf.softplus(h0), vars.w1));
      h = tf.dropout(h, 0.2, undefined, 7);
      // Batch norm by hand (moments + rsqrt) and by tf.batchNorm. tf.batchNorm must get an explicit
      // scale under a gradient tape: without one, tfjs 4.22 crashes saving `scale` for the backward pass.
      const bn = (x: tf.Tensor2D) => {
        const m = tf.moments(x, 0);
        return x.sub(m.mean).mul(tf.rsqrt(m.variance.add(1e-3)));
      };
      const mu = bn(tf.matMul(h, vars.wmu));
      const logvar = bn(tf.matMul(h, vars.wlv));
      const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', 9);
      const theta = tf.softmax(mu.add(tf.exp(logvar.mul(0.5)).mul(eps)));
      const logits = tf.matMul(theta, vars.beta);
      const m2 = tf.moments(logits, 0);
      const logp = tf.logSoftmax(tf.batchNorm(logits, m2.mean, m2.variance, tf.zeros([V]), tf.ones([V]), 1e-3));
      // Reconstruction: pick log-probabilities at (row, id) of each non-zero.
      const picked = tf.gather(logp.reshape([-1]), r.mul(tf.scalar(V, 'int32')).add(i));
      const nll = tf.unsortedSegmentSum(picked.mul(c), r, B).neg();
      const kl = tf.sum(tf.exp(logvar).add(mu.square()).sub(1).sub(logvar), 1).mul(0.5);
      return tf.mean(nll.add(kl).add(tf.clipByValue(nll, -1e6, 1e6).mul(1e-6))) as tf.Scalar;
    });
  const { value, grads } = tf.variableGrads(lossFn);
  // clip by global norm 1.0
  const clipped: Array<{ name: string; tensor: tf.Tensor }> = tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
    const scale = tf.div(1, tf.maximum(norm, 1));
    return names.map((name) => ({ name, tensor: tf.mul(grads[name]!, scale) }));
  });
  opt.applyGradients(clipped);
  const out = { loss: value.dataSync()[0]!, weights: Object.values(vars).map((v) => Array.from(v.dataSync())) };
  tf.dispose([value, r, i, c, ...Object.values(grads), ...clipped.map((g) => g.tensor), ...Object.values(vars)]);
  opt.dispose();
  return out;
}

/** One trainOnBatch of a small LayersModel text classifier: embedding, optional conv1d, batch norm, dense softmax. */
async function layersStep(conv: boolean): Promise<{ loss: number; weights: number[][] }> {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: V, outputDim: H, inputLength: 6, embeddingsInitializer: tf.initializers.randomUniform({ seed: 1 }) }),
      ...(conv
        ? [tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }), tf.layers.globalMaxPooling1d()]
        : [tf.layers.globalAveragePooling1d()]),
      tf.layers.dense({ units: H, activation: 'softplus', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: K, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(Array.from({ length: B * 6 }, (_, k) => (k * 7) % V), [B, 6]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, k) => k % K), 'int32'), K));
  const loss = (await model.trainOnBatch(x, y)) as number;
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return { loss, weights };
}

/** Run f while recording every kernel name the engine dispatches. */
async function recordKernels<T>(f: () => T | Promise<T>): Promise<{ result: T; kernels: Set<string> }> {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  const kernels = new Set<string>();
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    kernels.add(name);
    return original.call(this, name, ...rest);
  };
  try {
    return { result: await f(), kernels };
  } finally {
    engine.runKernel = original;
  }
}

const close = (a: number[], b: number[], tol: number) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)));

const steps = { prodLDA: prodLdaStep, 'tfjs LayersModel': () => layersStep(false), 'tfjs LayersModel with conv1d': () => layersStep(true) };
for (const [name, step] of Object.entries(steps)) {
  t.test(`${name}: every kernel of a training step exists on wasm, and wasm matches cpu`, async (t) => {
    await initBackend('cpu', { log: false });
    const onCpu = await recordKernels(step);
    t.ok(onCpu.kernels.has('UnsortedSegmentSum'), "the step exercises gather's gradient");
    await initBackend('wasm', { log: false });
    const missing = [...onCpu.kernels].filter((k) => tf.getKernel(k, 'wasm') === undefined).sort();
    t.same(missing, [], `kernels used: ${[...onCpu.kernels].sort().join(' ')}`);
    const base = tf.memory().numTensors;
    const onWasm = await step();
    t.equal(tf.memory().numTensors, base, 'no tensor leaked');
    t.ok(Math.abs(onWasm.loss - onCpu.result.loss) <= 1e-4 * (1 + Math.abs(onCpu.result.loss)), `loss wasm ${onWasm.loss} vs cpu ${onCpu.result.loss}`);
    t.equal(onWasm.weights.length, onCpu.result.weights.length);
    onWasm.weights.forEach((w, k) => t.ok(close(w, onCpu.result.weights[k]!, 1e-4), `weights ${k} after the update`));
  });
}
