/**
 * The random noise a training step draws: dropout masks and standard normal samples, from a seeded
 * mulberry32 (../batch/random.ts) in plain JavaScript. tfjs's `randomUniform`/`randomNormal` draw
 * from seedrandom's Alea, ~30-50 ns a number: ~0.6 ms of every ProdLDA step for its ~9,000 numbers;
 * this is ~20× cheaper. Every formulation of a model uses these (tests compare formulations under
 * the same draws), so a seed gives the same run on a given backend.
 */
import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../batch/random.js';

/**
 * The mask dropout multiplies by: each entry 1/keep with probability keep = 1 − rate, else 0
 * (`floor(u + keep) / keep`, as tf.dropout forms it).
 * @param shape the shape of the tensor it will multiply
 * @param rate the dropout rate, in [0, 1)
 * @param seed the draw's seed
 */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const n = tf.util.sizeFromShape(shape);
  const keep = 1 - rate;
  const out = new Float32Array(n);
  if (rate <= 0) return tf.tensor(out.fill(1), shape);
  const rng = createRandom(seed);
  const scale = 1 / keep;
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng.next() + keep) * scale;
  return tf.tensor(out, shape);
}

/**
 * Standard normal samples (Box–Muller, both outputs of each pair used).
 * @param shape the output shape
 * @param seed the draw's seed
 */
export function normalNoise(shape: number[], seed: number): tf.Tensor {
  const n = tf.util.sizeFromShape(shape);
  const out = new Float32Array(n);
  const rng = createRandom(seed);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())); // 1 − u is in (0, 1]: the log is finite
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return tf.tensor(out, shape);
}
