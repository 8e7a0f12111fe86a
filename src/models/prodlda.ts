/**
 * ProdLDA: a neural topic model (Srivastava & Sutton 2017, "Autoencoding
 * Variational Inference for Topic Models"). An encoder reads a document's bag
 * of words and proposes its topic mix; a decoder explains the words as a
 * product of topic experts; training maximises the evidence lower bound.
 *
 * Training on wasm and cpu runs through the fused kernels of ./prodlda-ops.ts (the same function
 * with hand-derived gradients, ~140 kernels a step instead of ~400); evaluation, inference and
 * other backends use the tf-op formulation in this file. test/models/prodlda-ops.ts holds the two
 * to the same values and gradients.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import * as tf from '@tensorflow/tfjs';
import { CorpusflowError, invalidOption } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { BowBatch, SparseBowBatch } from '../batch/types.js';
import type { DocId } from '../sources/types.js';
import type { TrainableModel } from './types.js';
import type { Optimizer } from '../train/optimizers.js';
import { dropoutMask, normalNoise } from './noise.js';
import { decoderNll, denseLayer, fusedOpsAvailable, latent, prodldaStepAvailable, prodldaStepLoss, sparseLinear, topicMatMul } from './prodlda-ops.js';

/** Options of `new ProdLDA(...)`; every default is the reference implementation's. */
export interface ProdLDAOptions {
  /** Vocabulary size the model starts with (ids 0..vocabSize-1 are live). */
  vocabSize: number;
  /** Rows allocated for vocabulary-sized parameters; ≥ vocabSize. Extra rows are dead until `growRows`. Default vocabSize. */
  capacity?: number;
  /** Number of topics K. Default 20. */
  topics?: number;
  /** Encoder hidden layer widths (softplus). Default [100, 100]. */
  hidden?: number[];
  /** Dropout rate on the encoder output and on the topic mix. Default 0.2. */
  dropout?: number;
  /** Concentration of the symmetric Dirichlet prior, approximated by a logistic normal (Laplace approximation). Default 1. */
  alpha?: number;
  /**
   * Batch-normalise mu, logvar and the decoder output. mu and logvar get a learnt shift (no scale); the decoder's
   * batch norm has neither, and the decoder no bias, as in the CTM/OCTIS ProdLDA behind the published results.
   * Default true.
   */
  batchNorm?: boolean;
  /** Seed for initialisation and the training noise. Default 0. */
  seed?: number;
  /**
   * How the first encoder layer reads sparse batches. `'auto'` (default) and `'gather'` read the
   * (ids, rows, counts) triplets directly, cost ∝ non-zeros × hidden: one fused kernel on wasm and cpu
   * (./prodlda-ops.ts); elsewhere `'gather'` gathers weight rows and segment-sums them and `'auto'`
   * falls back to `'dense'`. `'dense'` scatters the batch into a [batch, vocab] matrix and multiplies.
   */
  encoderInput?: 'auto' | 'gather' | 'dense';
}

/** A topic: its index and its best words, heaviest first. */
export interface Topic {
  id: number;
  words: Array<{ token: string; weight: number }>;
}

/** Anything that maps token ids to tokens: a `Dictionary`, or a plain `Map`. */
export type TokenLookup = { id2token: ReadonlyMap<number, string> } | ReadonlyMap<number, string>;

/** What `save` needs from a dictionary: gensim's text format writer. */
export interface SavableDictionary {
  saveAsText(path: string): unknown;
}

interface ResolvedOptions {
  vocabSize: number;
  capacity: number;
  topics: number;
  hidden: number[];
  dropout: number;
  alpha: number;
  batchNorm: boolean;
  seed: number;
  encoderInput: 'auto' | 'gather' | 'dense';
}

const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.1;
const DEAD_LOGIT = -1e9;
const FORMAT = 'corpusflow-prodlda';
let instances = 0;

/** A batch-norm layer without scale (PyTorch `BatchNorm1d` with weight removed): shift + running statistics. */
interface BatchNorm {
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

/**
 * ProdLDA, the product-of-experts neural topic model.
 *
 * Think of it as an autoencoder with a narrow waist of K topic weights: the
 * encoder squeezes a document into its topic mix, the decoder must rebuild
 * the document's words from that mix alone, so the topics have to capture
 * what words occur together.
 *
 * ## Example
 * ```ts
 * import { ProdLDA, train } from 'corpusflow';
 * const model = new ProdLDA({ vocabSize: dictionary.size, topics: 20, seed: 1 });
 * batches$.pipe(train(model, { epochs: 100 })).subscribe(); // Adam 2e-3, beta1 0.99 by default
 * console.log(model.topics(dictionary, 10));
 * ```
 */
export class ProdLDA implements TrainableModel<BowBatch> {
  readonly options: Readonly<ResolvedOptions>;
  /** 1 for vocabulary rows in use, 0 for free rows; the decoder's softmax covers live rows only. */
  readonly live: Uint8Array;
  /** The dictionary loaded with `ProdLDA.load`, when the saved model had one. */
  dictionary?: unknown;

