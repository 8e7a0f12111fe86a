/**
 * The trainer operator: batches in, typed training events out. It drives the
 * epochs itself by subscribing to its (cold) source once per epoch, the way a
 * PyTorch loop iterates a DataLoader once per epoch.
 */
import { Observable, takeWhile, type OperatorFunction, type Subscription } from 'rxjs';
import * as tf from '@tensorflow/tfjs';
import { CorpusflowError, invalidOption } from '../errors.js';
import type { TrainableModel } from '../models/types.js';
import { createOptimizer, type Optimizer, type OptimizerSpec } from './optimizers.js';
import { learningRateSchedule, type ScheduleSpec } from './schedule.js';
import { readCheckpoint, restoreCheckpoint, snapshotCheckpoint, writeCheckpoint, type Checkpoint, type TrainingPosition } from './checkpoint.js';

/** Emitted every `logEvery` steps: the mean loss of those steps and the throughput. */
export interface StepEvent {
  type: 'step';
  /** 1-based epoch. */
  epoch: number;
  /** Steps completed in total (1-based: the first step is step 1). */
  step: number;
  /** Mean loss over the steps since the previous step event. */
  loss: number;
  /** Documents per second over those steps (wall clock, data loading included). */
  docsPerSecond: number;
  /** Documents trained on so far, all epochs. */
  docs: number;
  /** The learning rate of the latest step. */
  learningRate: number;
}
/** Emitted when an epoch's source completes; `loss` is the epoch's mean step loss. */
export interface EpochEndEvent {
  type: 'epochEnd';
  epoch: number;
  step: number;
  loss: number;
}
/** Emitted once a checkpoint file is safely on disk. */
export interface CheckpointEvent {
  type: 'checkpoint';
  step: number;
  path: string;
}
/** The last event: why training stopped and totals. */
export interface DoneEvent {
  type: 'done';
  steps: number;
  epochs: number;
  seconds: number;
  docs: number;
  reason: 'epochs' | 'maxSteps' | 'earlyStopping';
}
export type TrainEvent = StepEvent | EpochEndEvent | CheckpointEvent | DoneEvent;

/** Stop when the monitored value stops improving, like Keras' `EarlyStopping`. */
export interface EarlyStoppingOptions {
  /** `'loss'`: the epoch's mean training loss; or a function of the finished epoch (e.g. held-out perplexity). Lower is better. */
  monitor?: 'loss' | ((epoch: { epoch: number; loss: number }) => number | Promise<number>);
  /** Epochs without an improvement of more than `minDelta` before stopping. */
  patience: number;
  /** Smallest decrease that counts as an improvement. Default 0. */
  minDelta?: number;
}

export interface CheckpointOptions {
  /** Directory for `ckpt-<step>.cfckpt` files (created if missing). */
  dir: string;
  /** Save every this many steps. */
  every: number;
  /** Keep only the newest this many files. Default 3. */
  keep?: number;
  /** Stored with the weights (`toJSON()`), e.g. the Dictionary. */
  dictionary?: { toJSON(): unknown };
}

export interface TrainOptions {
  /** Passes over the source. Default 1. */
  epochs?: number;
  /** Stop after this many steps in total (counting those before a resume). */
  maxSteps?: number;
  /** Default: the model's `defaultOptimizer()` when it has one, else `{adam: {learningRate: 1e-3}}`. */
  optimizer?: OptimizerSpec | Optimizer;
  /** Learning-rate schedule over steps. Default constant. */
  schedule?: ScheduleSpec;
  /** Clip gradients so that their global L2 norm is at most this (PyTorch `clip_grad_norm_`). */
  clipNorm?: number;
  /** Seeds the model's randomness (dropout, sampling) for reproducible runs on a given backend. */
  seed?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Emit a step event (and read the loss from the backend) every this many steps. Default 10. */
  logEvery?: number;
  checkpoint?: CheckpointOptions;
  /** Resume from a checkpoint file, a checkpoint directory (its newest file), or a loaded checkpoint. */
  resume?: string | Checkpoint;
}

