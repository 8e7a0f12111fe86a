/**
 * Optimizers with their state in the open: Adam, SGD, momentum and RMSProp,
 * written over plain tf ops so that a checkpoint can save every moment, a
 * resumed run continues bit for bit, and the online vocabulary mode can reset
 * the state of single rows when it recycles them. Update rules follow
 * PyTorch's (`torch.optim`), so hyper-parameters carry over unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { invalidOption } from '../errors.js';
import { pointer, simdKernels } from '../backend/simd.js';

/** Options of Adam (Kingma & Ba 2015), PyTorch defaults except where the model says otherwise. */
export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}
export interface SgdOptions {
  learningRate: number;
}
export interface MomentumOptions {
  learningRate: number;
  momentum?: number;
  nesterov?: boolean;
}
export interface RmsPropOptions {
  learningRate: number;
  /** Smoothing of the squared-gradient average (PyTorch's `alpha`). */
  decay?: number;
  momentum?: number;
  epsilon?: number;
}

/** How to pick an optimizer in options and config files: `{adam: {learningRate: 2e-3, beta1: 0.99}}`. */
export type OptimizerSpec =
  | { adam: AdamOptions }
  | { sgd: SgdOptions }
  | { momentum: MomentumOptions }
  | { rmsprop: RmsPropOptions };

/** One optimizer state tensor in a checkpoint: `<variable index>/<slot>`. */
export interface OptimizerSlot {
  variable: number;
  slot: string;
  tensor: tf.Tensor;
}

/**
 * An optimizer whose per-variable state (its "slots") is visible.
 * Call `applyGradients` inside `tf.tidy`; the slots themselves are variables
 * and survive it.
 */
export abstract class Optimizer {
  /** Base learning rate; the trainer's schedule scales it per step. */
  learningRate: number;
  /** Updates applied so far (Adam's bias correction needs it). */
  iterations = 0;
  /** The slot names this optimizer keeps per variable, e.g. `['m', 'v']` for Adam. */
  abstract readonly slotNames: readonly string[];
  abstract readonly name: string;
  private readonly state = new Map<tf.Variable, tf.Variable[]>();

  constructor(learningRate: number) {
    if (!(learningRate > 0)) throw invalidOption('optimizer.learningRate', 'a number > 0', learningRate);
    this.learningRate = learningRate;
  }

  /** The slots of `v`, created as zeros on first use. */
  protected slotsOf(v: tf.Variable): tf.Variable[] {
    let s = this.state.get(v);
    if (!s) {
      s = this.slotNames.map(() => {
        const zeros = tf.zerosLike(v);
        const slot = tf.variable(zeros, false);
        zeros.dispose(); // the variable holds its own reference to the data
        return slot;
      });
      this.state.set(v, s);
    }
    return s;
  }

  /**
   * Apply one update. `grads[i]` is the gradient of `vars[i]`.
   * @param lr the learning rate for this step (the schedule's value); defaults to `learningRate`.
   */
  applyGradients(vars: tf.Variable[], grads: tf.Tensor[], lr = this.learningRate): void {
    this.iterations++;
    tf.tidy(() => {
      for (let i = 0; i < vars.length; i++) this.update(vars[i]!, grads[i]!, this.slotsOf(vars[i]!), lr);
    });
  }

  protected abstract update(v: tf.Variable, g: tf.Tensor, slots: tf.Variable[], lr: number): void;

  /** Every slot of every variable of `vars` (created if missing), for checkpoints. */
  getSlots(vars: tf.Variable[]): OptimizerSlot[] {
    const out: OptimizerSlot[] = [];
    vars.forEach((v, i) => this.slotsOf(v).forEach((t, k) => out.push({ variable: i, slot: this.slotNames[k]!, tensor: t })));
    return out;
  }

  /** Restore slots saved by `getSlots` (values are copied; the caller keeps ownership of `slots`). */
  setSlots(vars: tf.Variable[], slots: Array<{ variable: number; slot: string; tensor: tf.Tensor }>): void {
    for (const s of slots) {
      const v = vars[s.variable];
      const k = this.slotNames.indexOf(s.slot);
      if (!v || k < 0) throw invalidOption('optimizer state', `slots of this ${this.name} optimizer`, `${s.variable}/${s.slot}`);
      this.slotsOf(v)[k]!.assign(s.tensor);
    }
  }

  /**
   * Zero the optimizer state of some rows of `v`: a recycled vocabulary
   * row must not inherit the momentum of the token that held it before.
   * @param axis the axis the rows are counted along. Default 0.
   */
  resetRows(v: tf.Variable, rows: number[], axis = 0): void {
    const slots = this.state.get(v);
    if (!slots || rows.length === 0) return;
    tf.tidy(() => {
      const keep = new Float32Array(v.shape[axis]!).fill(1);
      for (const r of rows) keep[r] = 0;
      const mask = tf.tensor(keep, v.shape.map((n, i) => (i === axis ? n : 1)));
      for (const s of slots) s.assign(tf.mul(s, mask));
    });
  }

