/**
 * What the trainer needs from a model. Anything with a loss over a batch and
 * a list of variables trains: ProdLDA, a wrapped tfjs LayersModel, or your
 * own object.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * A model the `train` operator can fit.
 *
 * Like PyTorch's `nn.Module` plus its loss: `lossFn` is the forward pass and
 * the objective in one, and `trainableVariables` is `parameters()`.
 */
export interface TrainableModel<B = unknown> {
  /**
   * The mean loss over `batch`. Called inside the trainer's gradient tape and
   * `tf.tidy`, so it may create temporaries freely; it must not dispose `batch`.
   * @param training true during training steps (dropout on, batch-norm statistics updated).
   */
  lossFn(batch: B, training: boolean): tf.Scalar;
  /** The variables the optimizer updates, in a fixed order (checkpoints rely on it). */
  trainableVariables(): tf.Variable[];
  /** Non-trained state a checkpoint must keep too (batch-norm running statistics), in a fixed order. */
  stateVariables?(): tf.Variable[];
  /** Stable names for `trainableVariables()` then `stateVariables()`, used in checkpoints and error messages. */
  variableNames?(): string[];
  /** The model's random-number position (dropout, sampling), saved in checkpoints so a resumed run draws the same numbers. */
  randomState?(): number;
  /** Restore what `randomState()` returned. */
  setRandomState?(state: number): void;
  /** Seed the model's randomness (called by the trainer when `options.seed` is given). */
  setSeed?(seed: number): void;
}
