// The WebAssembly SIMD kernels (src/backend/simd/kernels.c) that run inside tfjs's wasm memory:
// the module's hygiene (it must not write outside the pointers it is given), each op against the
// tf-op formulation it replaces (values and gradients, at shapes that exercise every loop tail),
// the SIMD path against the plain-JavaScript one, and no leaked tensors or scratch memory.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { setSimdKernels, simdKernels } from '../../src/backend/simd.js';
import { KERNELS_WASM_BASE64 } from '../../src/backend/simd/kernels-wasm.js';
import { decoderNll, denseLayer, sparseLinear, topicMatMul } from '../../src/models/prodlda-ops.js';
import { prng } from '../fixtures/hostile/gen.js';
import { ProdLDA } from '../../src/models/prodlda.js';
import { toSparseBowBatch } from '../../src/batch/tensors.js';

/** Deterministic pseudo-random numbers in [0, 1) (the fuzz tests' seeded mulberry32). */
const rng = (seed: number): (() => number) => prng(seed).next;

function uniform(shape: number[], scale: number, seed: number): tf.Tensor {
  const r = rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (2 * r() - 1) * scale), shape);
}

/** Largest |a − b| relative to max(1, |b|). */
function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(y[i]!)));
  return m;
}

/** The sections of a wasm binary, by id. */
function sections(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let p = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    let x: number;
    do {
      x = bytes[p++]!;
      r |= (x & 127) << s;
      s += 7;
    } while (x & 128);
    return r;
  };
  while (p < bytes.length) {
    ids.push(bytes[p++]!);
    const size = leb(); // (not `p += leb()`: that reads p before leb moves it)
    p += size;
  }
  return ids;
}

t.test('the module shares tfjs memory safely: imports only the memory, holds no static data', async (t) => {
  const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
  type Desc = { module?: string; name: string; kind: string };
  const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; imports(m: object): Desc[]; exports(m: object): Desc[] } } }).WebAssembly;
  const module = new wasm.Module(bytes);
  t.same(wasm.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }], 'one import: the memory');
  t.ok(sections(bytes).includes(10), 'the parse finds the code section');
  t.notOk(sections(bytes).includes(11), 'no data section (it would be written over the heap it shares)');
  const names = wasm.Module.exports(module).map((e) => e.name).sort();
  t.same(names, ['adam', 'add_mul', 'batchnorm_grad', 'bias_activation', 'bn_coefficients', 'bn_grad_coefficients', 'check_words', 'column_stats', 'column_sums', 'matmul', 'matmul_nt', 'matmul_tn', 'row_factors', 'softmax_grad', 'softmax_rows', 'softplus', 'softplus_grad', 'sparse_linear', 'sparse_linear_grad', 'words_grad', 'words_nll']);
});