  private readonly encoder: Array<{ kernel: tf.Variable; bias: tf.Variable }> = [];
  private readonly meanLayer: { kernel: tf.Variable; bias: tf.Variable };
  private readonly logvarLayer: { kernel: tf.Variable; bias: tf.Variable };
  /** Topic-word weights β, [K, capacity]: the decoder's kernel, one column per vocabulary row. */
  private readonly decoderKernel: tf.Variable;
  private readonly decoderBias: tf.Variable;
  private readonly meanBn?: BatchNorm;
  private readonly logvarBn?: BatchNorm;
  private readonly decoderBn?: BatchNorm;
  private readonly priorMean: tf.Tensor1D;
  private readonly priorVar: tf.Tensor1D;
  private readonly priorLogVar: tf.Tensor1D;
  private readonly prior: { priorMean: Float64Array; priorVar: Float64Array; priorLogVar: Float64Array };
  private liveBias: tf.Tensor1D | null = null;
  private seed: number;
  private draws = 0;
  private readonly named: Array<[string, tf.Variable, boolean]> = [];

  /** @param options see `ProdLDAOptions`; only `vocabSize` is required. */
  constructor(options: ProdLDAOptions) {
    const o = resolveOptions(options);
    this.options = o;
    this.seed = o.seed;
    this.live = new Uint8Array(o.capacity);
    this.live.fill(1, 0, o.vocabSize);
    const prefix = `prodlda${++instances}`;
    let initSeed = o.seed * 7919 + 1;
    const v = (name: string, init: tf.Tensor, trainable = true): tf.Variable => {
      const variable = tf.variable(init, trainable, `${prefix}/${name}`);
      init.dispose();
      this.named.push([name, variable, trainable]);
      return variable;
    };
    // PyTorch's nn.Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for kernel and bias.
    // `rows` may exceed `fanIn` for the first layer, which is allocated for the capacity.
    const linear = (name: string, fanIn: number, fanOut: number, rows = fanIn) => {
      const b = 1 / Math.sqrt(fanIn);
      return {
        kernel: v(`${name}/kernel`, tf.randomUniform([rows, fanOut], -b, b, 'float32', initSeed++)),
        bias: v(`${name}/bias`, tf.randomUniform([fanOut], -b, b, 'float32', initSeed++)),
      };
    };
    const bn = (name: string, n: number, shift = true): BatchNorm => ({
      beta: v(`${name}/beta`, tf.zeros([n]), shift),
      runningMean: v(`${name}/running_mean`, tf.zeros([n]), false),
      runningVar: v(`${name}/running_var`, tf.ones([n]), false),
    });
    let fanIn = o.vocabSize;
    for (let i = 0; i < o.hidden.length; i++) {
      this.encoder.push(linear(`encoder${i + 1}`, fanIn, o.hidden[i]!, i === 0 ? o.capacity : fanIn));
      fanIn = o.hidden[i]!;
    }
    this.meanLayer = linear('mean', fanIn, o.topics);
    this.logvarLayer = linear('logvar', fanIn, o.topics);
    // β [K, V] with Glorot/Xavier uniform init, as in the CTM/OCTIS ProdLDA.
    this.decoderKernel = v('decoder/kernel', tf.randomUniform([o.topics, o.capacity], -this.betaBound(), this.betaBound(), 'float32', initSeed++));
    // The decoder has no bias and its batch norm no shift (CTM/OCTIS: bias-free β, BatchNorm1d(V, affine=False)).
    // Both stay as fixed zeros so that the saved format is unchanged. With a learnt per-word shift (AVITM's
    // form, also bench/peers/prodlda.py) rare words took over the topics on bbc-news: NPMI peaked near epoch
    // 30-40, then fell (ours 0.018 at epoch 100, 3 seeds; the PyTorch peer -0.030, seed 1). Without: 0.105.
    this.decoderBias = v('decoder/bias', tf.zeros([o.capacity]), false);
    if (o.batchNorm) {
      this.meanBn = bn('mean_bn', o.topics);
      this.logvarBn = bn('logvar_bn', o.topics);
      this.decoderBn = bn('decoder_bn', o.capacity, false);
    }
    // Laplace approximation of Dirichlet(alpha) in the softmax basis (Srivastava & Sutton, eq. 3).
    const K = o.topics;
    const a = new Array<number>(K).fill(o.alpha);
    const meanLogA = a.reduce((s, x) => s + Math.log(x), 0) / K;
    const sumInvA = a.reduce((s, x) => s + 1 / x, 0);
    const pv = a.map((x) => (1 / x) * (1 - 2 / K) + sumInvA / (K * K));
    this.priorMean = tf.keep(tf.tensor1d(a.map((x) => Math.log(x) - meanLogA)));
    this.priorVar = tf.keep(tf.tensor1d(pv));
    this.priorLogVar = tf.keep(tf.tensor1d(pv.map(Math.log)));
    this.prior = { priorMean: Float64Array.from(a, (x) => Math.log(x) - meanLogA), priorVar: Float64Array.from(pv), priorLogVar: Float64Array.from(pv, Math.log) };
  }

