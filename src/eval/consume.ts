/**
 * Reads a stream of values once, whatever its shape, calling a synchronous
 * function on each: the shared loop of the evaluation functions (coherence
 * counts texts, perplexity scores batches).
 */
import { isObservable, type Observable, type Subscription } from 'rxjs';
import { invalidOption } from '../errors.js';

/** Values to read once: an Observable, an iterable or an async iterable. */
export type ValueStream<T> = Observable<T> | Iterable<T> | AsyncIterable<T>;

/**
 * Calls `each` on every value of `source`, in order; resolves when the source
 * completes, rejects on its error or on the first throw of `each` (then
 * unsubscribes or stops iterating). Because `each` is synchronous, an
 * Observable's values are handled as they arrive: nothing queues up.
 * @param name the option name used in the error for an unreadable source.
 * @param dropped called with values an Observable still pushes after `each` threw, so they can be freed.
 */
export async function consume<T>(source: ValueStream<T>, each: (value: T) => void, name: string, dropped?: (value: T) => void): Promise<void> {
  if (isObservable(source)) {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      let sub: Subscription | undefined = undefined;
      sub = source.subscribe({
        next: (value) => {
          if (failed) {
            dropped?.(value);
            return;
          }
          try {
            each(value);
          } catch (err) {
            failed = true;
            sub?.unsubscribe();
            reject(err);
          }
        },
        error: reject,
        complete: resolve,
      });
      // a synchronous source may have failed before subscribe() returned
      if (failed) sub.unsubscribe();
    });
  } else if (typeof source === 'object' && source !== null && Symbol.iterator in source) {
    for (const value of source) each(value);
  } else if (typeof source === 'object' && source !== null && Symbol.asyncIterator in source) {
    for await (const value of source) each(value);
  } else {
    throw invalidOption(name, 'an Observable, iterable or async iterable', typeof source);
  }
}