  /** Free the slot variables. */
  dispose(): void {
    for (const s of this.state.values()) s.forEach((t) => t.dispose());
    this.state.clear();
  }
}

/** Adam with PyTorch's update rule: `v -= lr/(1-β1^t) · m / (sqrt(v/(1-β2^t)) + ε)`. */
export class Adam extends Optimizer {
  readonly name = 'adam';
  readonly slotNames = ['m', 'v'] as const;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /**
   * Update in place on the wasm heap when possible (one pass over var, m and v instead of ~12 kernels
   * each allocating a full-size tensor): in wasm SIMD with the same float32 operations as the tf-op
   * path (equal to it), else in float64 rounded once (equal within float32 rounding). False forces
   * the tf-op path (tests compare the two).
   */
  fused = true;
  /** Largest variable (in elements) the fused loop updates; larger ones take the tf-op path. Default: no limit. */
  fusedMaxSize = FUSED_MAX_SIZE;

  constructor({ learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 }: AdamOptions = {}) {
    super(learningRate);
    for (const [k, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw invalidOption(`adam.${k}`, 'a number in [0, 1)', b);
    }
    if (!(epsilon > 0)) throw invalidOption('adam.epsilon', 'a number > 0', epsilon);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  protected update(v: tf.Variable, g: tf.Tensor, [m, s]: tf.Variable[], lr: number): void {
    const t = this.iterations;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    if (this.fused && v.size <= this.fusedMaxSize && adamInPlace(v, g, m!, s!, this.beta1, this.beta2, this.epsilon, Math.sqrt(bc2), lr / bc1)) return;
    m!.assign(tf.add(tf.mul(m!, this.beta1), tf.mul(g, 1 - this.beta1)));
    s!.assign(tf.add(tf.mul(s!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
    const denom = tf.add(tf.div(tf.sqrt(s!), Math.sqrt(bc2)), this.epsilon);
    v.assign(tf.sub(v, tf.mul(tf.div(m!, denom), lr / bc1)));
  }
}

/** The part of tfjs-backend-wasm's `BackendWasm` used for in-place updates. */
interface WasmHeapBackend {
  refCount(dataId: tf.DataId): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: { shape: number[]; dtype: tf.DataType; dataId: tf.DataId }): Float32Array;
}

/**
 * The float32 data of `t` as a view on the wasm heap, or null when the backend is not wasm or
 * `t` is not float32. With `exclusive`, also null when another tensor shares the data (writing
 * would change that tensor too).
 */
function wasmView(t: tf.Tensor, exclusive: boolean): Float32Array | null {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as WasmHeapBackend;
  if (typeof backend.typedArrayFromHeap !== 'function' || typeof backend.refCount !== 'function') return null;
  if (exclusive && backend.refCount(t.dataId) !== 1) return null;
  return backend.typedArrayFromHeap(t);
}

/**
 * Largest variable the fused loop updates by default: all of them. Measured on ProdLDA's
 * [2949, 100] encoder kernel the loop (~2.3 ms) beats the ~12 SIMD kernels, and it allocates no
 * full-size temporaries.
 */
const FUSED_MAX_SIZE = Infinity;

/**
 * One Adam step over var, m and v in a single pass. m and v are written in place in their wasm
 * memory; the new weights go to fresh memory that the variable then points to, because tfjs's
 * wasm matMul caches weights packed for XNNPACK by tensor identity and would not see an in-place
 * change. With corpusflow's SIMD kernels (../backend/simd.ts) the loop runs in wasm SIMD in float32,
 * operation for operation as the tf-op path; without them, in JavaScript, each element in float64
 * rounded to float32 once when stored (agreeing with the tf-op path to float32 rounding). No full-size temporaries:
 * the tf-op path allocates ~12 of them per variable, which for a [10,905, 100] encoder kernel
 * raised the wasm heap's high-water mark by ~50 MB. Call inside `tf.tidy`. Returns false (nothing
 * written) when the slots are not exclusively owned float32 data on the wasm backend.
 */
function adamInPlace(v: tf.Variable, g: tf.Tensor, m: tf.Variable, s: tf.Variable, beta1: number, beta2: number, epsilon: number, sqrtBc2: number, stepSize: number): boolean {
  if (v.size !== g.size || !wasmView(v, false) || !wasmView(m, true) || !wasmView(s, true) || !wasmView(g, false)) return false;
  const backend = tf.backend() as unknown as WasmHeapBackend;
  const fresh = tf.engine().makeTensorFromTensorInfo(backend.makeOutput(v.shape, 'float32'));
  // Views after the allocation (growing the heap detaches earlier ones); no allocation from here on.
  const out = wasmView(fresh, false)!;
  const vv = wasmView(v, false)!;
  const mv = wasmView(m, true)!;
  const sv = wasmView(s, true)!;
  const gv = wasmView(g, false)!;
  const simd = simdKernels(tf.backend());
  if (simd) {
    simd.adam(pointer(out), pointer(vv), pointer(gv), pointer(mv), pointer(sv), vv.length, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, sqrtBc2, stepSize);
    v.assign(fresh);
    return true;
  }
  const ob1 = 1 - beta1;
  const ob2 = 1 - beta2;
  for (let i = 0; i < vv.length; i++) {
    const gi = gv[i]!;
    const mi = mv[i]! * beta1 + gi * ob1;
    const si = sv[i]! * beta2 + gi * gi * ob2;
    mv[i] = mi;
    sv[i] = si;
    out[i] = vv[i]! - (mi / (Math.sqrt(si) / sqrtBc2 + epsilon)) * stepSize;
  }
  v.assign(fresh);
  return true;
}

/** Plain stochastic gradient descent: `v -= lr · g`. */
export class Sgd extends Optimizer {
  readonly name = 'sgd';
  readonly slotNames = [] as const;
  constructor({ learningRate }: SgdOptions) {
    super(learningRate);
  }
  protected update(v: tf.Variable, g: tf.Tensor, _slots: tf.Variable[], lr: number): void {
    v.assign(tf.sub(v, tf.mul(g, lr)));
  }
}

/** SGD with (optionally Nesterov) momentum, PyTorch's form: `b = μb + g; v -= lr · b`. */
export class Momentum extends Optimizer {
  readonly name = 'momentum';
  readonly slotNames = ['velocity'] as const;
  readonly momentum: number;
  readonly nesterov: boolean;
  constructor({ learningRate, momentum = 0.9, nesterov = false }: MomentumOptions) {
    super(learningRate);
    if (!(momentum >= 0 && momentum < 1)) throw invalidOption('momentum.momentum', 'a number in [0, 1)', momentum);
    this.momentum = momentum;
    this.nesterov = nesterov;
  }
  protected update(v: tf.Variable, g: tf.Tensor, [b]: tf.Variable[], lr: number): void {
    b!.assign(tf.add(tf.mul(b!, this.momentum), g));
    const step = this.nesterov ? tf.add(g, tf.mul(b!, this.momentum)) : b!;
    v.assign(tf.sub(v, tf.mul(step, lr)));
  }
}

/** RMSProp, PyTorch's form: `s = αs + (1-α)g²; b = μb + g/(sqrt(s)+ε); v -= lr · b`. */
export class RmsProp extends Optimizer {
  readonly name = 'rmsprop';
  readonly slotNames = ['square', 'momentum'] as const;
  readonly decay: number;
  readonly momentum: number;
  readonly epsilon: number;
  constructor({ learningRate, decay = 0.99, momentum = 0, epsilon = 1e-8 }: RmsPropOptions) {
    super(learningRate);
    if (!(decay >= 0 && decay < 1)) throw invalidOption('rmsprop.decay', 'a number in [0, 1)', decay);
    this.decay = decay;
    this.momentum = momentum;
    this.epsilon = epsilon;
  }
  protected update(v: tf.Variable, g: tf.Tensor, [s, b]: tf.Variable[], lr: number): void {
    s!.assign(tf.add(tf.mul(s!, this.decay), tf.mul(tf.square(g), 1 - this.decay)));
    const scaled = tf.div(g, tf.add(tf.sqrt(s!), this.epsilon));
    if (this.momentum > 0) {
      b!.assign(tf.add(tf.mul(b!, this.momentum), scaled));
      v.assign(tf.sub(v, tf.mul(b!, lr)));
    } else {
      v.assign(tf.sub(v, tf.mul(scaled, lr)));
    }
  }
}

/**
 * Build an optimizer from its spec (`{adam: {...}}`), or pass an instance through.
 * @param spec the spec or an `Optimizer`.
 * @return a fresh optimizer (or `spec` itself when it is one).
 */
export function createOptimizer(spec: OptimizerSpec | Optimizer): Optimizer {
  if (spec instanceof Optimizer) return spec;
  if (spec && typeof spec === 'object') {
    const keys = Object.keys(spec);
    if (keys.length === 1) {
      if ('adam' in spec) return new Adam(spec.adam);
      if ('sgd' in spec) return new Sgd(spec.sgd);
      if ('momentum' in spec) return new Momentum(spec.momentum);
      if ('rmsprop' in spec) return new RmsProp(spec.rmsprop);
    }
  }
  throw invalidOption('optimizer', 'one of {adam}, {sgd}, {momentum}, {rmsprop}', spec);
}