  /** Glorot/Xavier uniform bound of β: sqrt(6 / (K + V)). */
  private betaBound(): number {
    return Math.sqrt(6 / (this.options.topics + this.options.vocabSize));
  }

  /** Adam with the paper's settings: learning rate 2e-3, beta1 0.99. The trainer uses it when given no optimizer. */
  defaultOptimizer(): { adam: { learningRate: number; beta1: number; beta2: number } } {
    return { adam: { learningRate: 2e-3, beta1: 0.99, beta2: 0.999 } };
  }

  get vocabSize(): number {
    return this.options.vocabSize;
  }

  trainableVariables(): tf.Variable[] {
    return this.named.filter(([, , t]) => t).map(([, v]) => v);
  }

  stateVariables(): tf.Variable[] {
    return this.named.filter(([, , t]) => !t).map(([, v]) => v);
  }

  variableNames(): string[] {
    return [...this.named.filter(([, , t]) => t), ...this.named.filter(([, , t]) => !t)].map(([n]) => n);
  }

  randomState(): number {
    return this.draws;
  }

  setRandomState(state: number): void {
    this.draws = state;
  }

  setSeed(seed: number): void {
    this.seed = seed;
    this.draws = 0;
  }

  /** A fresh seed for one random draw: deterministic in (seed, number of draws so far). */
  private nextSeed(): number {
    return (this.seed * 1_000_003 + ++this.draws * 7_919) % 2_147_483_647;
  }

