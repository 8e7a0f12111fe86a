// The kernels of src/backend/kernels.ts, checked against tfjs's own cpu kernel and a plain loop.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { createRandom } from '../../src/batch/random.js';

interface Case {
  name: string;
  xShape: number[];
  idsShape: number[];
  numSegments: number;
  dtype: 'float32' | 'int32';
  /** Let some ids fall outside [0, numSegments): TensorFlow drops those rows. */
  outOfRange?: boolean;
  /** tfjs's cpu kernel cannot run it (too slow, or it fails), so compare with the definition only. */
  skipTfjsCpu?: string;
}

const cases: Case[] = [
  { name: 'vector', xShape: [7], idsShape: [7], numSegments: 3, dtype: 'float32' },
  { name: 'matrix rows (gather gradient shape)', xShape: [20, 4], idsShape: [20], numSegments: 9, dtype: 'float32' },
  { name: 'rank-3 inner block', xShape: [6, 2, 3], idsShape: [6], numSegments: 4, dtype: 'float32' },
  { name: '2-d segment ids', xShape: [3, 4, 5], idsShape: [3, 4], numSegments: 6, dtype: 'float32', skipTfjsCpu: 'its cpu kernel broadcasts 2-d ids wrongly' },
  { name: 'int32 values', xShape: [12, 3], idsShape: [12], numSegments: 5, dtype: 'int32' },
  { name: 'one segment', xShape: [5, 2], idsShape: [5], numSegments: 1, dtype: 'float32' },
  { name: 'more segments than rows (most stay zero)', xShape: [3, 2], idsShape: [3], numSegments: 50, dtype: 'float32' },
  { name: 'empty input', xShape: [0, 3], idsShape: [0], numSegments: 4, dtype: 'float32' },
  { name: 'ids out of range are dropped', xShape: [10, 2], idsShape: [10], numSegments: 4, dtype: 'float32', outOfRange: true },
  { name: 'large (training size)', xShape: [3000, 16], idsShape: [3000], numSegments: 2000, dtype: 'float32', skipTfjsCpu: 'O(segments × size): minutes' },
];

function inputsOf(c: Case, seed: number): { x: number[]; ids: number[] } {
  const rng = createRandom(seed);
  const n = c.xShape.reduce((a, b) => a * b, 1);
  const m = c.idsShape.reduce((a, b) => a * b, 1);
  const x = Array.from({ length: n }, () => (c.dtype === 'int32' ? rng.nextInt(21) - 10 : rng.next() * 2 - 1));
  const ids = Array.from({ length: m }, () => (c.outOfRange ? rng.nextInt(c.numSegments + 4) - 2 : rng.nextInt(c.numSegments)));
  return { x, ids };
}

/** The definition, as a plain loop. */
function reference(c: Case, x: number[], ids: number[]): number[] {
  const inner = c.xShape.slice(c.idsShape.length).reduce((a, b) => a * b, 1);
  const out = new Array(c.numSegments * inner).fill(0);
  ids.forEach((s, i) => {
    if (s < 0 || s >= c.numSegments) return;
    for (let j = 0; j < inner; j++) out[s * inner + j] += x[i * inner + j]!;
  });
  return c.dtype === 'float32' ? Array.from(Float32Array.from(out)) : out;
}

function run(c: Case, x: number[], ids: number[]): { shape: number[]; values: number[] } {
  return tf.tidy(() => {
    const out = tf.unsortedSegmentSum(tf.tensor(x, c.xShape, c.dtype), tf.tensor(ids, c.idsShape, 'int32') as tf.Tensor as tf.Tensor1D, c.numSegments);
    return { shape: out.shape, values: Array.from(out.dataSync()) };
  });
}

