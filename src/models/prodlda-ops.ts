/**
 * Fused operations for ProdLDA's training step, each one tfjs kernel with a hand-derived gradient.
 *
 * A ProdLDA step written with tfjs ops dispatches ~630 kernels, and the [batch, vocab] part of it
 * (decoder batch norm, log-softmax, reconstruction loss and their gradients) is ~25 element-wise
 * kernels each allocating a full [batch, vocab] tensor. Here that part is one forward and one
 * backward kernel, one pass or two over the data each, and the first encoder layer reads the sparse
 * bag of words directly (cost ∝ non-zeros). Like a kitchen that plates a dish in one pass instead
 * of sending every ingredient to a separate station.
 *
 * The kernels are registered for the wasm and cpu backends and work over the backend's own memory
 * (wasm heap views; no copies). On wasm their [batch, vocab] and [batch, hidden] passes run in the
 * WebAssembly SIMD kernels of ../backend/simd (as do the decoder's and the dense encoder layers'
 * products: `topicMatMul`, `denseLayer`), with the plain-JavaScript loops here as the cpu path and the
 * tests' reference. On other backends (tfjs-node) `fusedOpsAvailable` is false and the model keeps its
 * tf-op formulation, which computes the same function.
 */
import * as tf from '@tensorflow/tfjs';
import { CorpusflowError } from '../errors.js';
import { pointer, simdKernels, type SimdKernels } from '../backend/simd.js';

const DECODER_NLL = 'CorpusflowDecoderNll';
const DECODER_NLL_GRAD = 'CorpusflowDecoderNllGrad';
const SPARSE_LINEAR = 'CorpusflowSparseLinear';
const SPARSE_LINEAR_GRAD = 'CorpusflowSparseLinearGrad';
const LATENT = 'CorpusflowProdLDALatent';
const LATENT_GRAD = 'CorpusflowProdLDALatentGrad';
const TOPIC_MATMUL = 'CorpusflowTopicMatMul';
const TOPIC_MATMUL_GRAD = 'CorpusflowTopicMatMulGrad';
const DENSE = 'CorpusflowDense';
const DENSE_GRAD = 'CorpusflowDenseGrad';
const STEP = 'CorpusflowProdLDAStep';
const STEP_GRAD = 'CorpusflowProdLDAStepGrad';
const BACKENDS = ['wasm', 'cpu'] as const;

type Values = Float32Array | Int32Array;

/** What tfjs passes a kernel function. */
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: unknown;
  attrs: unknown;
}

/** A batch that does not fit the kernel (a bug upstream of the model, not bad input): names the batch field. */
function badBatch(field: string, reason: string): CorpusflowError {
  return new CorpusflowError('INVALID_OPTION', `ProdLDA batch: ${reason}`, { position: { field: `batch.${field}` } });
}

/** Backend memory access, the same whether the data lives on the wasm heap or in JS arrays. */
interface Memory {
  /** Allocates an output. On wasm, take every view after the last allocation (the heap may grow). */
  alloc(shape: number[], dtype: 'float32' | 'int32'): tf.TensorInfo;
  view(t: tf.TensorInfo): Values;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Values;
}

interface CpuBackendLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Values): tf.TensorInfo;
}

/** Outputs allocated by the kernel call under way (see {@link freeOnThrow}). */
let allocated: tf.TensorInfo[] = [];

function memoryOf(backendName: string, backend: unknown): Memory {
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return { alloc: (shape, dtype) => track(b.makeOutput(shape, dtype)), view: (t) => b.typedArrayFromHeap(t) };
  }
  const b = backend as CpuBackendLike;
  return {
    alloc: (shape, dtype) => {
      const size = tf.util.sizeFromShape(shape);
      return track(b.makeTensorInfo(shape, dtype, dtype === 'int32' ? new Int32Array(size) : new Float32Array(size)));
    },
    view: (t) => b.readSync(t.dataId) as Values,
  };
}

function track(info: tf.TensorInfo): tf.TensorInfo {
  allocated.push(info);
  return info;
}

/**
 * A kernel that, when it throws (a batch outside its shape), frees the outputs it had already
 * allocated: the engine never sees them, so nothing else would (on wasm they would stay on the heap).
 */
function freeOnThrow(kernel: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const outer = allocated;
    allocated = [];
    try {
      return kernel(args);
    } catch (err) {
      const backend = args.backend as { disposeData(dataId: tf.DataId, force?: boolean): boolean };
      for (const info of allocated) backend.disposeData(info.dataId, true);
      throw err;
    } finally {
      allocated = outer;
    }
  }) as unknown as tf.KernelFunc;
}

/** The batch's words, either as (ids, rows, counts) triplets or as a dense [batch, vocab] matrix. */
export type BowInput = { ids: tf.Tensor1D; rows: tf.Tensor1D; counts: tf.Tensor1D } | { dense: tf.Tensor2D };

interface DecoderAttrs {
  batchNorm: boolean;
  epsilon: number;
  /** 1 for a live vocabulary row, 0 for a free one (left out of the softmax); null when all are live. */
  live: Uint8Array | null;
}

/**
 * Forward: from the decoder's logits to each document's reconstruction loss.
 * N = batchNorm(logits + bias) + shift (batch statistics, biased variance), over the live columns
 * logp = N − logsumexp(N), nll[b] = −Σ_v x[b,v]·logp[b,v].
 * Outputs: nll [B], N [B,V], E = exp(N − rowmax) [B,V] and 1/Σ_v E [B] (kept for the backward
 * pass: softmax P = E / ΣE), and the batch mean and biased variance [V] (for the running statistics).
 */
function decoderNllKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { batchNorm, epsilon, live } = attrs as unknown as DecoderAttrs;
    const mem = memoryOf(backendName, backend);
    const { logits, bias, shift } = inputs as { logits: tf.TensorInfo; bias: tf.TensorInfo; shift?: tf.TensorInfo };
    const [B, V] = logits.shape as [number, number];
    const outs = [mem.alloc([B], 'float32'), mem.alloc([B, V], 'float32'), mem.alloc([B, V], 'float32'), mem.alloc([V], 'float32'), mem.alloc([V], 'float32'), mem.alloc([B], 'float32')];
    const [nllT, nT, pT, meanT, varT, scaleT] = outs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
    const simd = backendName === 'wasm' ? simdKernels(backend) : null;
    if (simd) {
      decoderNllSimd(simd, mem, inputs, attrs as unknown as DecoderAttrs, outs);
      return outs;
    }
    const L = mem.view(logits) as Float32Array;
    const b = mem.view(bias) as Float32Array;
    const s = shift ? (mem.view(shift) as Float32Array) : new Float32Array(V);
    const nll = mem.view(nllT) as Float32Array;
    const N = mem.view(nT) as Float32Array;
    const P = mem.view(pT) as Float32Array;
    const mean = mem.view(meanT) as Float32Array;
    const variance = mem.view(varT) as Float32Array;
    const rowScale = mem.view(scaleT) as Float32Array;

    const centre = new Float64Array(V);
    const inv = new Float64Array(V);
    if (inputs.runMean && inputs.runVar) {
      // Evaluation: normalise with the running statistics (and report them as the "batch" ones).
      const rm = mem.view(inputs.runMean) as Float32Array;
      const rv = mem.view(inputs.runVar) as Float32Array;
      for (let v = 0; v < V; v++) {
        mean[v] = rm[v]!;
        variance[v] = rv[v]!;
        centre[v] = batchNorm ? rm[v]! - b[v]! : -b[v]!;
        inv[v] = batchNorm ? 1 / Math.sqrt(rv[v]! + epsilon) : 1;
      }
    } else {
      // Column statistics: sums and sums of squares in float64 (logits are O(1); no cancellation to fear).
      const sum = new Float64Array(V);
      const sq = new Float64Array(V);
      for (let r = 0; r < B; r++) {
        const o = r * V;
        for (let v = 0; v < V; v++) {
          const x = L[o + v]! + b[v]!;
          sum[v] += x;
          sq[v] += x * x;
        }
      }
      for (let v = 0; v < V; v++) {
        const m = sum[v]! / B;
        const vr = Math.max(0, sq[v]! / B - m * m);
        mean[v] = m;
        variance[v] = vr;
        centre[v] = batchNorm ? m - b[v]! : -b[v]!; // N = (L − centre)·inv + shift
        inv[v] = batchNorm ? 1 / Math.sqrt(vr + epsilon) : 1;
      }
    }
    // Free rows: −∞ before the exponential, so they get probability 0.
    const off = deadOffsets(live, V);
    for (let r = 0; r < B; r++) {
      const o = r * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) {
        const n = (L[o + v]! - centre[v]!) * inv[v]! + s[v]!;
        N[o + v] = n;
        const m = n + off[v]!;
        if (m > max) max = m;
      }
      let total = 0;
      for (let v = 0; v < V; v++) {
        const e = expNonPositive(N[o + v]! + off[v]! - max);
        P[o + v] = e;
        total += e;
      }
      // P keeps exp(N − max) unnormalised: the backward pass folds 1/total into its row factor,
      // which saves a pass over [B, V] here.
      rowScale[r] = 1 / total;
      nll[r] = max + Math.log(total); // logsumexp for now; the x-weighted part follows
    }
    // nll[b] = Σ_v x[b,v]·(lse_b − N[b,v])
    wordsNll(bowView(mem, inputs, B, V), Float64Array.from(nll), N, V, nll);
    return outs;
  };
}

