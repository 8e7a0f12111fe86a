/**
 * The random noise a training step draws: dropout masks and standard normal samples, from a seeded
 * sfc32 generator in plain JavaScript. tfjs's `randomUniform`/`randomNormal` draw
 * from seedrandom's Alea, ~30-50 ns a number: ~0.6 ms of every ProdLDA step for its ~9,000 numbers;
 * this is ~20× cheaper. Every formulation of a model uses these (tests compare formulations under
 * the same draws), so a seed gives the same run on a given backend.
 */
import * as tf from '@tensorflow/tfjs';
/**
 * splitmix32: the seed expander of `generator`; each call moves the state by the golden-ratio
 * increment and returns a well-mixed 32-bit value.
 */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting generator, 128-bit state) seeded through
 * splitmix32: uniforms in [0, 1). Not the 32-bit-state mulberry32 of ../batch/random.ts, which is
 * fine for shuffling but measurably hurt training as dropout and reparameterisation noise (topic
 * recovery 0.86 against 0.91 with tfjs's or Math.random's draws, over several seeds).
 */
function generator(seed: number): () => number {
  const st = { s: seed | 0 };
  let a = splitmix32(st) | 0;
  let b = splitmix32(st) | 0;
  let c = splitmix32(st) | 0;
  let d = splitmix32(st) | 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // the first outputs of a fresh state are the least mixed
  return next;
}

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
  const next = generator(seed);
  const scale = 1 / keep;
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() + keep) * scale;
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
  const next = generator(seed);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next())); // 1 − u is in (0, 1]: the log is finite
    const a = 2 * Math.PI * next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return tf.tensor(out, shape);
}