/** Gradient of sum(gather(params, indices) * w) w.r.t. params: gather's gradient is a segment sum. */
function gatherGrad(rows: number, cols: number, indices: number[], w: number[]): number[] {
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    const weights = tf.tensor2d(w, [indices.length, cols]);
    const g = tf.grad((p: tf.Tensor) => tf.gather(p, idx).mul(weights).sum())(tf.zeros([rows, cols]));
    return Array.from(g.dataSync());
  });
}

const close = (a: number[], b: number[], tol: number) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= tol * (1 + Math.abs(b[i]!)));

// tfjs's own cpu kernel first (initBackend('cpu') replaces it), then corpusflow's wasm and cpu kernels.
const expected = new Map<string, { shape: number[]; values: number[] }>();
const gatherCase = { rows: 30, cols: 5, indices: Array.from({ length: 40 }, (_, i) => (i * 7) % 30 === 3 ? 3 : (i * 13) % 30), w: Array.from({ length: 200 }, (_, i) => Math.sin(i)) };
let expectedGatherGrad: number[] = [];

t.test("tfjs's own cpu kernel agrees with the definition", async (t) => {
  await tf.setBackend('cpu');
  for (const c of cases) {
    if (c.skipTfjsCpu) continue;
    const { x, ids } = inputsOf(c, 1);
    const got = run(c, x, ids);
    expected.set(c.name, got);
    t.ok(close(got.values, reference(c, x, ids), 1e-5), c.name);
  }
  expectedGatherGrad = gatherGrad(gatherCase.rows, gatherCase.cols, gatherCase.indices, gatherCase.w);
});

for (const backend of ['wasm', 'cpu'] as const) {
  t.test(`corpusflow's UnsortedSegmentSum on ${backend}`, async (t) => {
    const name = await initBackend(backend, { log: false });
    t.equal(name, backend);
    const base = tf.memory().numTensors;
    for (const c of cases) {
      t.test(c.name, async (t) => {
        for (const seed of [1, 2, 3]) {
          const { x, ids } = inputsOf(c, seed);
          const got = run(c, x, ids);
          t.same(got.shape, [c.numSegments, ...c.xShape.slice(c.idsShape.length)], 'shape');
          t.ok(close(got.values, reference(c, x, ids), 1e-5), `seed ${seed}: matches the definition`);
          if (seed === 1 && expected.has(c.name)) t.ok(close(got.values, expected.get(c.name)!.values, 1e-5), "matches tfjs's cpu kernel");
        }
      });
    }
    t.test("gather's gradient (tf.grad through tf.gather) matches tfjs's cpu result", async (t) => {
      const got = gatherGrad(gatherCase.rows, gatherCase.cols, gatherCase.indices, gatherCase.w);
      t.ok(close(got, expectedGatherGrad, 1e-5));
      t.ok(got.some((v) => v !== 0));
    });
    t.test('no tensor leaked', async (t) => {
      t.equal(tf.memory().numTensors, base);
    });
  });
}

// Conv2DBackpropFilter: the filter gradient of conv2d/conv1d, run directly as a kernel so both layouts are covered.
interface ConvCase {
  name: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
}
const convCases: ConvCase[] = [
  { name: '3x3 same, stride 1', xShape: [2, 5, 5, 3], filterShape: [3, 3, 3, 4], strides: [1, 1], pad: 'same', dataFormat: 'NHWC' },
  { name: '3x3 valid, stride 2', xShape: [2, 7, 6, 2], filterShape: [3, 3, 2, 3], strides: [2, 2], pad: 'valid', dataFormat: 'NHWC' },
  { name: 'explicit pad 1, stride (1, 2)', xShape: [1, 6, 6, 2], filterShape: [2, 3, 2, 2], strides: [1, 2], pad: 1, dataFormat: 'NHWC' },
  { name: 'conv1d shape (height 1), kernel 5', xShape: [3, 1, 20, 4], filterShape: [1, 5, 4, 6], strides: [1, 1], pad: 'same', dataFormat: 'NHWC' },
  { name: 'channels first', xShape: [2, 3, 5, 5], filterShape: [3, 3, 3, 2], strides: [1, 1], pad: 'same', dataFormat: 'NCHW' },
];

function convOutShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad, undefined, false, tf.backend_util.convertConv2DDataFormat(c.dataFormat));
  return info.outShape;
}

function runConvFilterGrad(c: ConvCase, seed: number): number[] {
  const rng = createRandom(seed);
  const dyShape = convOutShape(c);
  const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
  // Some exact zeros in x exercise the kernel's skip of zero inputs.
  const xv = Array.from({ length: n(c.xShape) }, () => (rng.next() < 0.2 ? 0 : rng.next() * 2 - 1));
  const dyv = Array.from({ length: n(dyShape) }, () => rng.next() * 2 - 1);
  return tf.tidy(() => {
    const x = tf.tensor(xv, c.xShape);
    const dy = tf.tensor(dyv, dyShape);
    const out = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, filterShape: c.filterShape }) as tf.Tensor;
    return Array.from(out.dataSync());
  });
}

/** d(sum(conv1d(x, f) * w))/df through tf.grad, as a Conv1D layer's training computes it. */
function conv1dFilterGrad(): number[] {
  return tf.tidy(() => {
    const x = tf.tensor3d(Array.from({ length: 2 * 12 * 3 }, (_, i) => Math.cos(i)), [2, 12, 3]);
    const w = tf.tensor3d(Array.from({ length: 2 * 12 * 4 }, (_, i) => Math.sin(i * 0.3)), [2, 12, 4]);
    const g = tf.grad((f: tf.Tensor) => tf.conv1d(x, f as tf.Tensor3D, 1, 'same').mul(w).sum())(tf.ones([3, 3, 4]));
    return Array.from(g.dataSync());
  });
}

t.test('Conv2DBackpropFilter on wasm matches tfjs cpu', async (t) => {
  await tf.setBackend('cpu');
  const expectedConv = convCases.map((c) => [1, 2].map((seed) => runConvFilterGrad(c, seed)));
  const expectedConv1d = conv1dFilterGrad();
  await initBackend('wasm', { log: false });
  const base = tf.memory().numTensors;
  convCases.forEach((c, k) => {
    [1, 2].forEach((seed, j) => t.ok(close(runConvFilterGrad(c, seed), expectedConv[k]![j]!, 1e-4), `${c.name}, seed ${seed}`));
  });
  t.ok(close(conv1dFilterGrad(), expectedConv1d, 1e-4), 'tf.grad through tf.conv1d');
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});

// GatherV2 (corpusflow replaces wasm's with slice copies) against tfjs's cpu kernel.
interface GatherCase {
  name: string;
  xShape: number[];
  indicesShape: number[];
  axis: number;
  batchDims?: number;
  dtype: 'float32' | 'int32' | 'bool';
}
const gatherCases: GatherCase[] = [
  { name: 'rows of a matrix (embedding lookup)', xShape: [50, 20], indicesShape: [70], axis: 0, dtype: 'float32' },
  { name: 'rows, 2-d indices', xShape: [10, 3], indicesShape: [4, 5], axis: 0, dtype: 'float32' },
  { name: 'columns (axis 1, short slices)', xShape: [6, 9], indicesShape: [4], axis: 1, dtype: 'float32' },
  { name: 'middle axis of rank 3', xShape: [3, 7, 4], indicesShape: [5], axis: 1, dtype: 'int32' },
  { name: 'negative axis', xShape: [4, 5, 6], indicesShape: [3], axis: -1, dtype: 'float32' },
  { name: 'vector of ids', xShape: [320], indicesShape: [100], axis: 0, dtype: 'float32' },
  { name: 'bool values', xShape: [8, 3], indicesShape: [6], axis: 0, dtype: 'bool' },
  { name: 'batchDims 1', xShape: [3, 6, 4], indicesShape: [3, 5], axis: 1, batchDims: 1, dtype: 'float32' },
  { name: 'no indices', xShape: [5, 2], indicesShape: [0], axis: 0, dtype: 'float32' },
];