t.test('wasm: SIMD ops equal the tf-op formulation, gradients included', async (t) => {
  await initBackend('wasm', { log: false });
  t.ok(simdKernels(tf.backend()), 'the SIMD kernels run on this runtime');
  const base = tf.memory().numTensors;
  // Shapes off every vector width: odd rows, K odd, V neither a multiple of 16 nor of 4.
  for (const [B, K, V] of [[7, 5, 37], [64, 20, 2949], [1, 1, 3], [2, 3, 16]] as const) {
    tf.tidy(() => {
      const theta = uniform([B, K], 1, B + K);
      const beta = uniform([K, V], 2, V);
      const up = uniform([B, V], 1, 7);
      const [got, ref] = [(a: tf.Tensor, w: tf.Tensor) => topicMatMul(a as tf.Tensor2D, w as tf.Tensor2D), (a: tf.Tensor, w: tf.Tensor) => tf.matMul(a, w)].map((f) => {
        const value = f(theta, beta);
        const grads = tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(f(a, w), up)))([theta, beta]);
        return { value, grads };
      });
      t.ok(relDiff(got!.value, ref!.value) < 1e-5, `topicMatMul [${B},${K}]x[${K},${V}]: values`);
      t.ok(relDiff(got!.grads[0]!, ref!.grads[0]!) < 1e-4, 'dθ');
      t.ok(relDiff(got!.grads[1]!, ref!.grads[1]!) < 1e-5, 'dβ');
    });
  }
  for (const activation of ['softplus', 'linear'] as const) {
    for (const [B, I, O, scale] of [[9, 13, 7, 1], [64, 100, 100, 1], [5, 6, 21, 40]] as const) {
      tf.tidy(() => {
        // scale 40 puts pre-activations far into both tails of the softplus (stability).
        const x = uniform([B, I], scale, I);
        const w = uniform([I, O], 1, O);
        const b = uniform([O], 1, 3);
        const up = uniform([B, O], 1, 5);
        const ref = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => {
          const z = tf.add(tf.matMul(xi, wi), bi);
          return activation === 'softplus' ? tf.softplus(z) : z;
        };
        const ours = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => denseLayer(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, activation);
        t.ok(relDiff(ours(x, w, b), ref(x, w, b)) < 1e-5, `denseLayer ${activation} [${B},${I}]x[${I},${O}] scale ${scale}: values`);
        const g = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(ours(xi, wi, bi), up)))([x, w, b]);
        const r = tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(ref(xi, wi, bi), up)))([x, w, b]);
        ['dx', 'dW', 'db'].forEach((name, i) => t.ok(relDiff(g[i]!, r[i]!) < 1e-4, name));
      });
    }
  }
  tf.tidy(() => {
    // The sparse first layer with its softplus, against the dense product.
    const B = 6;
    const V = 23;
    const H = 10;
    const r = rng(11);
    const ids: number[] = [];
    const rows: number[] = [];
    const counts: number[] = [];
    const dense = new Float32Array(B * V);
    for (let b = 0; b < B; b++) {
      for (let v = 0; v < V; v++) {
        if (r() < 0.3) {
          ids.push(v);
          rows.push(b);
          counts.push(1 + Math.floor(r() * 3));
          dense[b * V + v] = counts.at(-1)!;
        }
      }
    }
    const x = { ids: tf.tensor1d(ids, 'int32'), rows: tf.tensor1d(rows, 'int32'), counts: tf.tensor1d(counts) };
    const w = uniform([V, H], 1, 4);
    const b = uniform([H], 1, 9);
    const up = uniform([B, H], 1, 2);
    const xd = tf.tensor2d(dense, [B, V]);
    const ours = (wi: tf.Tensor, bi: tf.Tensor) => sparseLinear(wi as tf.Tensor2D, bi as tf.Tensor1D, x, B, 'softplus');
    const ref = (wi: tf.Tensor, bi: tf.Tensor) => tf.softplus(tf.add(tf.matMul(xd, wi), bi));
    t.ok(relDiff(ours(w, b), ref(w, b)) < 1e-5, 'sparseLinear softplus: values');
    const g = tf.grads((wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(ours(wi, bi), up)))([w, b]);
    const gr = tf.grads((wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(ref(wi, bi), up)))([w, b]);
    t.ok(relDiff(g[0]!, gr[0]!) < 1e-5 && relDiff(g[1]!, gr[1]!) < 1e-5, 'sparseLinear softplus: gradients');
  });
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});

t.test('wasm: the SIMD decoder equals the JavaScript decoder (free rows get exactly zero)', async (t) => {
  await initBackend('wasm', { log: false });
  const base = tf.memory().numTensors;
  const B = 9;
  const V = 43;
  const live = new Uint8Array(V).fill(1);
  for (const v of [0, 5, 42]) live[v] = 0;
  const r = rng(3);
  const dense = new Float32Array(B * V);
  for (let i = 0; i < dense.length; i++) if (live[i % V] && r() < 0.4) dense[i] = 1 + Math.floor(r() * 4);
  const run = (simd: boolean) => {
    setSimdKernels(simd);
    try {
      return tf.tidy(() => {
        const logits = uniform([B, V], 3, 1);
        const bias = tf.zeros([V]) as tf.Tensor1D;
        const shift = uniform([V], 0.5, 2) as tf.Tensor1D;
        const x = { dense: tf.tensor2d(dense, [B, V]) };
        const attrs = { batchNorm: true, epsilon: 1e-5, live };
        const f = (l: tf.Tensor) => {
          const { nll, mean, variance } = decoderNll(l as tf.Tensor2D, bias, shift, x, attrs);
          mean.dispose();
          variance.dispose();
          return nll;
        };
        const grad = tf.grad((l: tf.Tensor) => tf.sum(f(l)))(logits);
        return { nll: Array.from(f(logits).dataSync()), grad: Array.from(grad.dataSync()) };
      });
    } finally {
      setSimdKernels(true);
    }
  };
  const simd = run(true);
  const js = run(false);
  const worst = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(1, Math.abs(b[i]!))));
  t.ok(worst(simd.nll, js.nll) < 1e-5, `loss: ${worst(simd.nll, js.nll).toExponential(2)}`);
  t.ok(worst(simd.grad, js.grad) < 1e-5, `gradient: ${worst(simd.grad, js.grad).toExponential(2)}`);
  t.ok(simd.grad.every((g, i) => live[i % V] === 1 || g === 0), 'free columns get zero gradient');
  t.ok(simd.grad.some((g) => g !== 0), 'the gradient is not all zero');
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});

