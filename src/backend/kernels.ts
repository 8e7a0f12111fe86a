/**
 * Kernels (and one gradient) corpusflow adds to or replaces in tfjs backends, found by
 * recording every kernel a training step dispatches (test/backend/training-kernels.ts)
 * and timing the hot ones (test/backend/variants.bench.mts).
 *
 * wasm:
 * - `UnsortedSegmentSum` is missing: it is gather's gradient (every embedding lookup that
 *   trains needs it) and the segment sum of the sparse bag-of-words encoder.
 * - `Conv2DBackpropFilter` is missing: the filter gradient of conv1d/conv2d layers.
 * - `GatherV2` is replaced: tfjs's computes each element's address from strides (~25 ms for
 *   3,840 rows of 100 floats); copying whole slices takes well under a millisecond.
 * - `ClipByValue` is wrapped: tfjs 4.22's reads int32 data as float32 and does not clip it.
 * - `Identity` is replaced: it shares the input's memory instead of copying (tfjs clones every
 *   tensor saved for the backward pass through it, ~150 per ProdLDA step).
 * - `Tile` is replaced: tfjs's indexes element by element (~20-35 ms for [64, 2949]); rows are
 *   filled or copied whole.
 * cpu:
 * - `UnsortedSegmentSum` is replaced: tfjs's loops over segments building four temporary
 *   tensors each, O(numSegments × x.size): seconds to minutes per step with a vocabulary.
 * all backends:
 * - the gradients of `Sum` and `Mean`: tfjs's build `ones(x.shape)` in JavaScript and upload it on
 *   every call; these tile dy instead (same values).
 * - the gradient of `UnsortedSegmentSum`: tfjs's builds a full-size boolean mask (~70 ms
 *   per step on wasm); this one masks with one [n, 1] column.
 *
 * The kernels compute in JavaScript over the backend's own memory: on wasm the output is
 * allocated with the backend's `makeOutput` and inputs and output are views on the wasm
 * heap, so nothing is copied in or out of wasm on the training hot path.
 */
import * as tf from '@tensorflow/tfjs';

type Values = Float32Array | Int32Array;

/** The part of tfjs-backend-wasm's `BackendWasm` used here (its type is not exported from the package entry). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Values | Uint8Array;
}

/** The part of tfjs-backend-cpu's `MathBackendCPU` used here. */
interface CpuBackendLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}

interface SegmentSumArgs<B> {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: B;
  attrs: { numSegments: number };
}

/**
 * out[s, :] += x[i, :] for every row i whose segment id is s; ids outside [0, numSegments)
 * are dropped, as TensorFlow does. `out` must be zeroed. One pass over x.
 */
export function segmentSumInto(out: Values, x: Values, ids: ArrayLike<number>, inner: number, numSegments: number): void {
  const outer = ids.length;
  if (inner === 1) {
    for (let i = 0; i < outer; i++) {
      const s = ids[i]!;
      if (s >= 0 && s < numSegments) out[s] = out[s]! + x[i]!;
    }
    return;
  }
  for (let i = 0; i < outer; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] = out[dst + j]! + x[src + j]!;
  }
}

function segmentSumShape(x: tf.TensorInfo, segmentIds: tf.TensorInfo, numSegments: number): { shape: number[]; inner: number } {
  const innerShape = x.shape.slice(segmentIds.shape.length);
  return { shape: [numSegments, ...innerShape], inner: tf.util.sizeFromShape(innerShape) };
}

/**
 * `UnsortedSegmentSum` on wasm: out[s, ...] = sum of x[i, ...] over every i whose segment id is s.
 * Like sorting letters into numbered pigeonholes and adding up what lands in each.
 */
export function unsortedSegmentSumWasm(args: SegmentSumArgs<WasmBackendLike>): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const { shape, inner } = segmentSumShape(x, segmentIds, attrs.numSegments);
  // Allocate first: growing the heap detaches earlier views, so take the input views afterwards.
  const out = backend.makeOutput(shape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out) as Values;
  outVals.fill(0);
  segmentSumInto(outVals, backend.typedArrayFromHeap(x) as Values, backend.typedArrayFromHeap(segmentIds) as Int32Array, inner, attrs.numSegments);
  return out;
}

