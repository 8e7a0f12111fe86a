/**
 * Kernels corpusflow adds to tfjs backends.
 *
 * - wasm lacks `UnsortedSegmentSum`, which is gather's gradient (every embedding lookup
 *   that trains needs it) and the segment-sum of the sparse bag-of-words encoder.
 * - wasm lacks `Conv2DBackpropFilter`, the filter gradient of conv1d/conv2d layers.
 * - cpu has one, but it loops over segments and builds four temporary tensors per segment:
 *   O(numSegments × x.size). With numSegments = vocabulary size that is minutes per step,
 *   so it is replaced by the same one-pass loop.
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

/** The kernels added for each backend, and whether they replace one tfjs has. */
const KERNELS: ReadonlyArray<{ config: tf.KernelConfig; replace: boolean }> = [
  { config: { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc }, replace: false },
  { config: { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc }, replace: false },
  { config: { kernelName: tf.UnsortedSegmentSum, backendName: 'cpu', kernelFunc: unsortedSegmentSumCpu as unknown as tf.KernelFunc }, replace: true },
];

const registered = new Map<string, Set<string>>();

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
  for (const { config, replace } of KERNELS) {
    if (config.backendName !== backendName || done.has(config.kernelName)) continue;
    if (tf.getKernel(config.kernelName, backendName) !== undefined) {
      if (!replace) continue;
      tf.unregisterKernel(config.kernelName, backendName);
    }
    tf.registerKernel(config);
    done.add(config.kernelName);
  }
  return [...done];
}