  /**
   * The negative evidence lower bound, averaged over the batch: reconstruction
   * negative log-likelihood of the words plus KL(q(z|doc) || prior).
   */
  lossFn(batch: BowBatch, training: boolean): tf.Scalar {
    this.checkVocab(batch);
    // Training on wasm/cpu takes the fused kernels of ./prodlda-ops.ts: the same function with the same
    // random draws, ~1/8 of the kernels. Evaluation and other backends use the tf-op formulation below.
    if (fusedOpsAvailable()) return training ? this.lossFused(batch) : this.lossEvalFused(batch);
    return tf.tidy(() => {
      const x = this.denseInput(batch);
      const { mu, logvar } = this.encode(batch, x, training);
      let z = mu;
      if (training) z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), normalNoise(mu.shape, this.nextSeed())));
      let theta = tf.softmax(z) as tf.Tensor2D;
      if (training && this.options.dropout > 0) theta = tf.mul(theta, dropoutMask(theta.shape, this.options.dropout, this.nextSeed())) as tf.Tensor2D;
      const logp = tf.logSoftmax(this.decode(theta, training));
      const nll = tf.neg(tf.sum(tf.mul(x, logp), 1));
      return tf.mean(tf.add(nll, this.klDivergence(mu, logvar))) as tf.Scalar;
    });
  }

  /** The training loss through the fused kernels: encoder, latent layer, decoder + reconstruction. */
  private lossFused(batch: BowBatch): tf.Scalar {
    if (batch.kind === 'sparse' && this.encoderInputFor(batch) === 'sparse' && prodldaStepAvailable()) return this.lossStep(batch);
    return tf.tidy(() => {
      const x = this.fusedDenseInput(batch);
      const { muRaw, lvRaw } = this.heads(batch, x, true);
      const shape = muRaw.shape;
      const eps = normalNoise(shape, this.nextSeed()) as tf.Tensor2D;
      const mask = this.trainingMask(shape);
      const { theta, kl, stats } = latent(muRaw, lvRaw, this.latentShifts(), eps, mask, this.latentAttrs());
      this.updateLatentRunning(stats, shape[0]);
      const nll = this.decodeNllFused(theta, batch, x, true);
      return tf.mean(tf.add(nll, kl)) as tf.Scalar;
    });
  }

  /**
   * The training loss as one op (wasm with the SIMD kernels, sparse batches): the same function and
   * the same random draws, in the same order, as `lossFused`.
   */
  private lossStep(batch: SparseBowBatch): tf.Scalar {
    return tf.tidy(() => {
      const K = this.options.topics;
      const B = batch.size;
      const encMask = this.trainingMask([B, this.encoder.at(-1)!.kernel.shape[1]!]);
      const eps = normalNoise([B, K], this.nextSeed()) as tf.Tensor2D;
      const thetaMask = this.trainingMask([B, K]);
      const bn = this.decoderBn;
      const t2 = (v: tf.Variable) => v as tf.Tensor as tf.Tensor2D;
      const t1 = (v: tf.Variable) => v as tf.Tensor as tf.Tensor1D;
      const { loss, latentStats, decoderMean, decoderVariance } = prodldaStepLoss(
        {
          encoder: this.encoder.map((l) => ({ kernel: t2(l.kernel), bias: t1(l.bias) })),
          mean: { kernel: t2(this.meanLayer.kernel), bias: t1(this.meanLayer.bias) },
          logvar: { kernel: t2(this.logvarLayer.kernel), bias: t1(this.logvarLayer.bias) },
          beta: t2(this.decoderKernel),
          shifts: this.latentShifts(),
        },
        batch,
        B,
        { encMask, eps, thetaMask },
        { bias: t1(this.decoderBias), shift: bn ? t1(bn.beta) : null, attrs: this.decoderAttrs() },
        this.latentAttrs(),
      );
      this.updateLatentRunning(latentStats, B);
      if (bn) updateRunningFrom(bn, decoderMean.dataSync() as Float32Array, decoderVariance.dataSync() as Float32Array, B);
      tf.dispose([decoderMean, decoderVariance]);
      return tf.mean(loss) as tf.Scalar;
    });
  }

  /**
   * A dropout mask for training noise of this shape (its seed drawn only when dropout is on, so every
   * formulation draws the same seeds in the same order), or ones.
   */
  private trainingMask(shape: [number, number]): tf.Tensor2D {
    const rate = this.options.dropout;
    return (rate > 0 ? dropoutMask(shape, rate, this.nextSeed()) : tf.ones(shape)) as tf.Tensor2D;
  }

  /** The learnt shifts of the mean and log-variance batch norms, or null without batch norm. */
  private latentShifts(): { mu: tf.Tensor1D; logvar: tf.Tensor1D } | null {
    const { meanBn, logvarBn } = this;
    return meanBn && logvarBn ? { mu: meanBn.beta as tf.Tensor as tf.Tensor1D, logvar: logvarBn.beta as tf.Tensor as tf.Tensor1D } : null;
  }

  /** The fused latent kernels' attributes: batch norm on or off, and the Laplace prior. */
  private latentAttrs() {
    return { batchNorm: this.meanBn !== undefined, epsilon: BN_EPSILON, ...this.prior };
  }

  /** The fused decoder kernels' attributes: batch norm on or off, and the live vocabulary rows (null when all are). */
  private decoderAttrs() {
    return { batchNorm: this.decoderBn !== undefined, epsilon: BN_EPSILON, live: this.live.every((l) => l === 1) ? null : this.live };
  }

  /** Folds a batch's head statistics ([4, K]: μ mean, μ var, logvar mean, logvar var) into the running ones, and disposes them. */
  private updateLatentRunning(stats: tf.Tensor2D, n: number): void {
    const { meanBn, logvarBn } = this;
    if (meanBn && logvarBn) {
      const s = stats.dataSync() as Float32Array;
      const K = this.options.topics;
      updateRunningFrom(meanBn, s.subarray(0, K), s.subarray(K, 2 * K), n);
      updateRunningFrom(logvarBn, s.subarray(2 * K, 3 * K), s.subarray(3 * K, 4 * K), n);
    }
    stats.dispose();
  }

  /** The evaluation loss (running batch-norm statistics, no sampling or dropout) with the fused decoder. */
  private lossEvalFused(batch: BowBatch): tf.Scalar {
    return tf.tidy(() => {
      const x = this.fusedDenseInput(batch);
      const { mu, logvar } = this.encode(batch, x, false);
      const nll = this.decodeNllFused(tf.softmax(mu) as tf.Tensor2D, batch, x, false);
      return tf.mean(tf.add(nll, this.klDivergence(mu, logvar))) as tf.Scalar;
    });
  }

  /** KL divergence of N(mu, exp(logvar)) to the Laplace-approximated prior, per document. */
  private klDivergence(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
    const variance = tf.exp(logvar);
    return tf.mul(
      0.5,
      tf.sub(
        tf.sum(tf.add(tf.add(tf.div(variance, this.priorVar), tf.div(tf.square(tf.sub(mu, this.priorMean)), this.priorVar)), tf.sub(this.priorLogVar, logvar)), 1),
        this.options.topics,
      ),
    ) as tf.Tensor1D;
  }

  /** The dense [batch, capacity] input the fused path needs, or null when it reads the sparse triplets throughout. */
  private fusedDenseInput(batch: BowBatch): tf.Tensor2D | null {
    return batch.kind === 'sparse' && this.encoderInputFor(batch) === 'sparse' ? null : this.denseInput(batch);
  }

  /**
   * Decoder, batch norm, log-softmax and −Σ x·log p in one fused op. Training normalises with the
   * batch's statistics and updates the running averages; evaluation normalises with the running ones.
   */
  private decodeNllFused(theta: tf.Tensor2D, batch: BowBatch, x: tf.Tensor2D | null, training: boolean): tf.Tensor1D {
    const logits = topicMatMul(theta, this.decoderKernel as tf.Tensor as tf.Tensor2D);
    const words = batch.kind === 'sparse' && !x ? { ids: batch.ids, rows: batch.rows, counts: batch.counts } : { dense: x ?? this.denseInput(batch) };
    const bn = this.decoderBn;
    const running = bn && !training ? { mean: bn.runningMean as tf.Tensor as tf.Tensor1D, variance: bn.runningVar as tf.Tensor as tf.Tensor1D } : undefined;
    const { nll, mean, variance } = decoderNll(
      logits,
      this.decoderBias as tf.Tensor as tf.Tensor1D,
      bn ? (bn.beta as tf.Tensor as tf.Tensor1D) : null,
      words,
      this.decoderAttrs(),
      running,
    );
    if (bn && training) updateRunningFrom(bn, mean.dataSync() as Float32Array, variance.dataSync() as Float32Array, theta.shape[0]);
    tf.dispose([mean, variance]);
    return nll;
  }

  /** Which first-layer product the encoder uses for this batch. */
  private encoderInputFor(batch: BowBatch): 'sparse' | 'gather' | 'dense' {
    if (batch.kind !== 'sparse') return 'dense';
    const mode = this.options.encoderInput;
    if (mode === 'dense') return 'dense';
    if (fusedOpsAvailable()) return 'sparse';
    return mode === 'gather' ? 'gather' : 'dense';
  }

  private checkVocab(batch: BowBatch): void {
    const cap = this.options.capacity;
    if (batch.vocabSize > cap) throw invalidOption('batch.vocabSize', `at most the model's capacity ${cap}`, batch.vocabSize);
  }

  private denseInput(batch: BowBatch): tf.Tensor2D {
    const cap = this.options.capacity;
    if (batch.vocabSize > cap) {
      throw invalidOption('batch.vocabSize', `at most the model's capacity ${cap}`, batch.vocabSize);
    }
    if (batch.kind === 'dense') {
      return batch.vocabSize === cap ? batch.x : (tf.pad(batch.x, [[0, 0], [0, cap - batch.vocabSize]]) as tf.Tensor2D);
    }
    const indices = tf.stack([batch.rows, batch.ids], 1) as tf.Tensor2D;
    return tf.scatterND(indices, batch.counts, [batch.size, cap]) as tf.Tensor2D;
  }

  private encode(batch: BowBatch, x: tf.Tensor2D | null, training: boolean): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    let { muRaw: mu, lvRaw: logvar } = this.heads(batch, x, training);
    if (this.meanBn && this.logvarBn) {
      mu = batchNorm(mu, this.meanBn, training);
      logvar = batchNorm(logvar, this.logvarBn, training);
    }
    return { mu, logvar };
  }

  /** The encoder up to the mean and log-variance heads, before their batch norms. */
  private heads(batch: BowBatch, x: tf.Tensor2D | null, training: boolean): { muRaw: tf.Tensor2D; lvRaw: tf.Tensor2D } {
    this.checkVocab(batch);
    let h: tf.Tensor2D;
    const first = this.encoder[0]!;
    const input = this.encoderInputFor(batch);
    if (input === 'sparse' && batch.kind === 'sparse') {
      h = sparseLinear(first.kernel as tf.Tensor as tf.Tensor2D, first.bias as tf.Tensor as tf.Tensor1D, batch, batch.size, 'softplus');
    } else if (input === 'gather' && batch.kind === 'sparse') {
      const picked = tf.mul(tf.gather(first.kernel, batch.ids), tf.expandDims(batch.counts, 1));
      h = tf.softplus(tf.add(tf.unsortedSegmentSum(picked, batch.rows, batch.size), first.bias)) as tf.Tensor2D;
    } else {
      h = tf.softplus(tf.add(dataMatMul(x ?? this.denseInput(batch), first.kernel), first.bias)) as tf.Tensor2D;
    }
    const dense = (input: tf.Tensor2D, layer: { kernel: tf.Variable; bias: tf.Variable }, activation: 'linear' | 'softplus') =>
      denseLayer(input, layer.kernel as tf.Tensor as tf.Tensor2D, layer.bias as tf.Tensor as tf.Tensor1D, activation);
    for (const layer of this.encoder.slice(1)) h = dense(h, layer, 'softplus');
    if (training && this.options.dropout > 0) h = tf.mul(h, dropoutMask(h.shape, this.options.dropout, this.nextSeed())) as tf.Tensor2D;
    const muRaw = dense(h, this.meanLayer, 'linear');
    const lvRaw = dense(h, this.logvarLayer, 'linear');
    return { muRaw, lvRaw };
  }

  private decode(theta: tf.Tensor2D, training: boolean): tf.Tensor2D {
    let logits = tf.add(matMul(theta, this.decoderKernel), this.decoderBias) as tf.Tensor2D;
    if (this.decoderBn) logits = batchNorm(logits, this.decoderBn, training);
    const mask = this.liveMask();
    return mask ? (tf.add(logits, mask) as tf.Tensor2D) : logits;
  }

  /** 0 on live rows and a very negative logit on free ones, or null when every row is live. */
  private liveMask(): tf.Tensor1D | null {
    if (this.live.every((x) => x === 1)) return null;
    if (!this.liveBias) this.liveBias = tf.keep(tf.tensor1d(Array.from(this.live, (l) => (l ? 0 : DEAD_LOGIT))));
    return this.liveBias;
  }

  /**
   * Document-topic distributions: the softmax of the posterior mean, in
   * evaluation mode (no dropout, running batch-norm statistics).
   * @param batch a bag-of-words batch; not disposed.
   * @return a [batch.size, K] tensor the caller disposes.
   */
  transform(batch: BowBatch): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.encode(batch, null, false).mu) as tf.Tensor2D);
  }

  /**
   * The topic-word weights β as a [K, capacity] tensor (rows are topics); the caller disposes it.
   */
  topicWordWeights(): tf.Tensor2D {
    return tf.clone(this.decoderKernel) as tf.Tensor2D;
  }

  /**
   * The top words of every topic, heaviest first, by the decoder weight β (as the reference does).
   * @param dictionary maps ids to tokens (a `Dictionary` or a Map).
   * @param topn words per topic. Default 10.
   * @return one `Topic` per topic, in topic order.
   */
  topics(dictionary: TokenLookup, topn = 10): Topic[] {
    const id2token = 'id2token' in dictionary ? dictionary.id2token : dictionary;
    const beta = this.decoderKernel.dataSync() as Float32Array;
    const { capacity: cap, topics: K } = this.options;
    const out: Topic[] = [];
    for (let k = 0; k < K; k++) {
      const ids: number[] = [];
      for (let r = 0; r < cap; r++) if (this.live[r] && id2token.has(r)) ids.push(r);
      ids.sort((a, b) => beta[k * cap + b]! - beta[k * cap + a]! || a - b);
      out.push({ id: k, words: ids.slice(0, topn).map((r) => ({ token: id2token.get(r)!, weight: beta[k * cap + r]! })) });
    }
    return out;
  }

  /**
   * Mark rows as live or free. Online vocabularies call this when tokens arrive or are pruned.
   * @param rows vocabulary rows.
   * @param live whether they are now in use.
   */
  setLive(rows: number[], live: boolean): void {
    for (const r of rows) {
      if (!(Number.isInteger(r) && r >= 0 && r < this.options.capacity)) throw invalidOption('rows', `integers in [0, ${this.options.capacity})`, r);
      this.live[r] = live ? 1 : 0;
    }
    this.liveBias?.dispose();
    this.liveBias = null;
  }

  /** The vocabulary-sized variables and their vocabulary axis (what `resetRows` touches). */
  private rowVariables(): Array<[tf.Variable, number]> {
    const out: Array<[tf.Variable, number]> = [[this.encoder[0]!.kernel, 0], [this.decoderKernel, 1], [this.decoderBias, 0]];
    if (this.decoderBn) out.push([this.decoderBn.beta, 0], [this.decoderBn.runningMean, 0], [this.decoderBn.runningVar, 0]);
    return out;
  }

  /**
   * Re-initialise vocabulary rows (for a token that takes over a freed row) and
   * zero their optimizer state, then mark them live.
   * @param rows rows to reset.
   * @param optimizer the training optimizer, whose slots for these rows are zeroed.
   */
  resetRows(rows: number[], optimizer?: Optimizer): void {
    if (rows.length === 0) return;
    const { vocabSize } = this.options;
    const rowMask = new Float32Array(this.options.capacity);
    for (const r of rows) rowMask[r] = 1;
    tf.tidy(() => {
      const seed = this.nextSeed();
      const b = 1 / Math.sqrt(vocabSize);
      const replace = (v: tf.Variable, fresh: tf.Tensor, axis = 0) => {
        const m = tf.tensor(rowMask, v.shape.map((n, i) => (i === axis ? n : 1)));
        v.assign(tf.add(tf.mul(v, tf.sub(1, m)), tf.mul(fresh, m)));
      };
      const enc = this.encoder[0]!.kernel;
      replace(enc, tf.randomUniform(enc.shape, -b, b, 'float32', seed));
      replace(this.decoderKernel, tf.randomUniform(this.decoderKernel.shape, -this.betaBound(), this.betaBound(), 'float32', seed + 1), 1);
      replace(this.decoderBias, tf.zeros(this.decoderBias.shape));
      if (this.decoderBn) {
        replace(this.decoderBn.beta, tf.zeros(this.decoderBn.beta.shape));
        replace(this.decoderBn.runningMean, tf.zeros(this.decoderBn.runningMean.shape));
        replace(this.decoderBn.runningVar, tf.ones(this.decoderBn.runningVar.shape));
      }
    });
    if (optimizer) for (const [v, axis] of this.rowVariables()) if (v.trainable) optimizer.resetRows(v, rows, axis);
    this.setLive(rows, true);
  }

  /**
   * Save in tfjs format: `model.json` (config + weights manifest), `weights.bin`,
   * and the dictionary as gensim's `dictionary.txt` when given. Each file is written atomically.
   * @param dir target directory (created if missing).
   * @param dictionary the dictionary the model was trained with.
   */
  async save(dir: string, dictionary?: SavableDictionary): Promise<void> {
    await mkdir(dir, { recursive: true });
    const entries: Array<{ name: string; tensor: tf.Tensor }> = this.variableNames().map((name) => ({
      name,
      tensor: this.named.find(([n]) => n === name)![1],
    }));
    const live = tf.tensor1d(this.live, 'int32');
    entries.push({ name: 'live', tensor: live });
    const { data, specs } = await tf.io.encodeWeights(entries);
    live.dispose();
    const modelJson = {
      format: FORMAT,
      generatedBy: 'corpusflow',
      convertedBy: null,
      modelTopology: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      userDefinedMetadata: { config: this.options, hasDictionary: dictionary !== undefined },
    };
    await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(data));
    if (dictionary) await dictionary.saveAsText(join(dir, 'dictionary.txt'));
    // model.json last: its presence means the directory is complete.
    await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson, null, 1));
  }

  /**
   * Load a model written by `save`.
   * @param dir the directory.
   * @param options.loadDictionary reads `dictionary.txt` into `model.dictionary` (e.g. `Dictionary.loadFromText`).
   * @return the model, in evaluation-ready state.
   */
  static async load(dir: string, options: { loadDictionary?: (path: string) => unknown } = {}): Promise<ProdLDA> {
    const file = join(dir, 'model.json');
    let json: {
      format?: string;
      weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
      userDefinedMetadata?: { config?: ResolvedOptions; hasDictionary?: boolean };
    };
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      const code = (e as { code?: string }).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'MODEL_FORMAT';
      throw new CorpusflowError(code, `Cannot read ProdLDA model: ${(e as Error).message}`, { position: { file }, cause: e });
    }
    const config = json.userDefinedMetadata?.config;
    const manifest = json.weightsManifest?.[0];
    if (json.format !== FORMAT || !config || !manifest) {
      throw new CorpusflowError('MODEL_FORMAT', `Not a corpusflow ProdLDA model (format ${JSON.stringify(json.format)})`, { position: { file } });
    }
    const weightsFile = join(dir, manifest.paths[0]!);
    let bytes: Buffer;
    try {
      bytes = await readFile(weightsFile);
    } catch (e) {
      throw new CorpusflowError('FILE_NOT_FOUND', `Cannot read model weights: ${(e as Error).message}`, { position: { file: weightsFile }, cause: e });
    }
    const expected = manifest.weights.reduce((s, w) => s + tf.util.sizeFromShape(w.shape) * 4, 0);
    if (bytes.byteLength !== expected) {
      throw new CorpusflowError('MODEL_FORMAT', `weights.bin holds ${bytes.byteLength} bytes, model.json describes ${expected}`, { position: { file: weightsFile } });
    }
    const model = new ProdLDA(config);
    const tensors = tf.io.decodeWeights(new Uint8Array(bytes).buffer, manifest.weights);
    try {
      for (const [name, v] of model.named) {
        const t = tensors[name];
        if (!t || !tf.util.arraysEqual(t.shape, v.shape)) {
          throw new CorpusflowError('MODEL_FORMAT', `Weight ${name} missing or of the wrong shape`, { position: { file, field: name } });
        }
        v.assign(t);
      }
      if (tensors.live) model.live.set(tensors.live.dataSync());
    } finally {
      tf.dispose(tensors);
    }
    if (json.userDefinedMetadata?.hasDictionary && options.loadDictionary) {
      model.dictionary = await options.loadDictionary(join(dir, 'dictionary.txt'));
    }
    return model;
  }

  /** Free every tensor the model holds. */
  dispose(): void {
    for (const [, v] of this.named) v.dispose();
    tf.dispose([this.priorMean, this.priorVar, this.priorLogVar]);
    this.liveBias?.dispose();
  }
}

