/**
 * Kernels the tfjs wasm backend lacks but training needs, written in plain
 * JavaScript over the wasm heap. The wasm backend keeps every tensor in its
 * linear memory; a kernel here allocates its output with the backend's own
 * `makeOutput` and then reads and writes heap views, so nothing is copied
 * in or out of wasm on the training hot path.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-backend-wasm's `BackendWasm` these kernels use (it is not exported as a type we can import cheaply). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

interface UnsortedSegmentSumArgs {
  inputs: { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  backend: WasmBackendLike;
  attrs: { numSegments: number };
}

/**
 * `UnsortedSegmentSum` on wasm: out[s, ...] = sum of x[i, ...] over every i whose segment id is s.
 * Think of it as sorting letters into numbered pigeonholes and adding up what lands in each.
 * Ids outside [0, numSegments) are dropped, as TensorFlow does. One pass over x: O(x.size),
 * where tfjs's cpu kernel costs O(numSegments × x.size) (this is gather's gradient, so
 * numSegments is the vocabulary size).
 */
export function unsortedSegmentSumWasm(args: UnsortedSegmentSumArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments;
  const outer = tf.util.sizeFromShape(segmentIds.shape);
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = tf.util.sizeFromShape(innerShape);
  // Allocate first: growing the heap detaches earlier views, so take the input views afterwards.
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const outVals = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const xVals = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  outVals.fill(0);
  if (inner === 1) {
    for (let i = 0; i < outer; i++) {
      const s = ids[i]!;
      if (s >= 0 && s < numSegments) outVals[s] = outVals[s]! + xVals[i]!;
    }
  } else {
    for (let i = 0; i < outer; i++) {
      const s = ids[i]!;
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) outVals[dst + j] = outVals[dst + j]! + xVals[src + j]!;
    }
  }
  return out;
}

/** Every kernel corpusflow adds to the wasm backend, by tfjs kernel name. */
export const WASM_KERNELS: readonly tf.KernelConfig[] = [
  { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSumWasm as unknown as tf.KernelFunc },
];

const registered = new Set<string>();

/**
 * Register the kernels above for the 'wasm' backend; a kernel wasm already has (a later
 * tfjs release may add one) is left alone. Safe to call more than once.
 * @return the names of every kernel corpusflow has registered so far
 */
export function registerWasmKernels(): string[] {
  for (const config of WASM_KERNELS) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) continue;
    tf.registerKernel(config);
    registered.add(config.kernelName);
  }
  return [...registered];
}