function runGather(c: GatherCase, seed: number): { shape: number[]; values: number[] } {
  const rng = createRandom(seed);
  const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const axis = c.axis < 0 ? c.xShape.length + c.axis : c.axis;
  const xv = Array.from({ length: n(c.xShape) }, () => (c.dtype === 'float32' ? rng.next() : rng.nextInt(c.dtype === 'bool' ? 2 : 100)));
  const iv = Array.from({ length: n(c.indicesShape) }, () => rng.nextInt(c.xShape[axis]!));
  return tf.tidy(() => {
    const out = tf.gather(tf.tensor(xv, c.xShape, c.dtype), tf.tensor(iv, c.indicesShape, 'int32'), c.axis, c.batchDims ?? 0);
    return { shape: out.shape, values: Array.from(out.dataSync()) };
  });
}

/** d(sum(unsortedSegmentSum(x, ids, n) * w))/dx: the gradient corpusflow replaces. */
function segmentSumGrad(ids: number[], numSegments: number, inner: number): number[] {
  return tf.tidy(() => {
    const w = tf.tensor2d(Array.from({ length: numSegments * inner }, (_, i) => Math.cos(i)), [numSegments, inner]);
    const idsT = tf.tensor1d(ids, 'int32');
    const g = tf.grad((x: tf.Tensor) => tf.unsortedSegmentSum(x, idsT, numSegments).mul(w).sum())(tf.ones([ids.length, inner]));
    return Array.from(g.dataSync());
  });
}
const gradIds = [3, 0, -1, 2, 3, 3, -2, 1];

t.test('GatherV2 on wasm, and the UnsortedSegmentSum gradient on wasm and cpu, match tfjs', async (t) => {
  // A fresh process has tfjs's kernels and gradient until initBackend runs; capture tfjs's results first.
  await tf.setBackend('cpu');
  const expectedGather = gatherCases.map((c) => runGather(c, 5));
  const tfjsGrad = segmentSumGrad(gradIds, 4, 3);
  await initBackend('wasm', { log: false });
  const base = tf.memory().numTensors;
  gatherCases.forEach((c, k) => t.same(runGather(c, 5), expectedGather[k], `gather: ${c.name}`));
  t.throws(() => tf.tidy(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([0, 3], 'int32'))), /GatherV2: the index value 3 is not in \[0, 2\]/, 'an id out of range fails as in tfjs');
  t.same(segmentSumGrad(gradIds, 4, 3), tfjsGrad, 'segment-sum gradient on wasm (negative ids get 0)');
  // Ids >= numSegments were dropped by the forward pass, so their gradient is 0 (tfjs's would fail in gather).
  const beyond = segmentSumGrad([1, 5, 0], 2, 2);
  t.same(beyond.slice(2, 4), [0, 0]);
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
  await initBackend('cpu', { log: false });
  t.same(segmentSumGrad(gradIds, 4, 3), tfjsGrad, 'segment-sum gradient on cpu');
});

t.test('ClipByValue on wasm: int32 is clipped (tfjs 4.22 left values above the max), float32 unchanged', async (t) => {
  const cases: Array<{ dtype: 'int32' | 'float32'; x: number[]; min: number; max: number }> = [
    { dtype: 'int32', x: [1, 5, 0, -3, 2, 9], min: 0, max: 2 },
    { dtype: 'int32', x: [-100, 100], min: -5, max: 5 },
    { dtype: 'float32', x: [0.5, 5.25, -3.5, 1], min: 0, max: 2 },
  ];
  await tf.setBackend('cpu');
  const expected = cases.map((c) => tf.tidy(() => Array.from(tf.clipByValue(tf.tensor1d(c.x, c.dtype), c.min, c.max).dataSync())));
  await initBackend('wasm', { log: false });
  cases.forEach((c, k) => {
    const got = tf.tidy(() => tf.clipByValue(tf.tensor1d(c.x, c.dtype), c.min, c.max));
    t.equal(got.dtype, c.dtype);
    t.same(Array.from(got.dataSync()), expected[k], `${c.dtype} ${JSON.stringify(c.x)}`);
    got.dispose();
  });
});

