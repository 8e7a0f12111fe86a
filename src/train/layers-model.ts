/**
 * Train a tfjs LayersModel (`tf.sequential`, `tf.model`) with the `train`
 * operator: the adapter turns it into a `TrainableModel`.
 */
import * as tf from '@tensorflow/tfjs';
import { invalidOption } from '../errors.js';
import type { TrainableModel } from '../models/types.js';

/** Built-in losses by name, each returning the mean over the batch. */
const LOSSES = {
  meanSquaredError: (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p),
  softmaxCrossEntropy: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p),
  sigmoidCrossEntropy: (y: tf.Tensor, p: tf.Tensor) => tf.losses.sigmoidCrossEntropy(y, p),
} as const;

export interface LayersModelAdapterOptions<B> {
  /** The model's inputs and targets for a batch, e.g. `(b) => ({ xs: b.x, ys: labelsOf(b) })`. Runs inside the step's tidy. */
  toTensors: (batch: B) => { xs: tf.Tensor | tf.Tensor[]; ys: tf.Tensor };
  /** A loss by name (on logits for the cross-entropies), or `(yTrue, yPred) => scalar` reducing over the batch. */
  loss: keyof typeof LOSSES | ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor);
}

/**
 * Wrap a tfjs LayersModel so `train` can fit it.
 *
 * Like handing Keras' `model.fit` a generator, except the loop is the
 * corpusflow trainer (epochs re-read the stream, checkpoints, early stopping).
 *
 * ## Example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fromLayersModel, train } from 'corpusflow';
 * const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [vocab], units: 5 })] });
 * const model = fromLayersModel(net, { toTensors: (b) => ({ xs: b.x, ys: labels(b) }), loss: 'softmaxCrossEntropy' });
 * batches$.pipe(train(model, { epochs: 5 })).subscribe();
 * ```
 * @param net the LayersModel (not compiled; its own optimizer is not used).
 * @param options `toTensors` and `loss`.
 * @return a TrainableModel over the same variables.
 */
export function fromLayersModel<B>(net: tf.LayersModel, options: LayersModelAdapterOptions<B>): TrainableModel<B> {
  const lossFn = typeof options.loss === 'function' ? options.loss : LOSSES[options.loss];
  if (typeof lossFn !== 'function') throw invalidOption('loss', `a function or one of ${Object.keys(LOSSES).join(', ')}`, options.loss);
  // LayerVariable.read() is the underlying tf.Variable the optimizer must update.
  const variablesOf = (ws: tf.LayerVariable[]) => ws.map((w) => w.read() as tf.Variable);
  return {
    lossFn(batch: B, training: boolean): tf.Scalar {
      return tf.tidy(() => {
        const { xs, ys } = options.toTensors(batch);
        const pred = net.apply(xs, { training }) as tf.Tensor;
        return tf.mean(lossFn(ys, pred)) as tf.Scalar;
      });
    },
    trainableVariables: () => variablesOf(net.trainableWeights),
    stateVariables: () => variablesOf(net.nonTrainableWeights),
    variableNames: () => [...net.trainableWeights, ...net.nonTrainableWeights].map((w) => w.originalName),
  };
}