/**
 * `decoderNllKernel` on the wasm backend with the SIMD kernels: the [B, V] passes (column
 * statistics, normalisation, exponentials) run in wasm SIMD over the tensors in place; the [V] and
 * [B] bookkeeping and the sparse words stay in JavaScript.
 */
function decoderNllSimd(k: SimdKernels, mem: Memory, inputs: Record<string, tf.TensorInfo>, attrs: DecoderAttrs, outs: tf.TensorInfo[]): void {
  const { batchNorm, epsilon, live } = attrs;
  const { logits, bias, shift, runMean, runVar } = inputs as Record<string, tf.TensorInfo>;
  const [B, V] = logits!.shape as [number, number];
  const [nllT, nT, pT, meanT, varT, scaleT] = outs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  // Scratch: row totals [B] float64, then centre, inv, shift, off [V] and row maxima [B] float32.
  const scratch = k.malloc(8 * B + 4 * (4 * V + B));
  try {
    const f32 = (at: number, n: number) => new Float32Array(k.memory.buffer, scratch + 8 * B + 4 * at, n);
    const rowTotal = new Float64Array(k.memory.buffer, scratch, B);
    const centre = f32(0, V);
    const inv = f32(V, V);
    const shiftV = f32(2 * V, V);
    const off = f32(3 * V, V);
    const rowMax = f32(4 * V, B);
    const L = mem.view(logits!) as Float32Array;
    const b = mem.view(bias!) as Float32Array;
    const mean = mem.view(meanT) as Float32Array;
    const variance = mem.view(varT) as Float32Array;
    if (runMean && runVar) {
      mean.set(mem.view(runMean) as Float32Array);
      variance.set(mem.view(runVar) as Float32Array);
    } else {
      k.column_stats(pointer(L), pointer(b), B, V, pointer(mean), pointer(variance));
    }
    // N = (L − centre)·inv + shift
    k.bn_coefficients(pointer(mean), pointer(variance), pointer(b), V, batchNorm ? 1 : 0, epsilon, pointer(centre), pointer(inv));
    if (shift) shiftV.set(mem.view(shift) as Float32Array);
    else shiftV.fill(0);
    if (live) off.set(deadOffsets(live, V));
    else off.fill(0);
    const N = mem.view(nT) as Float32Array;
    const P = mem.view(pT) as Float32Array;
    k.softmax_rows(pointer(L), pointer(centre), pointer(inv), pointer(shiftV), pointer(off), B, V, pointer(N), pointer(P), pointer(rowMax), pointer(rowTotal));
    const rowScale = mem.view(scaleT) as Float32Array;
    const nll = mem.view(nllT) as Float32Array;
    // lse overwrites the row totals in place: each is read before it is written.
    const lse = rowTotal;
    for (let r = 0; r < B; r++) {
      const total = rowTotal[r]!;
      rowScale[r] = 1 / total;
      lse[r] = rowMax[r]! + Math.log(total);
    }
    const words = heapWords(k, mem, inputs, B, V);
    if (words) k.words_nll(words.ids, words.rows, words.counts, words.nnz, pointer(N), pointer(lse), B, V, pointer(nll));
    else wordsNll(bowView(mem, inputs, B, V), Float64Array.from(lse), N, V, nll);
  } finally {
    k.free(scratch);
  }
}

/**
 * A sparse batch's words as pointers for the SIMD kernels (checked against [B, V]), or null for a
 * dense batch (its words are found in JavaScript: `bowView`).
 */
function heapWords(k: SimdKernels, mem: Memory, inputs: Record<string, tf.TensorInfo>, B: number, V: number): { ids: number; rows: number; counts: number; nnz: number } | null {
  if (inputs.dense || !inputs.ids) return null;
  const ids = mem.view(inputs.ids) as Int32Array;
  const rows = mem.view(inputs.rows!) as Int32Array;
  const bad = k.check_words(pointer(ids), pointer(rows), ids.length, B, V);
  if (bad >= 0) throw badBatch('ids', `word ${bad} of the batch (id ${ids[bad]}, row ${rows[bad]}) is outside its [${B}, ${V}] shape`);
  return { ids: pointer(ids), rows: pointer(rows), counts: pointer(mem.view(inputs.counts!)), nnz: ids.length };
}

/** 0 for live rows, −∞ for free ones. */
function deadOffsets(live: Uint8Array | null, V: number): Float32Array {
  if (!live) return new Float32Array(V);
  const off = new Float32Array(V);
  for (let v = 0; v < V; v++) if (live[v] !== 1) off[v] = -Infinity;
  return off;
}

/** 2^i for i in [-160, 0]: the scale step of `expNonPositive`. */
const POW2 = Float64Array.from({ length: 161 }, (_, i) => 2 ** (i - 160));
const ROUND = 6755399441055744; // 1.5·2^52: adding and subtracting it rounds a double to an integer

/**
 * e^x for x ≤ 0 to float32 precision (relative error < 2e-7), ~4× faster than Math.exp in V8:
 * e^x = 2^k · e^y with k = round(x·log2 e) and |y| ≤ ln2/2, e^y by its degree-6 Taylor polynomial.
 * Below e^-104 the result is under float32's smallest normal and 0 is returned.
 */
function expNonPositive(x: number): number {
  if (!(x > -104)) return 0;
  const t = x * Math.LOG2E;
  const k = t + ROUND - ROUND;
  const y = (t - k) * Math.LN2;
  const p = 1 + y * (1 + y * (0.5 + y * (1 / 6 + y * (1 / 24 + y * (1 / 120 + y * (1 / 720))))));
  return p * POW2[(k + 160) | 0]!;
}

/**
 * Backward of `decoderNllKernel`: dlogits from dnll.
 * G[b,v] = dnll[b]·(n_b·P[b,v] − x[b,v]), P = E·rowScale, is the gradient at N (n_b = Σ_v x[b,v]); through the
 * batch norm, dlogits[b,v] = inv[v]·(G[b,v] − mean_b G[·,v] − N̂[b,v]·mean_b(G[·,v]·N̂[·,v])),
 * N̂ = N − shift. Free (non-live) columns get zero.
 */
function decoderNllGradKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const { batchNorm, epsilon, live } = attrs as unknown as DecoderAttrs;
    const mem = memoryOf(backendName, backend);
    const { dy, n: nT, p: pT, variance: varT, scale: scaleT, shift } = inputs as Record<string, tf.TensorInfo>;
    const [B, V] = nT!.shape as [number, number];
    const outT = mem.alloc([B, V], 'float32');
    const simd = backendName === 'wasm' ? simdKernels(backend) : null;
    if (simd) {
      decoderNllGradSimd(simd, mem, inputs, attrs as unknown as DecoderAttrs, outT);
      return outT;
    }
    const G = mem.view(outT) as Float32Array;
    const d = mem.view(dy!) as Float32Array;
    const N = mem.view(nT!) as Float32Array;
    const P = mem.view(pT!) as Float32Array;
    const rowScale = mem.view(scaleT!) as Float32Array;
    const variance = mem.view(varT!) as Float32Array;
    const s = shift ? (mem.view(shift) as Float32Array) : new Float32Array(V);
    const xs = bowView(mem, inputs, B, V);

    const rowTotal = rowTotals(xs, B);
    // Dense part of G with its column sums g1 = Σ_b G and g2 = Σ_b G·N̂, then the words' part.
    const g1 = new Float64Array(V);
    const g2 = new Float64Array(V);
    for (let r = 0; r < B; r++) {
      const o = r * V;
      const k = d[r]! * rowTotal[r]! * rowScale[r]!;
      for (let v = 0; v < V; v++) {
        const g = k * P[o + v]!;
        G[o + v] = g;
        g1[v] += g;
        g2[v] += g * (N[o + v]! - s[v]!);
      }
    }
    wordsGrad(xs, d, N, s, V, G, g1, g2);
    if (batchNorm) {
      const inv = new Float64Array(V);
      for (let v = 0; v < V; v++) {
        inv[v] = 1 / Math.sqrt(variance[v]! + epsilon);
        g1[v] = g1[v]! / B;
        g2[v] = g2[v]! / B;
      }
      for (let r = 0; r < B; r++) {
        const o = r * V;
        for (let v = 0; v < V; v++) G[o + v] = inv[v]! * (G[o + v]! - g1[v]! - (N[o + v]! - s[v]!) * g2[v]!);
      }
    }
    if (live) {
      for (let v = 0; v < V; v++) {
        if (live[v] === 1) continue;
        for (let r = 0; r < B; r++) G[r * V + v] = 0;
      }
    }
    return outT;
  };
}