t.test('Tile on wasm matches tfjs cpu; Identity on wasm shares memory and keeps values', async (t) => {
  const cases: Array<{ shape: number[]; reps: number[]; dtype: 'float32' | 'int32' }> = [
    { shape: [1, 7], reps: [5, 1], dtype: 'float32' },
    { shape: [5, 1], reps: [1, 7], dtype: 'float32' },
    { shape: [2, 3], reps: [2, 2], dtype: 'int32' },
    { shape: [2, 1, 3], reps: [1, 4, 2], dtype: 'float32' },
    { shape: [3], reps: [4], dtype: 'int32' },
    { shape: [2, 3, 1], reps: [3, 1, 5], dtype: 'float32' },
    { shape: [0, 2], reps: [3, 1], dtype: 'float32' },
  ];
  const run = () =>
    cases.map((c) => tf.tidy(() => Array.from(tf.tile(tf.range(1, tf.util.sizeFromShape(c.shape) + 1, 1, c.dtype).reshape(c.shape), c.reps).dataSync())));
  await tf.setBackend('cpu');
  const expected = run();
  await initBackend('wasm', { log: false });
  const base = tf.memory().numTensors;
  const got = run();
  cases.forEach((c, k) => t.same(got[k], expected[k], `tile ${JSON.stringify(c.shape)} x ${JSON.stringify(c.reps)}`));
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  t.same(Array.from(y.dataSync()), [1, 2, 3], 'a clone outlives its source');
  y.dispose();
  t.equal(tf.memory().numTensors, base, 'no tensor leaked');
});

t.test('Sum and Mean gradients: dy (or dy / n) spread over the reduced axes, on wasm and cpu', async (t) => {
  const cases: Array<{ shape: number[]; axis: number | number[] }> = [
    { shape: [3, 4], axis: 1 },
    { shape: [3, 4], axis: 0 },
    { shape: [2, 3, 4], axis: [0, 2] },
    { shape: [5], axis: 0 },
  ];
  for (const backend of ['wasm', 'cpu'] as const) {
    await initBackend(backend, { log: false });
    const base = tf.memory().numTensors;
    for (const c of cases) {
      const axes = tf.util.parseAxisParam(c.axis, c.shape);
      const n = axes.reduce((p, a) => p * c.shape[a]!, 1);
      const size = tf.util.sizeFromShape(c.shape);
      // Weights w make dy differ per output element; the gradient of sum(reduce(x) * w) is w spread.
      const [gs, gm, expectSum] = tf.tidy(() => {
        const x = tf.range(0, size, 1, 'float32').reshape(c.shape);
        const outShape = c.shape.filter((_, i) => !axes.includes(i));
        const w = tf.range(1, tf.util.sizeFromShape(outShape) + 1, 1, 'float32').reshape(outShape);
        const gSum = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.sum(a, c.axis), w)))(x);
        const gMean = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, c.axis), w)))(x);
        const keep = c.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const spread = tf.mul(tf.reshape(w, keep), tf.ones(c.shape));
        return [Array.from(gSum.dataSync()), Array.from(gMean.dataSync()), Array.from(spread.dataSync())];
      });
      t.same(gs, expectSum, `${backend} sum ${JSON.stringify(c)}`);
      t.same(gm, expectSum.map((v) => Math.fround(v / n)), `${backend} mean ${JSON.stringify(c)}`);
    }
    t.equal(tf.memory().numTensors, base, `${backend}: no tensor leaked`);
  }
});
