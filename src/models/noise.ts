/**
 * The random noise a ProdLDA training step draws: dropout masks and standard normal samples, from
 * tfjs's seeded generators. One place for every formulation of the model (tests compare them under
 * the same draws), so a seed gives the same run on a given backend.
 *
 * Measured and not kept (2026-11-29): drawing these in plain JavaScript from mulberry32 or sfc32
 * saves ~0.4 ms of a ~9 ms step, but moved the benchmarks' quality figures by more than their
 * margins (bbc NPMI 0.096-0.112 and 20 MB topic recovery 0.86-0.91 against 0.104 and 0.907 with
 * these draws, at the benchmarks' seeds): a draw-for-draw port of tfjs's generator would keep both.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The mask dropout multiplies by: each entry 1/keep with probability keep = 1 − rate, else 0
 * (`floor(u + keep) / keep`, as tf.dropout forms it, from the same seeded uniform draws).
 * @param shape the shape of the tensor it will multiply
 * @param rate the dropout rate, in [0, 1)
 * @param seed the draw's seed
 */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  if (rate <= 0) return tf.ones(shape);
  return tf.tidy(() => tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), 1 - rate)), 1 - rate));
}

/**
 * Standard normal samples.
 * @param shape the output shape
 * @param seed the draw's seed
 */
export function normalNoise(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
