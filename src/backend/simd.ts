/**
 * corpusflow's WebAssembly SIMD kernels (src/backend/simd/kernels.c), run inside the memory of
 * tfjs's wasm backend.
 *
 * The module imports tfjs's `WebAssembly.Memory`, so a kernel reads and writes tensors where tfjs
 * keeps them: its arguments are byte offsets into that memory (`pointer(view)`), and scratch comes
 * from tfjs's own allocator. Like a second cook working at the same counter rather than carrying
 * the ingredients to another kitchen. The plain-JavaScript kernels stay as the path for the cpu
 * backend and as the reference the tests compare with (`setSimdKernels(false)`).
 */
import { KERNELS_WASM_BASE64 } from './simd/kernels-wasm.js';

/** The few WebAssembly JS-API members used here (the project compiles without the DOM typings that declare them). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The exports of kernels.c; every pointer is a byte offset into tfjs's wasm memory. */
export interface SimdKernels {
  check_words(ids: number, rows: number, nnz: number, B: number, V: number): number;
  bn_coefficients(mean: number, variance: number, bias: number, V: number, batchNorm: number, eps: number, centre: number, inv: number): void;
  words_nll(ids: number, rows: number, counts: number, nnz: number, N: number, lse: number, B: number, V: number, nll: number): void;
  row_factors(rows: number, counts: number, nnz: number, dy: number, rowScale: number, B: number, rowK: number): void;
  words_grad(ids: number, rows: number, counts: number, nnz: number, dy: number, N: number, shift: number, V: number, G: number, g1: number, g2: number): void;
  bn_grad_coefficients(variance: number, V: number, B: number, eps: number, inv: number, g1: number, g2: number): void;
  column_stats(L: number, bias: number, B: number, V: number, mean: number, variance: number): void;
  softmax_rows(L: number, centre: number, inv: number, shift: number, off: number, B: number, V: number, N: number, P: number, rowMax: number, rowTotal: number): void;
  softmax_grad(P: number, N: number, shift: number, rowK: number, B: number, V: number, G: number, g1: number, g2: number): void;
  batchnorm_grad(G: number, N: number, shift: number, inv: number, m1: number, m2: number, B: number, V: number): void;
  sparse_linear(out: number, W: number, bias: number, ids: number, rows: number, counts: number, nnz: number, size: number, V: number, H: number, scratch: number): void;
  sparse_linear_grad(dW: number, db: number, dy: number, ids: number, rows: number, counts: number, nnz: number, B: number, V: number, H: number, scratch: number): void;
  matmul(A: number, W: number, B: number, K: number, V: number, out: number): void;
  matmul_nt(G: number, W: number, B: number, K: number, V: number, out: number): void;
  matmul_tn(A: number, G: number, B: number, K: number, V: number, out: number): void;
  bias_activation(z: number, bias: number, B: number, O: number, softplus: number, a: number): void;
  softplus(z: number, n: number, a: number): void;
  softplus_grad(da: number, z: number, n: number, dz: number): void;
  add_mul(x: number, y: number, hasY: number, m: number, n: number, out: number): void;
  column_sums(X: number, B: number, O: number, out: number): void;
  adam(out: number, w: number, g: number, m: number, s: number, n: number, b1: number, c1: number, b2: number, c2: number, eps: number, sqrtBc2: number, step: number): void;
  /** Scratch from tfjs's allocator (16-byte aligned); release with `free`. */
  malloc(bytes: number): number;
  free(pointer: number): void;
  /** The memory both modules share (its buffer changes when it grows: take views after allocating). */
  memory: WasmMemory;
}

/** The part of tfjs-backend-wasm's `BackendWasm` used here. */
interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown }; _malloc?: (n: number) => number; _free?: (p: number) => void };
}

let enabled = true;
const instances = new WeakMap<WasmMemory, SimdKernels | null>();
let compiled: object | null | undefined;

/** Turns the SIMD kernels off (tests compare them with the JavaScript kernels). */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}

/**
 * The SIMD kernels bound to this wasm backend's memory, or null when they cannot run (another
 * backend, SIMD not supported by the runtime, or turned off with `setSimdKernels(false)`).
 * @param backend the backend object tfjs passes a kernel.
 */
export function simdKernels(backend: unknown): SimdKernels | null {
  if (!enabled) return null;
  const module = (backend as WasmBackendLike | null)?.wasm;
  const memory = module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || typeof module?._malloc !== 'function' || typeof module._free !== 'function') return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    kernels = instantiate(memory, module._malloc.bind(module), module._free.bind(module));
    instances.set(memory, kernels);
  }
  return kernels;
}

function instantiate(memory: WasmMemory, malloc: (n: number) => number, free: (p: number) => void): SimdKernels | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  if (compiled === null) return null;
  const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Omit<SimdKernels, 'malloc' | 'free' | 'memory'>;
  return {
    ...exports,
    malloc: (bytes) => {
      // tfjs's malloc aligns to 8; ask for 16 more and round up so that vectors start aligned.
      const raw = malloc(bytes + 16);
      if (raw === 0) throw new RangeError(`corpusflow simd: could not allocate ${bytes} bytes of scratch on the wasm heap`);
      const aligned = (raw + 16) & ~15;
      new Int32Array(memory.buffer, aligned - 4, 1)[0] = raw; // remember the block for free()
      return aligned;
    },
    free: (pointer) => free(new Int32Array(memory.buffer, pointer - 4, 1)[0]!),
    memory,
  };
}

/** The byte offset of a view on the wasm heap: what a kernel takes as a pointer. */
export function pointer(view: ArrayBufferView): number {
  return view.byteOffset;
}