/**
 * a·b, with a gradient built from explicit transposes. tfjs's own matMul gradient uses the
 * transposeA/transposeB flags, which the wasm backend (XNNPACK) runs up to 8× slower than a
 * transpose followed by a plain product (measured: 31 ms against 4 ms for 2,949 × 64 · 64 × 100).
 */
const matMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) => [tf.matMul(dy, tf.transpose(sb!)), tf.matMul(tf.transpose(sa!), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** data·b where `data` needs no gradient (the input batch): skips the [batch, vocab] product for it. */
const dataMatMul = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa]: tf.Tensor[]) => [tf.zerosLike(sa!), tf.matMul(tf.transpose(sa!), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;

/** Scale-free batch norm over axis 0; in training it also moves the running statistics (PyTorch semantics). */
function batchNorm(x: tf.Tensor2D, bn: BatchNorm, training: boolean): tf.Tensor2D {
  if (!training) {
    return tf.add(tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, BN_EPSILON))), bn.beta) as tf.Tensor2D;
  }
  const { mean, variance } = tf.moments(x, 0);
  updateRunning(bn, mean, variance, x.shape[0]);
  return tf.add(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), bn.beta) as tf.Tensor2D;
}

/** `updateRunning` from batch statistics already in JavaScript (read back from a fused kernel's output). */
function updateRunningFrom(bn: BatchNorm, mean: Float32Array, variance: Float32Array, n: number): void {
  const rm = bn.runningMean.dataSync() as Float32Array;
  const rv = bn.runningVar.dataSync() as Float32Array;
  const nextMean = new Float32Array(rm.length);
  const nextVar = new Float32Array(rv.length);
  const unbias = n > 1 ? n / (n - 1) : 1;
  for (let i = 0; i < rm.length; i++) {
    nextMean[i] = rm[i]! * (1 - BN_MOMENTUM) + mean[i]! * BN_MOMENTUM;
    nextVar[i] = rv[i]! * (1 - BN_MOMENTUM) + variance[i]! * unbias * BN_MOMENTUM;
  }
  tf.tidy(() => {
    bn.runningMean.assign(tf.tensor(nextMean, bn.runningMean.shape));
    bn.runningVar.assign(tf.tensor(nextVar, bn.runningVar.shape));
  });
}