/** A model that proposes its own optimizer (ProdLDA: Adam 2e-3, beta1 0.99). */
interface WithDefaultOptimizer {
  defaultOptimizer?(): OptimizerSpec;
}

/**
 * Train a model on a stream of batches, epoch after epoch.
 *
 * Like a PyTorch training loop folded into one operator: every epoch it
 * subscribes to the source again (so the source must be cold: a file, a
 * re-iterable), runs one optimizer step per batch, disposes the batch, and
 * reports what happened as events.
 *
 * ## Example
 * ```ts
 * import { ndjsonSource, preprocess, toBow, batchBow, train, ProdLDA } from 'corpusflow';
 * const model = new ProdLDA({ vocabSize: dictionary.size, topics: 20 });
 * ndjsonSource('news.ndjson.gz')
 *   .pipe(preprocess(), toBow(dictionary), batchBow({ batchSize: 64, vocabSize: dictionary.size }), train(model, { epochs: 100 }))
 *   .subscribe((e) => e.type === 'epochEnd' && console.log(e.epoch, e.loss));
 * ```
 *
 * Steps run synchronously inside the source's `next`, so a pull-driven source
 * reads the next documents only once the step is done. The loss is read back
 * from the backend only every `logEvery` steps and at epoch ends.
 *
 * @see TrainableModel, fromLayersModel, ProdLDA
 * @param model anything with `lossFn(batch, training)` and `trainableVariables()`.
 * @param options see `TrainOptions`.
 * @return an operator from batches to `TrainEvent`s, ending with one `done` event.
 */
