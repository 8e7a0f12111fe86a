import { Observable, concat, defer, filter, finalize, map, type MonoTypeOperatorFunction } from 'rxjs';
import { invalidOption } from '../errors.js';
import { checkBoolean, checkPositiveInt } from './options.js';
import { createRandom } from './random.js';

export interface ShuffleOptions {
  /** Items held at once. The order is fully random only when it is at least the stream's length. */
  bufferSize: number;
  /** Seed of the first epoch; epoch k (the k-th subscription) uses `seed + k`. Default: a random seed. */
  seed?: number;
  /** Draw a new order on each subscription (epoch), as tf.data does. Default true; false repeats the first order. */
  reshuffleEachEpoch?: boolean;
  /** Number of the first epoch, to continue a run from a checkpoint in the same order. Default 0. */
  startEpoch?: number;
}

/** Items the end-of-stream drain emits between two turns of the event loop. */
const DRAIN_CHUNK = 256;

/**
 * Shuffle a stream through a bounded buffer, reproducibly from a seed, like tf.data's
 * `shuffle(buffer_size, seed)`: fill the buffer, then for each new item emit a random
 * buffered one and put the new one in its place; on completion empty the buffer in random order.
 * Like a dealer who holds a handful of cards and plays a random one each time a card arrives.
 * Each subscription (epoch) gets a new order: the k-th uses `seed + k`.
 *
 * ## Example
 * ```ts
 * import { ndjsonSource, shuffle } from 'corpusflow';
 * const shuffled$ = ndjsonSource('corpus.ndjson').pipe(shuffle({ bufferSize: 10_000, seed: 42 }));
 * ```
 * @see batchBow which usually follows it
 * @param options `bufferSize`, `seed`, `reshuffleEachEpoch` (true), `startEpoch` (0)
 * @return an operator emitting the same items in shuffled order
 *
 * **Warning:** it buffers `bufferSize` items, and emits nothing until the buffer is full
 * (or the stream completes). Shuffle documents or ids, not tensors.
 */
export function shuffle<T>(options: ShuffleOptions): MonoTypeOperatorFunction<T> {
  const bufferSize = checkPositiveInt('bufferSize', options.bufferSize);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(seed)) throw invalidOption('seed', 'an integer', seed);
  const reshuffle = checkBoolean('reshuffleEachEpoch', options.reshuffleEachEpoch ?? true);
  const startEpoch = options.startEpoch ?? 0;
  if (!Number.isInteger(startEpoch) || startEpoch < 0) throw invalidOption('startEpoch', 'a non-negative integer', startEpoch);

  return (source) => {
    let epoch = startEpoch;
    return defer(() => {
      const rng = createRandom(seed + (reshuffle ? epoch++ : startEpoch));
      let buffer: T[] = [];
      // Built from RxJS operators so an early unsubscribe stops even a synchronous source.
      const swapped = source.pipe(
        filter((item) => {
          if (buffer.length < bufferSize) {
            buffer.push(item);
            return false;
          }
          return true;
        }),
        map((item) => {
          const i = rng.nextInt(bufferSize);
          const out = buffer[i]!;
          buffer[i] = item;
          return out;
        }),
      );
      function* drain(): Generator<T> {
        while (buffer.length > 0) {
          const i = rng.nextInt(buffer.length);
          const out = buffer[i]!;
          buffer[i] = buffer[buffer.length - 1]!;
          buffer.pop();
          yield out;
        }
      }
      // The drain runs in chunks with a macrotask between them. Emitted synchronously, a full buffer is
      // a whole stretch of training (10,000 documents: a minute) without one turn of the event loop: no
      // signal handler, no progress timer, and no GC task, so V8 let garbage pile up in old space.
      const drained = new Observable<T>((subscriber) => {
        const items = drain();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const pump = () => {
          for (let n = 0; n < DRAIN_CHUNK; n++) {
            if (subscriber.closed) return;
            const r = items.next();
            if (r.done) return subscriber.complete();
            subscriber.next(r.value);
          }
          timer = setTimeout(pump, 0);
        };
        pump();
        return () => clearTimeout(timer);
      });
      return concat(swapped, drained).pipe(
        finalize(() => {
          buffer = [];
        }),
      );
    });
  };
}