/** `decoderNllGradKernel` with the SIMD kernels for the [B, V] passes. */
function decoderNllGradSimd(k: SimdKernels, mem: Memory, inputs: Record<string, tf.TensorInfo>, attrs: DecoderAttrs, outT: tf.TensorInfo): void {
  const { batchNorm, epsilon, live } = attrs;
  const { dy, n: nT, p: pT, variance: varT, scale: scaleT, shift } = inputs as Record<string, tf.TensorInfo>;
  const [B, V] = nT!.shape as [number, number];
  // Scratch float32: row factors [B], then g1, g2, inv, shift [V].
  const scratch = k.malloc(4 * (B + 4 * V));
  try {
    const f32 = (at: number, n: number) => new Float32Array(k.memory.buffer, scratch + 4 * at, n);
    const rowK = f32(0, B);
    const g1 = f32(B, V);
    const g2 = f32(B + V, V);
    const inv = f32(B + 2 * V, V);
    const s = f32(B + 3 * V, V);
    const G = mem.view(outT) as Float32Array;
    const d = mem.view(dy!) as Float32Array;
    const N = mem.view(nT!) as Float32Array;
    const P = mem.view(pT!) as Float32Array;
    const rowScale = mem.view(scaleT!) as Float32Array;
    const variance = mem.view(varT!) as Float32Array;
    if (shift) s.set(mem.view(shift) as Float32Array);
    else s.fill(0);
    const words = heapWords(k, mem, inputs, B, V);
    const xs = words ? null : bowView(mem, inputs, B, V);
    if (words) {
      k.row_factors(words.rows, words.counts, words.nnz, pointer(d), pointer(rowScale), B, pointer(rowK));
    } else {
      const rowTotal = rowTotals(xs!, B);
      for (let r = 0; r < B; r++) rowK[r] = d[r]! * rowTotal[r]! * rowScale[r]!;
    }
    g1.fill(0);
    g2.fill(0);
    k.softmax_grad(pointer(P), pointer(N), pointer(s), pointer(rowK), B, V, pointer(G), pointer(g1), pointer(g2));
    if (words) k.words_grad(words.ids, words.rows, words.counts, words.nnz, pointer(d), pointer(N), pointer(s), V, pointer(G), pointer(g1), pointer(g2));
    else wordsGrad(xs!, d, N, s, V, G, g1, g2);
    if (batchNorm) {
      k.bn_grad_coefficients(pointer(variance), V, B, epsilon, pointer(inv), pointer(g1), pointer(g2));
      k.batchnorm_grad(pointer(G), pointer(N), pointer(s), pointer(inv), pointer(g1), pointer(g2), B, V);
    }
    if (live) {
      for (let v = 0; v < V; v++) {
        if (live[v] === 1) continue;
        for (let r = 0; r < B; r++) G[r * V + v] = 0;
      }
    }
  } finally {
    k.free(scratch);
  }
}

/** The batch's words as (row, id, count) triplets, whatever form the batch came in. */
interface Words {
  ids: Int32Array;
  rows: Int32Array;
  counts: Float32Array;
}

/**
 * The batch's words as triplets: views of a sparse batch (ids checked against [B, V]), or the
 * non-zeros of a dense one. The kernels loop over these directly: a callback per word, shared by
 * several loops, is not inlined by V8 and cost ~0.5 ms per step.
 */
function bowView(mem: Memory, inputs: Record<string, tf.TensorInfo>, B: number, V: number): Words {
  if (inputs.dense) {
    if (inputs.dense.shape[0] !== B || inputs.dense.shape[1] !== V) throw badBatch('x', `a dense batch of shape [${inputs.dense.shape}] for logits [${B}, ${V}]`);
    const x = mem.view(inputs.dense) as Float32Array;
    let n = 0;
    for (let i = 0; i < x.length; i++) if (x[i] !== 0) n++;
    const words: Words = { ids: new Int32Array(n), rows: new Int32Array(n), counts: new Float32Array(n) };
    for (let i = 0, j = 0; i < x.length; i++) {
      if (x[i] === 0) continue;
      words.rows[j] = (i / V) | 0;
      words.ids[j] = i % V;
      words.counts[j++] = x[i]!;
    }
    return words;
  }
  const ids = mem.view(inputs.ids!) as Int32Array;
  const rows = mem.view(inputs.rows!) as Int32Array;
  const bad = firstBadWord(ids, rows, B, V);
  if (bad >= 0) throw badBatch('ids', `word ${bad} of the batch (id ${ids[bad]}, row ${rows[bad]}) is outside its [${B}, ${V}] shape`);
  return { ids, rows, counts: mem.view(inputs.counts!) as Float32Array };
}

/** The index of the first word outside [B, V], or −1. */
function firstBadWord(ids: Int32Array, rows: Int32Array, B: number, V: number): number {
  for (let i = 0; i < ids.length; i++) if (!(ids[i]! >= 0 && ids[i]! < V && rows[i]! >= 0 && rows[i]! < B)) return i;
  return -1;
}

/** Words per document: rowTotal[r] = Σ counts of row r. */
function rowTotals(xs: Words, B: number): Float64Array {
  const total = new Float64Array(B);
  for (let i = 0; i < xs.ids.length; i++) total[xs.rows[i]!] += xs.counts[i]!;
  return total;
}

/** nll[r] = Σ_words of row r: count · (lse[r] − N[r, id]). */
function wordsNll(xs: Words, lse: Float64Array, N: Float32Array, V: number, nll: Float32Array): void {
  const { ids, rows, counts } = xs;
  nll.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const r = rows[i]!;
    nll[r] = nll[r]! + counts[i]! * (lse[r]! - N[r * V + ids[i]!]!);
  }
}

/** The words' part of the decoder gradient: G[r, v] −= dy[r]·c, and the column sums g1, g2 with it. */
function wordsGrad(xs: Words, d: Float32Array, N: Float32Array, s: Float32Array, V: number, G: Float32Array, g1: Float32Array | Float64Array, g2: Float32Array | Float64Array): void {
  const { ids, rows, counts } = xs;
  for (let i = 0; i < ids.length; i++) {
    const r = rows[i]!;
    const v = ids[i]!;
    const g = d[r]! * counts[i]!;
    G[r * V + v] = G[r * V + v]! - g;
    g1[v] = g1[v]! - g;
    g2[v] = g2[v]! - g * (N[r * V + v]! - s[v]!);
  }
}

/**
 * z[rows[i], :] += counts[i] · W[ids[i], :], starting from the bias: a sparse [B, V] × [V, H] product.
 * With `softplus`, outputs [softplus(z), z] (z is kept for the gradient), else [z].
 */
function sparseLinearKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const { size, softplus } = attrs as unknown as { size: number; softplus: boolean };
    const mem = memoryOf(backendName, backend);
    const { kernel, bias, ids: idsT, rows: rowsT, counts: countsT } = inputs as Record<string, tf.TensorInfo>;
    const [V, H] = kernel!.shape as [number, number];
    const zT = mem.alloc([size, H], 'float32');
    const aT = softplus ? mem.alloc([size, H], 'float32') : null;
    const z = mem.view(zT) as Float32Array;
    const W = mem.view(kernel!) as Float32Array;
    const bv = mem.view(bias!) as Float32Array;
    const ids = mem.view(idsT!) as Int32Array;
    const rows = mem.view(rowsT!) as Int32Array;
    const counts = mem.view(countsT!) as Float32Array;
    const simd = backendName === 'wasm' ? simdKernels(backend) : null;
    const bad = simd ? simd.check_words(pointer(ids), pointer(rows), ids.length, size, V) : firstBadWord(ids, rows, size, V);
    if (bad >= 0) throw badBatch('ids', `word ${bad} of the batch (id ${ids[bad]}, row ${rows[bad]}) is outside its [${size}, ${V}] shape`);
    if (simd) {
      const scratch = simd.malloc(4 * (V + 1 + ids.length));
      try {
        simd.sparse_linear(pointer(z), pointer(W), pointer(bv), pointer(ids), pointer(rows), pointer(counts), ids.length, size, V, H, scratch);
      } finally {
        simd.free(scratch);
      }
    } else {
      for (let r = 0; r < size; r++) z.set(bv, r * H);
      for (let i = 0; i < ids.length; i++) axpy(z, rows[i]! * H, W, ids[i]! * H, H, counts[i]!);
    }
    if (!aT) return [zT];
    const act = mem.view(aT) as Float32Array;
    if (simd) simd.softplus(pointer(z), z.length, pointer(act));
    else for (let i = 0; i < z.length; i++) act[i] = softplusJs(z[i]!);
    return [aT, zT];
  };
}

/**
 * Gradients of `sparseLinearKernel`: dW[ids[i], :] += counts[i] · dz[rows[i], :] (dense, zero
 * elsewhere) and dbias = Σ_rows dz, where dz = dy, or dy · sigmoid(z) through the softplus (input z).
 */
function sparseLinearGradKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const mem = memoryOf(backendName, backend);
    const { vocab } = attrs as unknown as { vocab: number };
    const { dy, z: zT, ids: idsT, rows: rowsT, counts: countsT } = inputs as Record<string, tf.TensorInfo>;
    const [B, H] = dy!.shape as [number, number];
    const V = vocab;
    const dwT = mem.alloc([V, H], 'float32');
    const dbT = mem.alloc([H], 'float32');
    const simd = backendName === 'wasm' ? simdKernels(backend) : null;
    const nnz = idsT!.shape[0]!;
    // Scratch: dz [B, H] (through the softplus), then the sort of the words by id.
    const scratch = simd ? simd.malloc(4 * (B * H + V + 1 + nnz)) : 0;
    try {
      const dW = mem.view(dwT) as Float32Array;
      const db = mem.view(dbT) as Float32Array;
      let d = mem.view(dy!) as Float32Array;
      const ids = mem.view(idsT!) as Int32Array;
      const rows = mem.view(rowsT!) as Int32Array;
      const counts = mem.view(countsT!) as Float32Array;
      if (zT) {
        const z = mem.view(zT) as Float32Array;
        const dz = simd ? new Float32Array(simd.memory.buffer, scratch, B * H) : new Float32Array(B * H);
        if (simd) simd.softplus_grad(pointer(d), pointer(z), dz.length, pointer(dz));
        else for (let i = 0; i < dz.length; i++) dz[i] = d[i]! * sigmoidJs(z[i]!);
        d = dz;
      }
      if (simd) {
        simd.sparse_linear_grad(pointer(dW), pointer(db), pointer(d), pointer(ids), pointer(rows), pointer(counts), ids.length, B, V, H, scratch + 4 * B * H);
        return [dwT, dbT];
      }
      dW.fill(0);
      db.fill(0);
      for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) db[j] = db[j]! + d[r * H + j]!;
      for (let i = 0; i < ids.length; i++) axpy(dW, ids[i]! * H, d, rows[i]! * H, H, counts[i]!);
      return [dwT, dbT];
    } finally {
      if (scratch) simd!.free(scratch);
    }
  };
}

/** softplus(x) = log(1 + e^x), computed stably as max(x, 0) + log(1 + e^−|x|). */
function softplusJs(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** sigmoid(x) = 1 / (1 + e^−x): the derivative of softplus. */
function sigmoidJs(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * A dense layer z = x·W + b, with softplus when asked, on the wasm backend with the SIMD kernels
 * (registered for wasm only). Outputs [softplus(z), z] or [z].
 */
function denseKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { softplus } = attrs as unknown as { softplus: boolean };
  const k = simdKernels(backend)!;
  const mem = memoryOf('wasm', backend);
  const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
  const [B, I] = x!.shape as [number, number];
  const O = w!.shape[1]!;
  const zT = mem.alloc([B, O], 'float32');
  const aT = softplus ? mem.alloc([B, O], 'float32') : null;
  const z = pointer(mem.view(zT));
  k.matmul(pointer(mem.view(x!)), pointer(mem.view(w!)), B, I, O, z);
  k.bias_activation(z, pointer(mem.view(b!)), B, O, softplus ? 1 : 0, aT ? pointer(mem.view(aT)) : 0);
  return aT ? [aT, zT] : [zT];
}

/** Gradients of `denseKernel`: with dz = dy (· sigmoid(z) through the softplus), dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz. */
function denseGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const k = simdKernels(backend)!;
  const mem = memoryOf('wasm', backend);
  const { dy, x, w, z } = inputs as Record<string, tf.TensorInfo>;
  const [B, I] = x!.shape as [number, number];
  const O = w!.shape[1]!;
  const dxT = mem.alloc([B, I], 'float32');
  const dwT = mem.alloc([I, O], 'float32');
  const dbT = mem.alloc([O], 'float32');
  // Scratch: dz [B, O] (through the softplus).
  const scratch = z ? k.malloc(4 * B * O) : 0;
  try {
    let dz = pointer(mem.view(dy!));
    if (z) {
      k.softplus_grad(dz, pointer(mem.view(z)), B * O, scratch);
      dz = scratch;
    }
    const wp = pointer(mem.view(w!));
    k.matmul_nt(dz, wp, B, I, O, pointer(mem.view(dxT)));
    k.matmul_tn(pointer(mem.view(x!)), dz, B, I, O, pointer(mem.view(dwT)));
    k.column_sums(dz, B, O, pointer(mem.view(dbT)));
  } finally {
    if (scratch) k.free(scratch);
  }
  return [dxT, dwT, dbT];
}

interface LatentAttrs {
  batchNorm: boolean;
  epsilon: number;
  /** Laplace-approximated prior per topic: mean, variance and log variance. */
  priorMean: Float64Array;
  priorVar: Float64Array;
  priorLogVar: Float64Array;
}

/** Batch-norm statistics of one [B, K] head, as float64 arrays (hat: normalised, y: hat + shift). */
interface HeadStats {
  mean: Float64Array;
  variance: Float64Array;
  inv: Float64Array;
  hat: Float64Array;
  y: Float64Array;
}

function headStats(B: number, K: number, batchNorm: boolean, epsilon: number, x: Float32Array, shift: Float32Array | null): HeadStats {
  const mean = new Float64Array(K);
  const variance = new Float64Array(K);
  const inv = new Float64Array(K).fill(1);
  const hat = new Float64Array(B * K);
  const y = new Float64Array(B * K);
  if (!batchNorm) {
    for (let i = 0; i < B * K; i++) hat[i] = y[i] = x[i]!;
    return { mean, variance, inv, hat, y };
  }
  for (let r = 0, o = 0; r < B; r++, o += K) for (let k = 0; k < K; k++) mean[k] += x[o + k]!;
  for (let k = 0; k < K; k++) mean[k] = mean[k]! / B;
  for (let r = 0, o = 0; r < B; r++, o += K) {
    for (let k = 0; k < K; k++) {
      const dlt = x[o + k]! - mean[k]!;
      variance[k] += dlt * dlt;
    }
  }
  for (let k = 0; k < K; k++) {
    variance[k] = variance[k]! / B;
    inv[k] = 1 / Math.sqrt(variance[k]! + epsilon);
  }
  for (let r = 0, o = 0; r < B; r++, o += K) {
    for (let k = 0; k < K; k++) {
      const h = (x[o + k]! - mean[k]!) * inv[k]!;
      hat[o + k] = h;
      y[o + k] = shift ? h + shift[k]! : h;
    }
  }
  return { mean, variance, inv, hat, y };
}

/**
 * The latent forward pass of each muRaw tensor data, kept for its backward pass (entries go with the
 * data). Valid because the backward kernel receives the same eps, mask and shifts as the forward.
 */
const latentSaved = new WeakMap<object, { f: ReturnType<typeof latentForward>; key: unknown[] }>();

/** The data of every input the latent forward pass reads: a saved pass is reused only for the same ones. */
function latentKey(inputs: Record<string, tf.TensorInfo>): unknown[] {
  return ['lvRaw', 'muShift', 'lvShift', 'eps'].map((n) => inputs[n]?.dataId);
}