/** `UnsortedSegmentSum` on cpu, one pass instead of one pass per segment. */
export function unsortedSegmentSumCpu(args: SegmentSumArgs<CpuBackendLike>): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const { shape, inner } = segmentSumShape(x, segmentIds, attrs.numSegments);
  const size = tf.util.sizeFromShape(shape);
  const outVals = x.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  segmentSumInto(outVals, backend.readSync(x.dataId) as Values, backend.readSync(segmentIds.dataId) as Int32Array, inner, attrs.numSegments);
  return backend.makeTensorInfo(shape, x.dtype, outVals);
}

interface GatherArgs {
  inputs: { x: tf.TensorInfo; indices: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: { axis: number; batchDims: number };
}

/**
 * `GatherV2` on wasm, replacing tfjs's: its wasm kernel computes every output element's
 * address from strides, which costs ~25 ms to gather 3,840 rows of 100 floats (the sparse
 * encoder's embedding lookup, and the gradient of its segment sum). Copying whole slices
 * does the same in well under a millisecond. Same checks and message as tfjs.
 */
export function gatherV2Wasm(args: GatherArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.Tensor, indices as tf.Tensor, axis, attrs.batchDims);
  const dim = info.dimSize;
  let ids = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    if (!(id >= 0 && id < dim)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${dim - 1}]`);
  }
  const out = backend.makeOutput(info.outputShape, x.dtype);
  // Views after the allocation: growing the heap detaches the earlier ones.
  ids = backend.typedArrayFromHeap(indices) as Int32Array;
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const { batchSize, outerSize, sliceSize } = info;
  const perBatch = ids.length / batchSize;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const xBase = (b * outerSize + o) * dim * sliceSize;
      const outBase = (b * outerSize + o) * perBatch * sliceSize;
      for (let i = 0; i < perBatch; i++) {
        const src = xBase + ids[b * perBatch + i]! * sliceSize;
        const dst = outBase + i * sliceSize;
        if (sliceSize >= 16) ov.set(xv.subarray(src, src + sliceSize), dst);
        else for (let j = 0; j < sliceSize; j++) ov[dst + j] = xv[src + j]!;
      }
    }
  }
  return out;
}

interface ClipArgs {
  inputs: { x: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: { clipValueMin: number; clipValueMax: number };
}

/**
 * `ClipByValue` on wasm for int32 tensors. tfjs 4.22's wasm kernel reads int32 data as
 * float32, so `clipByValue(int32 [1, 5], 0, 1)` returns [1, 5]; float32 tensors go to
 * tfjs's kernel unchanged.
 */
function makeClipByValueWasm(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: ClipArgs) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype !== 'int32') return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const out = backend.makeOutput(x.shape, 'int32');
    const xv = backend.typedArrayFromHeap(x) as Int32Array;
    const ov = backend.typedArrayFromHeap(out) as Int32Array;
    const lo = attrs.clipValueMin;
    const hi = attrs.clipValueMax;
    for (let i = 0; i < xv.length; i++) {
      const v = xv[i]!;
      ov[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return out;
  }) as unknown as tf.KernelFunc;
}

/**
 * `Identity` on wasm without a copy: the output shares the input's memory (reference counted),
 * as tfjs's cpu backend does. tfjs clones every tensor it saves for the backward pass through
 * this kernel, ~150 per ProdLDA step, and wasm's own copies each one (~3 ms per step).
 * Safe because tensors are immutable: no kernel writes into an input, and corpusflow's in-place
 * optimizer update writes only data it owns alone (reference count 1).
 */
function makeIdentityWasm(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: { x: tf.TensorInfo }; backend: { incRef(dataId: tf.DataId): void } }) => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }) as unknown as tf.KernelFunc;
}

interface TileArgs {
  inputs: { x: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: { reps: number[] };
}

/**
 * `Tile` on wasm: tfjs's computes every output element's source index (~20-35 ms to tile a
 * [1, 2949] or [64, 1] tensor to [64, 2949], the gradient of ProdLDA's sums and means). This
 * one fills whole rows of the last axis (a `fill` or a repeated slice copy), row by row.
 */
function makeTileWasm(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: TileArgs) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return original(args as unknown as Parameters<tf.KernelFunc>[0]);
    const rank = x.shape.length;
    const outShape = x.shape.map((n, i) => n * attrs.reps[i]!);
    const out = backend.makeOutput(outShape, x.dtype);
    const xv = backend.typedArrayFromHeap(x);
    const ov = backend.typedArrayFromHeap(out);
    if (ov.length === 0) return out;
    const inner = x.shape[rank - 1]!;
    const outInner = outShape[rank - 1]!;
    const rows = ov.length / outInner;
    // Row r of the output, written as a mixed-radix number over outShape[0..rank-2], maps to the
    // input row whose digits are each taken modulo the input's dimension.
    const digits = new Array<number>(Math.max(0, rank - 1)).fill(0);
    for (let r = 0; r < rows; r++) {
      let src = 0;
      for (let d = 0; d < rank - 1; d++) src = src * x.shape[d]! + (digits[d]! % x.shape[d]!);
      const xo = src * inner;
      const oo = r * outInner;
      if (inner === 1) ov.fill(xv[xo]!, oo, oo + outInner);
      else for (let k = 0; k < outInner; k += inner) ov.set(xv.subarray(xo, xo + inner), oo + k);
      for (let d = rank - 2; d >= 0; d--) {
        if (++digits[d]! < outShape[d]!) break;
        digits[d] = 0;
      }
    }
    return out;
  }) as unknown as tf.KernelFunc;
}

interface Conv2DBackpropFilterArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
}

/**
 * `Conv2DBackpropFilter` on wasm: the gradient of conv2d (and conv1d, which tfjs runs as
 * conv2d) with respect to its filter, so convolutional text models can train on wasm.
 * dW[r, c, i, o] = sum over batch and output positions of x[at the input pixel under filter
 * tap (r, c), channel i] × dy[output position, channel o]. Dilation is 1: tfjs's conv2d
 * gradient supports no other.
 */
export function conv2DBackpropFilterWasm(args: Conv2DBackpropFilterArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const last = info.dataFormat === 'channelsLast';
  // Element strides of (batch, row, column, channel) in x and dy for either layout.
  const xs = last
    ? [inHeight * inWidth * inChannels, inWidth * inChannels, inChannels, 1]
    : [inChannels * inHeight * inWidth, inWidth, 1, inHeight * inWidth];
  const ys = last
    ? [outHeight * outWidth * outChannels, outWidth * outChannels, outChannels, 1]
    : [outChannels * outHeight * outWidth, outWidth, 1, outHeight * outWidth];
  // Sums in double precision, as tfjs's cpu kernel does, then stored as float32.
  const acc = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let b = 0; b < batchSize; b++) {
    for (let yR = 0; yR < outHeight; yR++) {
      for (let yC = 0; yC < outWidth; yC++) {
        const dyBase = b * ys[0]! + yR * ys[1]! + yC * ys[2]!;
        for (let wR = 0; wR < filterHeight; wR++) {
          const xR = yR * strideHeight + wR - top;
          if (xR < 0 || xR >= inHeight) continue;
          for (let wC = 0; wC < filterWidth; wC++) {
            const xC = yC * strideWidth + wC - left;
            if (xC < 0 || xC >= inWidth) continue;
            const xBase = b * xs[0]! + xR * xs[1]! + xC * xs[2]!;
            for (let d1 = 0; d1 < inChannels; d1++) {
              const v = xv[xBase + d1 * xs[3]!]!;
              if (v === 0) continue;
              const w = ((wR * filterWidth + wC) * inChannels + d1) * outChannels;
              for (let d2 = 0; d2 < outChannels; d2++) acc[w + d2] = acc[w + d2]! + v * dyv[dyBase + d2 * ys[3]!]!;
            }
          }
        }
      }
    }
  }
  // Views taken after makeOutput are still valid: nothing allocated on the heap since.
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
}

/**
 * The gradient of `UnsortedSegmentSum` with respect to x: each row gets dy at its segment,
 * or 0 when its id is outside [0, numSegments) (the forward pass dropped it).
 * tfjs's own builds a full-size boolean mask with a broadcast logicalAnd, which costs
 * ~70 ms per step on wasm for a [3840, 100] encoder input; masking with an [n, 1] float
 * column costs one broadcast multiply. Unlike tfjs's, ids >= numSegments get 0 instead of
 * failing in gather.
 */
export const unsortedSegmentSumGrad: tf.GradConfig = {
  kernelName: tf.UnsortedSegmentSum,
  inputsToSave: ['segmentIds'],
  gradFunc: (dy, saved) => {
    const [segmentIds] = saved as [tf.Tensor];
    const grad = dy as tf.Tensor;
    return {
      x: () =>
        tf.tidy(() => {
          const numSegments = grad.shape[0]!;
          const clamped = tf.minimum(tf.maximum(segmentIds, tf.scalar(0, 'int32')), tf.scalar(numSegments - 1, 'int32'));
          const gathered = tf.gather(grad, clamped);
          // 1 where 0 <= id < numSegments, else 0; products of casts (wasm's logicalAnd is slow).
          const valid = tf.mul(tf.cast(tf.greaterEqual(segmentIds, 0), gathered.dtype), tf.cast(tf.less(segmentIds, numSegments), gathered.dtype));
          const innerRank = gathered.rank - segmentIds.rank;
          const keep = tf.reshape(valid, [...segmentIds.shape, ...new Array<number>(innerRank).fill(1)]);
          return tf.mul(gathered, keep);
        }),
    };
  },
};

/** dy reshaped to x's rank (size 1 on the reduced axes) and tiled back to x's shape: a reduction's gradient. */
function spreadOverAxes(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.slice();
  for (const a of axes) expanded[a] = 1;
  const reps = x.shape.map((n, i) => (expanded[i] === 1 ? n : 1));
  const flat = tf.reshape(dy.dtype === 'float32' ? dy : tf.cast(dy, 'float32'), expanded);
  return reps.every((r) => r === 1) ? flat : tf.tile(flat, reps);
}

/**
 * The gradient of `Sum`: dy repeated over the summed axes. tfjs's multiplies dy by a
 * `ones(x.shape)` built in JavaScript and copied to the backend on every step (a [64, 2949]
 * array per sum in ProdLDA's loss); tiling gives the same values (dy × 1 is exact) without it.
 */
export const sumGrad: tf.GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { axis } = attrs as unknown as { axis: number | number[] };
    return { x: () => spreadOverAxes(dy as tf.Tensor, x, axis) };
  },
};

/**
 * The gradient of `Mean`: dy / n repeated over the averaged axes. Same values as tfjs's
 * (which divides dy × ones(x.shape) by n, element by element), without the ones array.
 */
export const meanGrad: tf.GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { axis } = attrs as unknown as { axis: number | number[] };
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
    return { x: () => spreadOverAxes(tf.div(dy as tf.Tensor, n), x, axis) };
  },
};

/**
 * The kernels added for each backend, and whether they replace one tfjs has. A `wrap`
 * entry builds its kernel around tfjs's original, which it calls for the cases it leaves alone.
 */
const KERNELS: ReadonlyArray<{ config: tf.KernelConfig; replace: boolean; wrap?: (original: tf.KernelFunc) => tf.KernelFunc }> = [
  { config: { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc }, replace: false },
  { config: { kernelName: tf.ClipByValue, backendName: 'wasm', kernelFunc: () => [] }, replace: true, wrap: makeClipByValueWasm },
  { config: { kernelName: tf.Identity, backendName: 'wasm', kernelFunc: () => [] }, replace: true, wrap: makeIdentityWasm },
  { config: { kernelName: tf.Tile, backendName: 'wasm', kernelFunc: () => [] }, replace: true, wrap: makeTileWasm },
  { config: { kernelName: tf.GatherV2, backendName: 'wasm', kernelFunc: gatherV2Wasm as unknown as tf.KernelFunc }, replace: true },
  { config: { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc }, replace: false },
  { config: { kernelName: tf.UnsortedSegmentSum, backendName: 'cpu', kernelFunc: unsortedSegmentSumCpu as unknown as tf.KernelFunc }, replace: true },
];

const registered = new Map<string, Set<string>>();
let gradientsRegistered = false;

/** Install corpusflow's gradients (backend-independent; same results as tfjs's, cheaper). Idempotent. */
export function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient(unsortedSegmentSumGrad);
  tf.registerGradient(sumGrad);
  tf.registerGradient(meanGrad);
}

/**
 * Register corpusflow's kernels for one backend. On wasm a kernel is added only where
 * wasm has none (a later tfjs may bring its own); on cpu the slow tfjs kernel is replaced.
 * Safe to call more than once.
 * @param backendName 'wasm' or 'cpu'
 * @return the names of every kernel corpusflow has registered for that backend so far
 */
export function registerKernels(backendName: 'wasm' | 'cpu'): string[] {
  const done = registered.get(backendName) ?? new Set<string>();
  registered.set(backendName, done);
  for (const { config, replace, wrap } of KERNELS) {
    if (config.backendName !== backendName || done.has(config.kernelName)) continue;
    const existing = tf.getKernel(config.kernelName, backendName);
    if (existing !== undefined) {
      if (!replace) continue;
      tf.unregisterKernel(config.kernelName, backendName);
    } else if (wrap) {
      continue; // nothing to wrap
    }
    tf.registerKernel(wrap && existing ? { ...existing, kernelFunc: wrap(existing.kernelFunc) } : config);
    done.add(config.kernelName);
  }
  return [...done];
}
