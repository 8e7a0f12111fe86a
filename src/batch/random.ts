/**
 * A small seeded pseudo-random number generator (mulberry32), so that shuffling and
 * sampling are reproducible from a seed on every platform. Like `random.Random(seed)`
 * in Python: same seed, same sequence. Not for cryptography.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  nextInt(n: number): number;
  /** The generator's position; pass it to `createRandom` to continue the same sequence (checkpoints). */
  readonly state: number;
}

/**
 * Create a generator from a 32-bit seed (any number is reduced to 32 bits).
 *
 * ## Example
 * ```ts
 * import { createRandom } from 'corpusflow';
 * const rng = createRandom(42);
 * rng.next(); // the same value on every run
 * ```
 * @param seed integer seed, or a `state` saved earlier
 * @return the generator
 */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    nextInt: (n: number) => Math.floor(next() * n),
    get state() {
      return s;
    },
  };
}