function sameKey(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** One pass over the latent layer; shared by the forward and backward kernels (K and B are small). */
function latentForward(
  B: number,
  K: number,
  a: LatentAttrs,
  muRaw: Float32Array,
  lvRaw: Float32Array,
  muShift: Float32Array | null,
  lvShift: Float32Array | null,
  eps: Float32Array,
) {
  const mu = headStats(B, K, a.batchNorm, a.epsilon, muRaw, muShift);
  const lv = headStats(B, K, a.batchNorm, a.epsilon, lvRaw, lvShift);
  const sigma = new Float64Array(B * K);
  const soft = new Float64Array(B * K);
  const kl = new Float64Array(B);
  const { priorMean, priorVar, priorLogVar } = a;
  for (let r = 0, o = 0; r < B; r++, o += K) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      const s = Math.exp(0.5 * lv.y[o + k]!);
      sigma[o + k] = s;
      const z = mu.y[o + k]! + s * eps[o + k]!;
      soft[o + k] = z;
      if (z > max) max = z;
    }
    let total = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(soft[o + k]! - max);
      soft[o + k] = e;
      total += e;
    }
    let sum = 0;
    const scale = 1 / total;
    for (let k = 0; k < K; k++) {
      soft[o + k] = soft[o + k]! * scale;
      const m = mu.y[o + k]! - priorMean[k]!;
      const s2 = sigma[o + k]! * sigma[o + k]!;
      sum += (s2 + m * m) / priorVar[k]! + priorLogVar[k]! - lv.y[o + k]!;
    }
    kl[r] = 0.5 * (sum - K);
  }
  return { mu, lv, sigma, soft, kl };
}

/**
 * Forward of the latent layer in training mode: batch norm of the mean and log-variance heads,
 * the reparameterised sample z = μ + σ·ε, θ = softmax(z)·mask (dropout) and the KL divergence to
 * the Laplace-approximated Dirichlet prior. Output [B, K + 1]: θ, then KL per document; plus the
 * batch means and biased variances of both heads [4, K] for the running statistics.
 */
function latentKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const a = attrs as unknown as LatentAttrs;
    const mem = memoryOf(backendName, backend);
    const [B, K] = inputs.muRaw!.shape as [number, number];
    const outT = mem.alloc([B, K + 1], 'float32');
    const statsT = mem.alloc([4, K], 'float32');
    const v = (name: string) => (inputs[name] ? (mem.view(inputs[name]!) as Float32Array) : null);
    const f = latentForward(B, K, a, v('muRaw')!, v('lvRaw')!, v('muShift'), v('lvShift'), v('eps')!);
    latentSaved.set(inputs.muRaw!.dataId, { f, key: latentKey(inputs) });
    const out = mem.view(outT) as Float32Array;
    const mask = v('mask')!;
    for (let r = 0; r < B; r++) {
      for (let k = 0; k < K; k++) out[r * (K + 1) + k] = f.soft[r * K + k]! * mask[r * K + k]!;
      out[r * (K + 1) + K] = f.kl[r]!;
    }
    const stats = mem.view(statsT) as Float32Array;
    stats.set(f.mu.mean, 0);
    stats.set(f.mu.variance, K);
    stats.set(f.lv.mean, 2 * K);
    stats.set(f.lv.variance, 3 * K);
    return [outT, statsT];
  };
}

/**
 * Backward of `latentKernel` (recomputes the forward: [B, K] is small). With dθ and dKL from dy:
 * ds = dθ·mask; dz = s ⊙ (ds − Σ s·ds); dμ = dz + dKL·(μ − m₀)/v₀;
 * dlogvar = dz·ε·σ/2 + dKL·(σ²/v₀ − 1)/2; then through each batch norm:
 * dx = inv·(dy − mean(dy) − x̂·mean(dy·x̂)), dshift = Σ_b dy.
 */
function latentGradKernel(backendName: string) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] => {
    const a = attrs as unknown as LatentAttrs;
    const mem = memoryOf(backendName, backend);
    const [B, K] = inputs.muRaw!.shape as [number, number];
    const outs = [mem.alloc([B, K], 'float32'), mem.alloc([B, K], 'float32'), mem.alloc([K], 'float32'), mem.alloc([K], 'float32')];
    const v = (name: string) => (inputs[name] ? (mem.view(inputs[name]!) as Float32Array) : null);
    const eps = v('eps')!;
    const mask = v('mask')!;
    const dy = v('dy')!;
    // The forward pass's values when its input is still the same data (tensors are immutable, and
    // the backward pass sees the saved clone, which shares it); else recomputed.
    const saved = latentSaved.get(inputs.muRaw!.dataId);
    const f = saved && sameKey(saved.key, latentKey(inputs)) ? saved.f : latentForward(B, K, a, v('muRaw')!, v('lvRaw')!, v('muShift'), v('lvShift'), eps);
    const dmu = new Float64Array(B * K);
    const dlv = new Float64Array(B * K);
    for (let r = 0; r < B; r++) {
      const o = r * K;
      const dkl = dy[r * (K + 1) + K]!;
      let dot = 0;
      for (let k = 0; k < K; k++) dot += f.soft[o + k]! * dy[r * (K + 1) + k]! * mask[o + k]!;
      for (let k = 0; k < K; k++) {
        const ds = dy[r * (K + 1) + k]! * mask[o + k]!;
        const dz = f.soft[o + k]! * (ds - dot);
        const s = f.sigma[o + k]!;
        dmu[o + k] = dz + (dkl * (f.mu.y[o + k]! - a.priorMean[k]!)) / a.priorVar[k]!;
        dlv[o + k] = 0.5 * dz * eps[o + k]! * s + 0.5 * dkl * ((s * s) / a.priorVar[k]! - 1);
      }
    }
    const back = (d: Float64Array, st: { inv: Float64Array; hat: Float64Array }, dx: Float32Array, dshift: Float32Array) => {
      const m1 = new Float64Array(K);
      const m2 = new Float64Array(K);
      for (let o = 0; o < B * K; o += K) {
        for (let k = 0; k < K; k++) {
          m1[k] += d[o + k]!;
          m2[k] += d[o + k]! * st.hat[o + k]!;
        }
      }
      for (let k = 0; k < K; k++) dshift[k] = m1[k]!;
      if (!a.batchNorm) {
        dx.set(d);
        return;
      }
      for (let k = 0; k < K; k++) {
        m1[k] = m1[k]! / B;
        m2[k] = m2[k]! / B;
      }
      for (let o = 0; o < B * K; o += K) {
        for (let k = 0; k < K; k++) dx[o + k] = st.inv[k]! * (d[o + k]! - m1[k]! - st.hat[o + k]! * m2[k]!);
      }
    };
    const [dMuT, dLvT, dMuShiftT, dLvShiftT] = outs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
    back(dmu, f.mu, mem.view(dMuT) as Float32Array, mem.view(dMuShiftT) as Float32Array);
    back(dlv, f.lv, mem.view(dLvT) as Float32Array, mem.view(dLvShiftT) as Float32Array);
    return outs;
  };
}

/** y[dst .. dst+n) += a · x[src .. src+n), unrolled by four (~2× faster in V8 than the plain loop). */
function axpy(y: Float32Array, dst: number, x: Float32Array, src: number, n: number, a: number): void {
  const end = dst + n - (n % 4);
  let t = dst;
  let f = src;
  for (; t < end; t += 4, f += 4) {
    y[t] += a * x[f]!;
    y[t + 1] += a * x[f + 1]!;
    y[t + 2] += a * x[f + 2]!;
    y[t + 3] += a * x[f + 3]!;
  }
  for (; t < dst + n; t++, f++) y[t] += a * x[f]!;
}

/** θ [B, K] · β [K, V] on the wasm backend with the SIMD kernels (registered for wasm only). */
function topicMatMulKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const k = simdKernels(backend)!;
  const mem = memoryOf('wasm', backend);
  const { a, w } = inputs as Record<string, tf.TensorInfo>;
  const [B, K] = a!.shape as [number, number];
  const V = w!.shape[1]!;
  const outT = mem.alloc([B, V], 'float32');
  k.matmul(pointer(mem.view(a!)), pointer(mem.view(w!)), B, K, V, pointer(mem.view(outT)));
  return outT;
}