t.test('wasm: the kernels write only their outputs, and free their scratch', async (t) => {
  await initBackend('wasm', { log: false });
  const k = simdKernels(tf.backend())!;
  const before = uniform([257], 1, 99);
  const snapshot = Array.from(before.dataSync());
  const step = () =>
    tf.tidy(() => {
      const theta = uniform([16, 5], 1, 1);
      const beta = uniform([5, 301], 1, 2);
      const l = topicMatMul(theta as tf.Tensor2D, beta as tf.Tensor2D);
      const d = denseLayer(l, uniform([301, 7], 1, 3) as tf.Tensor2D, tf.zeros([7]) as tf.Tensor1D, 'softplus');
      const { nll, mean, variance } = decoderNll(l, tf.zeros([301]) as tf.Tensor1D, null, { dense: tf.ones([16, 301]) as tf.Tensor2D }, { batchNorm: true, epsilon: 1e-5, live: null });
      tf.grads((a: tf.Tensor) => tf.sum(denseLayer(a as tf.Tensor2D, uniform([301, 7], 1, 3) as tf.Tensor2D, tf.zeros([7]) as tf.Tensor1D, 'softplus')))([l]);
      return [d.sum().dataSync()[0], nll.sum().dataSync()[0], mean.dispose(), variance.dispose()];
    });
  for (let i = 0; i < 20; i++) step(); // warm-up: the heap reaches its working size
  const heap = k.memory.buffer.byteLength;
  for (let i = 0; i < 200; i++) step();
  t.equal(k.memory.buffer.byteLength, heap, 'the wasm heap did not grow over 200 more steps (scratch is freed)');
  t.same(Array.from(before.dataSync()), snapshot, 'a tensor allocated before is unchanged');
  before.dispose();
});

t.test('wasm: ProdLDA trains the same without the SIMD kernels (the JavaScript kernels on the wasm heap)', async (t) => {
  await initBackend('wasm', { log: false });
  const base = tf.memory().numTensors;
  const V = 33;
  const r = rng(21);
  const docs = Array.from({ length: 10 }, (_, i) => ({
    id: i,
    bow: [...new Set(Array.from({ length: 6 }, () => Math.floor(r() * V)))].sort((a, b) => a - b).map((id) => [id, 1 + (id % 3)] as [number, number]),
  }));
  const run = (simd: boolean) => {
    setSimdKernels(simd);
    try {
      const model = new ProdLDA({ vocabSize: V, topics: 3, hidden: [9, 7], seed: 5 });
      const batch = toSparseBowBatch(docs, V);
      const vars = model.trainableVariables();
      const { value, grads } = tf.variableGrads(() => model.lossFn(batch, true), vars);
      const out = { loss: value.dataSync()[0]!, grads: vars.map((v) => Array.from(grads[v.name]!.dataSync())) };
      tf.dispose([value, ...Object.values(grads)]);
      batch.dispose();
      model.dispose();
      return out;
    } finally {
      setSimdKernels(true);
    }
  };
  const simd = run(true);
  const js = run(false);
  t.ok(Math.abs(simd.loss - js.loss) < 1e-4 * Math.abs(js.loss), `loss ${simd.loss} vs ${js.loss}`);
  let worst = 0;
  simd.grads.forEach((g, i) => g.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - js.grads[i]![j]!)))));
  t.ok(worst < 1e-3, `gradients max |Δ| ${worst.toExponential(2)}`);
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});

t.test('wasm: a word outside the batch shape is an error naming batch.ids, with and without the SIMD kernels', async (t) => {
  await initBackend('wasm', { log: false });
  const base = tf.memory().numTensors;
  const B = 3;
  const V = 11;
  for (const simd of [true, false]) {
    setSimdKernels(simd);
    try {
      for (const [id, row] of [[V, 0], [-1, 1], [2, B]] as const) {
        t.throws(
          () =>
            tf.tidy(() => {
              const x = { ids: tf.tensor1d([1, id], 'int32'), rows: tf.tensor1d([0, row], 'int32'), counts: tf.tensor1d([1, 1]) };
              const r = decoderNll(tf.zeros([B, V]) as tf.Tensor2D, tf.zeros([V]) as tf.Tensor1D, null, x, { batchNorm: true, epsilon: 1e-5, live: null });
              return r.nll;
            }),
          { code: 'INVALID_OPTION', message: new RegExp(`word 1 of the batch \\(id ${id}, row ${row}\\) is outside its \\[${B}, ${V}\\] shape`), position: { field: 'batch.ids' } },
          `simd ${simd}: id ${id}, row ${row}`,
        );
      }
    } finally {
      setSimdKernels(true);
    }
  }
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});