/** Running averages of the batch statistics; the running variance is the unbiased estimate, as in PyTorch. */
function updateRunning(bn: BatchNorm, mean: tf.Tensor, variance: tf.Tensor, n: number): void {
  tf.tidy(() => {
    const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
    bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
  });
}

function resolveOptions(o: ProdLDAOptions): ResolvedOptions {
  const int = (name: string, v: unknown, min: number) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw invalidOption(name, `an integer ≥ ${min}`, v);
    return v;
  };
  const vocabSize = int('vocabSize', o.vocabSize, 1);
  const capacity = int('capacity', o.capacity ?? vocabSize, vocabSize);
  const topics = int('topics', o.topics ?? 20, 2);
  const hidden = o.hidden ?? [100, 100];
  if (!Array.isArray(hidden) || hidden.length === 0) throw invalidOption('hidden', 'a non-empty array of layer widths', hidden);
  hidden.forEach((h, i) => int(`hidden[${i}]`, h, 1));
  const dropout = o.dropout ?? 0.2;
  if (!(dropout >= 0 && dropout < 1)) throw invalidOption('dropout', 'a number in [0, 1)', dropout);
  const alpha = o.alpha ?? 1;
  if (!(alpha > 0)) throw invalidOption('alpha', 'a number > 0', alpha);
  const encoderInput = o.encoderInput ?? 'auto';
  if (!['auto', 'gather', 'dense'].includes(encoderInput)) throw invalidOption('encoderInput', "'auto', 'gather' or 'dense'", encoderInput);
  return { vocabSize, capacity, topics, hidden: [...hidden], dropout, alpha, batchNorm: o.batchNorm ?? true, seed: int('seed', o.seed ?? 0, 0), encoderInput };
}

/**
 * Streaming inference: each bag-of-words batch becomes its documents' topic mixes.
 *
 * Like `model.transform` applied batch by batch, with the tensors freed for you.
 *
 * ## Example
 * ```ts
 * import { inferTopics } from 'corpusflow';
 * batches$.pipe(inferTopics(model)).subscribe(({ id, topics }) => console.log(id, topics));
 * ```
 * @param model a trained ProdLDA.
 * @return an operator from batches to `{id, topics}` per document (topics: K numbers summing to 1). Input batches are disposed.
 */
export function inferTopics(model: ProdLDA): OperatorFunction<BowBatch, { id: DocId; topics: number[] }> {
  return (source) =>
    new Observable((subscriber) =>
      source.subscribe({
        next(batch) {
          let values: Float32Array;
          try {
            const theta = model.transform(batch);
            values = theta.dataSync() as Float32Array;
            theta.dispose();
          } catch (e) {
            batch.dispose();
            subscriber.error(e);
            return;
          }
          batch.dispose();
          const K = model.options.topics;
          batch.docIds.forEach((id, i) => subscriber.next({ id, topics: Array.from(values.subarray(i * K, (i + 1) * K)) }));
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}