/** Gradients of `topicMatMulKernel`: dθ = dy · βᵀ [B, K] and dβ = θᵀ · dy [K, V]. */
function topicMatMulGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const k = simdKernels(backend)!;
  const mem = memoryOf('wasm', backend);
  const { dy, a, w } = inputs as Record<string, tf.TensorInfo>;
  const [B, K] = a!.shape as [number, number];
  const V = w!.shape[1]!;
  const daT = mem.alloc([B, K], 'float32');
  const dwT = mem.alloc([K, V], 'float32');
  const d = pointer(mem.view(dy!));
  k.matmul_nt(d, pointer(mem.view(w!)), B, K, V, pointer(mem.view(daT)));
  k.matmul_tn(pointer(mem.view(a!)), d, B, K, V, pointer(mem.view(dwT)));
  return [daT, dwT];
}

/**
 * The decoder's logits θ · β. On wasm with the SIMD kernels, one kernel each way that packs nothing
 * (tfjs's XNNPACK matMul repacks β, which changes every step, and the [B, V] gradient operands on
 * every call: more time than the products themselves at these shapes); elsewhere `tf.matMul`.
 * @param theta document-topic mixes [B, K].
 * @param beta topic-word weights [K, V].
 */
export function topicMatMul(theta: tf.Tensor2D, beta: tf.Tensor2D): tf.Tensor2D {
  if (!enabled || tf.getBackend() !== 'wasm' || !simdKernels(tf.backend())) return tf.matMul(theta, beta);
  registerProdLDAKernels();
  const op = tf.customGrad(((a: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([a, w]);
    return {
      value: tf.engine().runKernel(TOPIC_MATMUL, { a, w } as unknown as tf.NamedTensorMap) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sa, sw]: tf.Tensor[]) => tf.engine().runKernel(TOPIC_MATMUL_GRAD, { dy, a: sa!, w: sw! } as unknown as tf.NamedTensorMap) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;
  return op(theta, beta);
}

/**
 * ProdLDA's whole training loss on wasm with the SIMD kernels, as one kernel each way: the kernels
 * above called directly, without the engine between them. A step then costs ~15 engine dispatches
 * instead of ~80, and its bookkeeping (tape nodes, saved-tensor clones, intermediate tensors) goes
 * with them. Computes exactly what `sparseLinear` → `denseLayer`s → dropout → heads → `latent` →
 * `topicMatMul` → `decoderNll` compute one op at a time (test/models/prodlda-ops.ts compares them).
 */
interface StepAttrs {
  /** Dense softplus layers after the sparse first one. */
  hidden: number;
  latent: LatentAttrs;
  decoder: DecoderAttrs;
  size: number;
  vocab: number;
}

/** Frees kernel-internal outputs (the engine never sees them). */
function release(backend: unknown, infos: tf.TensorInfo[]): void {
  const b = backend as { disposeData(dataId: tf.DataId, force?: boolean): boolean };
  for (const info of infos) b.disposeData(info.dataId, true);
}

/** (x + y) ⊙ m, or x ⊙ m without y, into a new output: the dropout mask forward and backward. */
function maskInto(mem: Memory, simd: SimdKernels, x: tf.TensorInfo, y: tf.TensorInfo | null, m: tf.TensorInfo): tf.TensorInfo {
  const out = mem.alloc(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  simd.add_mul(pointer(mem.view(x)), y ? pointer(mem.view(y)) : 0, y ? 1 : 0, pointer(mem.view(m)), n, pointer(mem.view(out)));
  return out;
}

/**
 * Inputs: W0, b0 (sparse layer), W1..Wn, b1..bn (dense), wm, bm, wl, bl (heads), beta (decoder),
 * decBias, optional decShift, muShift, lvShift, ids, rows, counts, encMask, eps, thetaMask.
 * Outputs: loss per document [B], latent stats [4, K], decoder mean and variance [V], then what the
 * backward pass needs: z0, a0, (z_i, a_i)..., h, muRaw, lvRaw, theta, N, P, scale.
 */
function stepKernel(args: KernelArgs): tf.TensorInfo[] {
  const { a, mem, inp, words, shifts, backend } = stepContext(args);
  const [a0, z0] = sparseLinearKernel('wasm')({ inputs: { kernel: inp.W0!, bias: inp.b0!, ...words }, backend, attrs: { size: a.size, softplus: true } });
  const layers: tf.TensorInfo[] = [z0!, a0!];
  let act = a0!;
  for (let l = 1; l <= a.hidden; l++) {
    const [al, zl] = denseKernel({ inputs: { x: act, w: inp[`W${l}`]!, b: inp[`b${l}`]! }, backend, attrs: { softplus: true } });
    layers.push(zl!, al!);
    act = al!;
  }
  const h = maskInto(mem, simdKernels(backend)!, act, null, inp.encMask!);
  const [muRaw] = denseKernel({ inputs: { x: h, w: inp.wm!, b: inp.bm! }, backend, attrs: { softplus: false } });
  const [lvRaw] = denseKernel({ inputs: { x: h, w: inp.wl!, b: inp.bl! }, backend, attrs: { softplus: false } });
  const [latentOut, latentStats] = latentKernel('wasm')({ inputs: { muRaw: muRaw!, lvRaw: lvRaw!, ...shifts, eps: inp.eps!, mask: inp.thetaMask! }, backend, attrs: a.latent });
  const [B, K] = muRaw!.shape as [number, number];
  const theta = mem.alloc([B, K], 'float32');
  const logits = topicMatMulKernel({ inputs: { a: fillTheta(mem, latentOut!, theta, B, K), w: inp.beta! }, backend, attrs: {} });
  const [nll, N, P, mean, variance, scale] = decoderNllKernel('wasm')({
    inputs: { logits, bias: inp.decBias!, ...(inp.decShift ? { shift: inp.decShift } : {}), ...words },
    backend,
    attrs: a.decoder,
  });
  const loss = mem.alloc([B], 'float32');
  const lossV = mem.view(loss) as Float32Array;
  const nllV = mem.view(nll!) as Float32Array;
  const lat = mem.view(latentOut!) as Float32Array;
  for (let r = 0; r < B; r++) lossV[r] = nllV[r]! + lat[r * (K + 1) + K]!;
  release(backend, [logits, nll!, latentOut!]);
  return [loss, latentStats!, mean!, variance!, ...layers, h, muRaw!, lvRaw!, theta, N!, P!, scale!];
}

/** What both step kernels start from: their attributes, the memory, the named inputs, the words and the batch-norm shifts. */
function stepContext({ inputs, backend, attrs }: KernelArgs) {
  const inp = inputs as Record<string, tf.TensorInfo>;
  const shifts: Record<string, tf.TensorInfo> = inp.muShift ? { muShift: inp.muShift, lvShift: inp.lvShift! } : {};
  return { a: attrs as unknown as StepAttrs, mem: memoryOf('wasm', backend), inp, words: { ids: inp.ids!, rows: inp.rows!, counts: inp.counts! }, shifts, backend };
}

/** θ (the first K columns of the latent kernel's [B, K + 1] output) into `theta`; returns it. */
function fillTheta(mem: Memory, latentOut: tf.TensorInfo, theta: tf.TensorInfo, B: number, K: number): tf.TensorInfo {
  const src = mem.view(latentOut) as Float32Array;
  const dst = mem.view(theta) as Float32Array;
  for (let r = 0; r < B; r++) for (let k = 0; k < K; k++) dst[r * K + k] = src[r * (K + 1) + k]!;
  return theta;
}

/** Backward of `stepKernel`: gradients of Σ_b dy[b]·loss[b] for W0, b0, W1, b1, ..., wm, bm, wl, bl, beta, [muShift, lvShift]. */
function stepGradKernel(args: KernelArgs): tf.TensorInfo[] {
  const { a, mem, inp, words, shifts, backend } = stepContext(args);
  const [B, K] = inp.theta!.shape as [number, number];
  const dLogits = decoderNllGradKernel('wasm')({
    inputs: { dy: inp.dy!, n: inp.N!, p: inp.P!, variance: inp.decVar!, scale: inp.scale!, ...(inp.decShift ? { shift: inp.decShift } : {}), ...words },
    backend,
    attrs: a.decoder,
  });
  const [dTheta, dBeta] = topicMatMulGradKernel({ inputs: { dy: dLogits, a: inp.theta!, w: inp.beta! }, backend, attrs: {} });
  // The latent kernel's output is [θ, KL]: its upstream gradient is [dθ, dy] (loss = nll + KL).
  const dLatent = mem.alloc([B, K + 1], 'float32');
  {
    const o = mem.view(dLatent) as Float32Array;
    const dt = mem.view(dTheta!) as Float32Array;
    const dy = mem.view(inp.dy!) as Float32Array;
    for (let r = 0; r < B; r++) {
      for (let k = 0; k < K; k++) o[r * (K + 1) + k] = dt[r * K + k]!;
      o[r * (K + 1) + K] = dy[r]!;
    }
  }
  const [dMu, dLv, dMuShift, dLvShift] = latentGradKernel('wasm')({
    inputs: { dy: dLatent, muRaw: inp.muRaw!, lvRaw: inp.lvRaw!, ...shifts, eps: inp.eps!, mask: inp.thetaMask! },
    backend,
    attrs: a.latent,
  });
  const [dhm, dwm, dbm] = denseGradKernel({ inputs: { dy: dMu!, x: inp.h!, w: inp.wm! }, backend, attrs: {} });
  const [dhl, dwl, dbl] = denseGradKernel({ inputs: { dy: dLv!, x: inp.h!, w: inp.wl! }, backend, attrs: {} });
  // dh = dhm + dhl, then through the dropout mask.
  let dAct = maskInto(mem, simdKernels(backend)!, dhm!, dhl!, inp.encMask!);
  const temps: tf.TensorInfo[] = [dLogits, dTheta!, dLatent, dMu!, dLv!, dhm!, dhl!];
  const layerGrads: tf.TensorInfo[][] = [];
  for (let l = a.hidden; l >= 1; l--) {
    const [dx, dw, db] = denseGradKernel({ inputs: { dy: dAct, x: inp[`a${l - 1}`]!, w: inp[`W${l}`]!, z: inp[`z${l}`]! }, backend, attrs: {} });
    temps.push(dAct);
    layerGrads.unshift([dw!, db!]);
    dAct = dx!;
  }
  const [dW0, db0] = sparseLinearGradKernel('wasm')({ inputs: { dy: dAct, z: inp.z0!, ...words }, backend, attrs: { vocab: a.vocab } });
  temps.push(dAct);
  if (!inp.muShift) temps.push(dMuShift!, dLvShift!);
  release(backend, temps);
  return [dW0!, db0!, ...layerGrads.flat(), dwm!, dbm!, dwl!, dbl!, dBeta!, ...(inp.muShift ? [dMuShift!, dLvShift!] : [])];
}

/** The weights `prodldaStepLoss` trains (tensors or variables), in the order its gradients come back. */
export interface ProdLDAStepWeights {
  /** The sparse first layer, then the dense softplus layers. */
  encoder: Array<{ kernel: tf.Tensor2D; bias: tf.Tensor1D }>;
  mean: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
  logvar: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
  beta: tf.Tensor2D;
  /** Learnt shifts of the mean and log-variance batch norms (null without batch norm). */
  shifts: { mu: tf.Tensor1D; logvar: tf.Tensor1D } | null;
}

export interface ProdLDAStepResult {
  /** Reconstruction loss + KL per document [B]; differentiable with respect to every weight. */
  loss: tf.Tensor1D;
  /** As `latent`'s stats [4, K], and the decoder's batch mean and variance [V]; kept: the caller disposes them. */
  latentStats: tf.Tensor2D;
  decoderMean: tf.Tensor1D;
  decoderVariance: tf.Tensor1D;
}

/** Whether `prodldaStepLoss` can run: wasm with the SIMD kernels and the fused ops on. */
export function prodldaStepAvailable(): boolean {
  return enabled && tf.getBackend() === 'wasm' && simdKernels(tf.backend()) !== null;
}

/**
 * ProdLDA's training loss per document in one op (see `stepKernel`): the sparse encoder, dropout
 * (`encMask`: 0 or 1/keep per entry), the latent layer (`eps`, `thetaMask` as in `latent`) and the
 * decoder. Call only when `prodldaStepAvailable()`.
 */
export function prodldaStepLoss(
  w: ProdLDAStepWeights,
  x: { ids: tf.Tensor1D; rows: tf.Tensor1D; counts: tf.Tensor1D },
  size: number,
  noise: { encMask: tf.Tensor2D; eps: tf.Tensor2D; thetaMask: tf.Tensor2D },
  decoder: { bias: tf.Tensor1D; shift: tf.Tensor1D | null; attrs: DecoderAttrs },
  latentAttrs: LatentAttrs,
): ProdLDAStepResult {
  registerProdLDAKernels();
  const hidden = w.encoder.length - 1;
  const weights: Array<[string, tf.Tensor]> = [];
  w.encoder.forEach((layer, i) => weights.push([`W${i}`, layer.kernel], [`b${i}`, layer.bias]));
  weights.push(['wm', w.mean.kernel], ['bm', w.mean.bias], ['wl', w.logvar.kernel], ['bl', w.logvar.bias], ['beta', w.beta]);
  if (w.shifts) weights.push(['muShift', w.shifts.mu], ['lvShift', w.shifts.logvar]);
  const fixed: Record<string, tf.Tensor> = { ids: x.ids, rows: x.rows, counts: x.counts, ...noise, decBias: decoder.bias, ...(decoder.shift ? { decShift: decoder.shift } : {}) };
  const attrs: StepAttrs = { hidden, latent: latentAttrs, decoder: decoder.attrs, size, vocab: w.encoder[0]!.kernel.shape[0] };
  const names = weights.map(([n]) => n);
  let latentStats: tf.Tensor2D | undefined;
  let decoderMean: tf.Tensor1D | undefined;
  let decoderVariance: tf.Tensor1D | undefined;
  const savedNames = ['z0', 'a0', ...Array.from({ length: hidden }, (_, i) => [`z${i + 1}`, `a${i + 1}`]).flat(), 'h', 'muRaw', 'lvRaw', 'theta', 'N', 'P', 'scale'];
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const ws = args as tf.Tensor[];
    const named = Object.fromEntries(names.map((n, i) => [n, ws[i]!]));
    const outs = tf.engine().runKernel(STEP, { ...named, ...fixed } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const [loss, st, mean, variance, ...saved] = outs;
    latentStats = tf.keep(st as tf.Tensor2D);
    decoderMean = tf.keep(mean as tf.Tensor1D);
    // The variance is also an input of the backward pass: saved below as well as returned.
    decoderVariance = tf.keep(variance as tf.Tensor1D);
    // Weights and fixed inputs are saved too: the tidy around the loss may dispose the fixed ones first.
    save([...ws, ...Object.values(fixed), variance!, ...saved]);
    return {
      value: loss!,
      gradFunc: (dy: tf.Tensor, all: tf.Tensor[]) => {
        const inputsBack: Record<string, tf.Tensor> = { dy };
        names.forEach((n, i) => (inputsBack[n] = all[i]!));
        Object.keys(fixed).forEach((n, i) => (inputsBack[n] = all[names.length + i]!));
        inputsBack.decVar = all[names.length + Object.keys(fixed).length]!;
        savedNames.forEach((n, i) => (inputsBack[n] = all[names.length + Object.keys(fixed).length + 1 + i]!));
        return tf.engine().runKernel(STEP_GRAD, inputsBack as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...t: tf.Tensor[]) => tf.Tensor1D;
  const loss = op(...weights.map(([, t]) => t));
  return { loss, latentStats: latentStats!, decoderMean: decoderMean!, decoderVariance: decoderVariance! };
}

let registered = false;
let enabled = true;

/** Turns the fused path off (tests and benchmarks compare it with the tf-op formulation). */
export function setFusedOps(on: boolean): void {
  enabled = on;
}

/** Registers the fused kernels for wasm and cpu (once). */
export function registerProdLDAKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of BACKENDS) {
    const add = (kernelName: string, kernelFunc: unknown) => {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc: freeOnThrow(kernelFunc as (args: KernelArgs) => tf.TensorInfo[]) });
    };
    add(DECODER_NLL, decoderNllKernel(backendName));
    add(DECODER_NLL_GRAD, decoderNllGradKernel(backendName));
    add(SPARSE_LINEAR, sparseLinearKernel(backendName));
    add(LATENT, latentKernel(backendName));
    add(LATENT_GRAD, latentGradKernel(backendName));
    add(SPARSE_LINEAR_GRAD, sparseLinearGradKernel(backendName));
  }
  if (!tf.getKernel(TOPIC_MATMUL, 'wasm')) {
    tf.registerKernel({ kernelName: TOPIC_MATMUL, backendName: 'wasm', kernelFunc: freeOnThrow(topicMatMulKernel) });
    tf.registerKernel({ kernelName: TOPIC_MATMUL_GRAD, backendName: 'wasm', kernelFunc: freeOnThrow(topicMatMulGradKernel) });
    tf.registerKernel({ kernelName: DENSE, backendName: 'wasm', kernelFunc: freeOnThrow(denseKernel) });
    tf.registerKernel({ kernelName: DENSE_GRAD, backendName: 'wasm', kernelFunc: freeOnThrow(denseGradKernel) });
    tf.registerKernel({ kernelName: STEP, backendName: 'wasm', kernelFunc: freeOnThrow(stepKernel) });
    tf.registerKernel({ kernelName: STEP_GRAD, backendName: 'wasm', kernelFunc: freeOnThrow(stepGradKernel) });
  }
}

/** Whether the active backend runs the fused kernels (wasm and cpu do; tfjs-node keeps tf ops). */
export function fusedOpsAvailable(): boolean {
  if (!enabled) return false;
  registerProdLDAKernels();
  return tf.getKernel(DECODER_NLL, tf.getBackend()) !== undefined;
}

function bowInputs(x: BowInput): Record<string, tf.Tensor> {
  return 'dense' in x ? { dense: x.dense } : { ids: x.ids, rows: x.rows, counts: x.counts };
}

export interface DecoderNllResult {
  /** Reconstruction loss per document [B]; differentiable with respect to the logits. */
  nll: tf.Tensor1D;
  /** Batch mean and biased variance of logits + bias [V], kept: the caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Decoder batch norm (training mode), log-softmax over the live vocabulary and the reconstruction
 * loss −Σ x·log p, fused; the gradient flows to `logits` only (bias and shift are fixed buffers).
 * @param logits θ·β [B, V].
 * @param x the batch's words.
 * @param running evaluation mode: normalise with these running statistics instead of the batch's
 *   (forward only; the gradient is that of training mode).
 */
export function decoderNll(
  logits: tf.Tensor2D,
  bias: tf.Tensor1D,
  shift: tf.Tensor1D | null,
  x: BowInput,
  attrs: DecoderAttrs,
  running?: { mean: tf.Tensor1D; variance: tf.Tensor1D },
): DecoderNllResult {
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const words = { ...bowInputs(x), ...(shift ? { shift } : {}), ...(running ? { runMean: running.mean, runVar: running.variance } : {}) };
  const op = tf.customGrad(((l: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [nll, n, p, m, v, scale] = tf.engine().runKernel(DECODER_NLL, { logits: l, bias, ...words } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    mean = tf.keep(m as tf.Tensor1D);
    variance = tf.keep(v as tf.Tensor1D);
    save([n!, p!, v!, scale!]);
    return {
      value: nll!,
      gradFunc: (dy: tf.Tensor, [sn, sp, sv, sc]: tf.Tensor[]) =>
        tf.engine().runKernel(DECODER_NLL_GRAD, { dy, n: sn!, p: sp!, variance: sv!, scale: sc!, ...words } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (l: tf.Tensor2D) => tf.Tensor1D;
  const nll = op(logits);
  return { nll, mean: mean!, variance: variance! };
}

/**
 * The first encoder layer on a sparse batch: h = x·W + bias with x given as (ids, rows, counts),
 * cost ∝ non-zeros × hidden, then softplus when asked (in the same kernel). Gradients flow to
 * `kernel` and `bias`.
 */
export function sparseLinear(
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  x: { ids: tf.Tensor1D; rows: tf.Tensor1D; counts: tf.Tensor1D },
  size: number,
  activation: 'linear' | 'softplus' = 'linear',
): tf.Tensor2D {
  const words = { ids: x.ids, rows: x.rows, counts: x.counts };
  const vocab = kernel.shape[0];
  const softplus = activation === 'softplus';
  const op = tf.customGrad(((w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const outs = tf.engine().runKernel(SPARSE_LINEAR, { kernel: w, bias: b, ...words } as unknown as tf.NamedTensorMap, { size, softplus } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    // z is kept for the gradient through the softplus (the customGrad disposes what it does not return or save).
    if (softplus) save([outs[1]!]);
    return {
      value: outs[0]!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(SPARSE_LINEAR_GRAD, { dy, ...words, ...(softplus ? { z: saved[0]! } : {}) } as unknown as tf.NamedTensorMap, { vocab } as unknown as tf.NamedAttrMap) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(kernel, bias);
}

/**
 * A dense layer x·W + b, with softplus when asked. On wasm with the SIMD kernels, one kernel each
 * way (tfjs needs a matMul, a broadcast add and a softplus forward, twice as many backward, and
 * repacks W for XNNPACK on every call); elsewhere the same function from tf ops.
 * @param x inputs [B, I]; W [I, O]; b [O].
 */
export function denseLayer(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: 'linear' | 'softplus'): tf.Tensor2D {
  const softplus = activation === 'softplus';
  if (!enabled || tf.getBackend() !== 'wasm' || !simdKernels(tf.backend())) {
    const z = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
    return softplus ? tf.softplus(z) : z;
  }
  registerProdLDAKernels();
  const op = tf.customGrad(((xi: tf.Tensor2D, wi: tf.Tensor2D, bi: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const outs = tf.engine().runKernel(DENSE, { x: xi, w: wi, b: bi } as unknown as tf.NamedTensorMap, { softplus } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save(softplus ? [xi, wi, outs[1]!] : [xi, wi]);
    return {
      value: outs[0]!,
      gradFunc: (dy: tf.Tensor, [sx, sw, sz]: tf.Tensor[]) =>
        tf.engine().runKernel(DENSE_GRAD, { dy, x: sx!, w: sw!, ...(sz ? { z: sz } : {}) } as unknown as tf.NamedTensorMap) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
  return op(x, w, b);
}

export interface LatentResult {
  /** Document-topic proportions after dropout [B, K]. */
  theta: tf.Tensor2D;
  /** KL divergence to the prior per document [B]. */
  kl: tf.Tensor1D;
  /** Batch means and biased variances of the two heads before their batch norms, rows μ mean, μ var, logvar mean, logvar var [4, K]; kept: the caller disposes it. */
  stats: tf.Tensor2D;
}

/**
 * ProdLDA's latent layer in training mode, fused: batch norms of the heads, reparameterised
 * sample, softmax, dropout (`mask`: 0 or 1/keep per entry, as tf.dropout makes it) and the KL term.
 * Gradients flow to the raw heads and, with batch norm, to the two shifts.
 */
export function latent(
  muRaw: tf.Tensor2D,
  lvRaw: tf.Tensor2D,
  shifts: { mu: tf.Tensor1D; logvar: tf.Tensor1D } | null,
  eps: tf.Tensor2D,
  mask: tf.Tensor2D,
  attrs: LatentAttrs,
): LatentResult {
  let stats: tf.Tensor2D | undefined;
  const [B, K] = muRaw.shape;
  const fixed = { eps, mask };
  const run = (inputs: Record<string, tf.Tensor>, save: tf.GradSaveFunc) => {
    const [out, st] = tf.engine().runKernel(LATENT, { ...inputs, ...fixed } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    stats = tf.keep(st as tf.Tensor2D);
    // ε and the mask are saved too: the tidy around the loss disposes them before the backward pass.
    save([...Object.values(inputs), fixed.eps, fixed.mask]);
    return out!;
  };
  const grad = (dy: tf.Tensor, saved: tf.Tensor[], names: string[]) => {
    const inputs = Object.fromEntries(names.map((n, i) => [n, saved[i]!]));
    const [eps, mask] = saved.slice(names.length);
    const outs = tf.engine().runKernel(LATENT_GRAD, { dy, ...inputs, eps: eps!, mask: mask! } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return shifts ? outs : outs.slice(0, 2);
  };
  let out: tf.Tensor2D;
  if (shifts) {
    const names = ['muRaw', 'lvRaw', 'muShift', 'lvShift'];
    const op = tf.customGrad(((m: tf.Tensor, l: tf.Tensor, ms: tf.Tensor, ls: tf.Tensor, save: tf.GradSaveFunc) => ({
      value: run({ muRaw: m, lvRaw: l, muShift: ms, lvShift: ls }, save),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grad(dy, saved, names),
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...t: tf.Tensor[]) => tf.Tensor2D;
    out = op(muRaw, lvRaw, shifts.mu, shifts.logvar);
  } else {
    const names = ['muRaw', 'lvRaw'];
    const op = tf.customGrad(((m: tf.Tensor, l: tf.Tensor, save: tf.GradSaveFunc) => ({
      value: run({ muRaw: m, lvRaw: l }, save),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grad(dy, saved, names),
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...t: tf.Tensor[]) => tf.Tensor2D;
    out = op(muRaw, lvRaw);
  }
  const theta = tf.slice(out, [0, 0], [B, K]) as tf.Tensor2D;
  const kl = tf.reshape(tf.slice(out, [0, K], [B, 1]), [B]) as tf.Tensor1D;
  return { theta, kl, stats: stats! };
}