export function train<B extends { size: number; dispose(): void }>(
  model: TrainableModel<B>,
  options: TrainOptions = {},
): OperatorFunction<B, TrainEvent> {
  const epochs = options.epochs ?? 1;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw invalidOption('epochs', 'an integer ≥ 1', epochs);
  const maxSteps = options.maxSteps ?? Infinity;
  if (!(maxSteps === Infinity || (Number.isInteger(maxSteps) && maxSteps >= 1))) throw invalidOption('maxSteps', 'an integer ≥ 1', maxSteps);
  const logEvery = options.logEvery ?? 10;
  if (!(Number.isInteger(logEvery) && logEvery >= 1)) throw invalidOption('logEvery', 'an integer ≥ 1', logEvery);
  if (options.clipNorm !== undefined && !(options.clipNorm > 0)) throw invalidOption('clipNorm', 'a number > 0', options.clipNorm);
  const es = options.earlyStopping;
  if (es && !(Number.isInteger(es.patience) && es.patience >= 0)) throw invalidOption('earlyStopping.patience', 'an integer ≥ 0', es.patience);
  const ck = options.checkpoint;
  if (ck && !(Number.isInteger(ck.every) && ck.every >= 1)) throw invalidOption('checkpoint.every', 'an integer ≥ 1', ck.every);
  if (ck && !(typeof ck.dir === 'string' && ck.dir)) throw invalidOption('checkpoint.dir', 'a directory path', ck.dir);

  return (source) =>
    new Observable<TrainEvent>((subscriber) => {
      let closed = false;
      let upstream: Subscription | undefined;
      const ownOptimizer = !(options.optimizer && typeof (options.optimizer as Optimizer).applyGradients === 'function');
      const optimizer = createOptimizer(options.optimizer ?? (model as WithDefaultOptimizer).defaultOptimizer?.() ?? { adam: { learningRate: 1e-3 } });
      const lrAt = learningRateSchedule(options.schedule, optimizer.learningRate);
      const vars = model.trainableVariables();
      if (vars.length === 0) throw invalidOption('model', 'a model with trainable variables', 'none');
      let lossAcc: tf.Scalar | null = null;
      let accSteps = 0;
      let pendingWrite: Promise<void> = Promise.resolve();
      let writeError: unknown = null;
      // Snapshots taken but not yet being written. A source that emits a whole epoch synchronously (an
      // in-memory corpus, a shuffle buffer larger than the corpus) never lets a write finish until the epoch
      // ends, so without a cap every snapshot of the epoch would wait in memory.
      const waiting: Checkpoint[] = [];
      let writing = false;

      const st: TrainingPosition = { step: 0, epoch: 1, position: 0, docs: 0, epochLossSum: 0, epochSteps: 0, best: null, wait: 0 };
      let intervalDocs = 0;
      let intervalStart = performance.now();
      let lastLr = optimizer.learningRate;

      /** Read and reset the accumulated loss; folds it into the epoch sum. */
      const drainLoss = (): { mean: number; steps: number } => {
        if (!lossAcc || accSteps === 0) return { mean: NaN, steps: 0 };
        const sum = lossAcc.dataSync()[0]!;
        lossAcc.dispose();
        lossAcc = null;
        const steps = accSteps;
        accSteps = 0;
        if (!Number.isFinite(sum)) {
          throw new CorpusflowError('TRAINING_DIVERGED', `Loss became ${sum} by step ${st.step} (epoch ${st.epoch})`, {
            hint: 'lower the learning rate, or set clipNorm',
          });
        }
        st.epochLossSum += sum;
        st.epochSteps += steps;
        return { mean: sum / steps, steps };
      };

      const step = (batch: B): void => {
        const lr = lrAt(st.step);
        lastLr = lr;
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.lossFn(batch, true), vars);
          const used = vars.filter((v) => grads[v.name] !== undefined);
          let gs = used.map((v) => grads[v.name]!);
          if (options.clipNorm !== undefined) {
            const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
            // scale = clip / max(norm, clip): 1 when under the limit, no data read back.
            const scale = tf.div(options.clipNorm, tf.maximum(norm, options.clipNorm));
            gs = gs.map((g) => tf.mul(g, scale));
          }
          optimizer.applyGradients(used, gs, lr);
          return value;
        });
        const next = lossAcc ? tf.add(lossAcc, loss) : loss.clone();
        lossAcc?.dispose();
        loss.dispose();
        lossAcc = next as tf.Scalar;
        accSteps++;
        st.step++;
        st.docs += batch.size;
        st.position += batch.size;
        intervalDocs += batch.size;
      };

      const emitStep = () => {
        const { mean } = drainLoss();
        const now = performance.now();
        const seconds = (now - intervalStart) / 1000;
        subscriber.next({ type: 'step', epoch: st.epoch, step: st.step, loss: mean, docsPerSecond: seconds > 0 ? intervalDocs / seconds : 0, docs: st.docs, learningRate: lastLr });
        intervalDocs = 0;
        intervalStart = now;
      };

      const saveCheckpoint = () => {
        if (!ck) return;
        // Snapshot now (synchronously): the next step would change the weights under an async writer.
        // The loss accumulated since the last step event belongs to this epoch's sum too.
        const pending = lossAcc ? lossAcc.dataSync()[0]! : 0;
        const position = { ...st, epochLossSum: st.epochLossSum + pending, epochSteps: st.epochSteps + accSteps };
        waiting.push(snapshotCheckpoint(model as TrainableModel<never>, optimizer, position, ck.dictionary));
        // Only the newest `keep` files survive rotation, so an older waiting snapshot would be written just to be
        // deleted: drop it. Memory then holds at most keep + 1 snapshots (the waiting ones and the one being written).
        if (waiting.length > (ck.keep ?? 3)) waiting.shift();
        if (!writing) pendingWrite = writeWaiting();
      };

      const writeWaiting = async (): Promise<void> => {
        writing = true;
        try {
          while (waiting.length > 0 && !writeError) {
            const snap = waiting.shift()!;
            try {
              const path = await writeCheckpoint(ck!.dir, snap, ck!.keep ?? 3);
              if (!closed) subscriber.next({ type: 'checkpoint', step: snap.header.step, path });
            } catch (e) {
              writeError = e;
            }
          }
        } finally {
          writing = false;
        }
      };

      /** One epoch: subscribe, train on every batch (skipping `skip` documents first), resolve on complete. */
      const runEpoch = (skip: number) =>
        new Promise<boolean>((resolve, reject) => {
          let skipped = 0;
          let stop = false;
          let cut = false;
          upstream = source
            .pipe(
              // Stops the upstream as soon as we are done, even mid-emission; the batch that arrives then is freed here.
              takeWhile((batch) => {
                if (stop || closed) {
                  batch.dispose();
                  cut = true;
                  return false;
                }
                return true;
              }),
            )
            .subscribe({
              next(batch) {
                try {
                  if (skipped < skip) {
                    skipped += batch.size;
                    batch.dispose();
                    return;
                  }
                  try {
                    step(batch);
                  } finally {
                    batch.dispose();
                  }
                  if (st.step % logEvery === 0) emitStep();
                  if (ck && st.step % ck.every === 0) saveCheckpoint();
                  if (writeError) throw writeError;
                  if (st.step >= maxSteps) stop = true;
                } catch (e) {
                  stop = true;
                  reject(e);
                }
              },
              error: reject,
              complete: () => resolve(cut),
            });
        });

      const run = async (): Promise<void> => {
        const started = performance.now();
        if (options.seed !== undefined) model.setSeed?.(options.seed);
        let skip = 0;
        if (options.resume !== undefined) {
          const checkpoint = typeof options.resume === 'string' ? await readCheckpoint(options.resume) : options.resume;
          restoreCheckpoint(checkpoint, model as TrainableModel<never>, optimizer);
          const h = checkpoint.header;
          Object.assign(st, { step: h.step, epoch: h.epoch, position: h.position, docs: h.docs, epochLossSum: h.epochLossSum, epochSteps: h.epochSteps, best: h.best, wait: h.wait });
          skip = h.position;
        }
        let reason: DoneEvent['reason'] = 'epochs';
        const firstEpoch = st.epoch;
        for (let epoch = firstEpoch; epoch <= epochs && !closed; epoch++) {
          if (st.step >= maxSteps) {
            reason = 'maxSteps';
            break;
          }
          if (epoch !== firstEpoch) Object.assign(st, { epoch, position: 0, epochLossSum: 0, epochSteps: 0 });
          intervalStart = performance.now();
          const cut = await runEpoch(epoch === firstEpoch ? skip : 0);
          if (closed) return;
          if (accSteps > 0) emitStep();
          const loss = st.epochSteps > 0 ? st.epochLossSum / st.epochSteps : NaN;
          if (cut) {
            // maxSteps stopped the epoch before its source ended: not a finished epoch, so no epochEnd.
            reason = 'maxSteps';
            break;
          }
          subscriber.next({ type: 'epochEnd', epoch, step: st.step, loss });
          if (es) {
            const value = es.monitor === undefined || es.monitor === 'loss' ? loss : await es.monitor({ epoch, loss });
            if (st.best === null || value < st.best - (es.minDelta ?? 0)) {
              st.best = value;
              st.wait = 0;
            } else if (++st.wait >= Math.max(1, es.patience)) {
              reason = 'earlyStopping';
              break;
            }
          }
          if (st.step >= maxSteps) {
            reason = 'maxSteps';
            break;
          }
        }
        await pendingWrite;
        if (writeError) throw writeError;
        if (closed) return;
        subscriber.next({ type: 'done', steps: st.step, epochs: st.epoch, seconds: (performance.now() - started) / 1000, docs: st.docs, reason });
        subscriber.complete();
      };

      run().catch((e) => {
        if (!closed) subscriber.error(e);
      });

      return () => {
        closed = true;
        upstream?.unsubscribe();
        lossAcc?.dispose();
        lossAcc = null;
        // The optimizer's slots die with the run unless the caller owns the optimizer (to continue training later).
        // Checkpoint writes hold copies (snapshots), so nothing pending needs the slots.
        if (ownOptimizer) optimizer.dispose();
      };
    });
}
