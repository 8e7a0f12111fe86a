/**
 * The async map that keeps a pull-driven source paced: it holds a flow-control
 * credit for each document until its result has been passed on.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { invalidOption } from '../errors.js';
import type { FlowControl } from './flow.js';

/** Options of {@link mapAsync}. */
export interface MapAsyncOptions {
  /** Calls of `fn` running at once. Default 1. */
  concurrency?: number;
  /** The source's flow control (`source.flow`, or the one passed to the source); without it nothing paces the source. */
  flow?: FlowControl;
}

/**
 * Map each value through an async function, at most `concurrency` at a time,
 * emitting results in input order.
 *
 * Like a kitchen with a fixed number of order tickets shared with the front
 * door: new guests are seated only when a ticket is free, and a ticket is
 * freed when its dish has been served.
 *
 * **Warning:** values that arrive while `concurrency` calls are running wait in
 * a queue. With `flow` (the same FlowControl the source uses) the source stops
 * emitting once `flow.highWaterMark` documents are held, so the queue is
 * bounded; without it the queue grows as fast as the source reads.
 *
 * ## Example
 * ```ts
 * import { ndjsonSource, mapAsync } from 'corpusflow';
 * const docs = ndjsonSource('corpus.ndjson');
 * docs.pipe(mapAsync(async (d) => ({ ...d, lang: await detect(d.text) }), { flow: docs.flow, concurrency: 4 }))
 *   .subscribe(console.log);
 * ```
 *
 * @see FlowControl
 * @param fn Called with each value and its 0-based index; may return a value or a promise.
 * @param options Concurrency and flow control.
 * @return An operator emitting `fn`'s results in input order.
 */
export function mapAsync<T, R>(fn: (value: T, index: number) => R | PromiseLike<R>, options: MapAsyncOptions = {}): OperatorFunction<T, R> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidOption('concurrency', 'a positive integer', concurrency);
  const flow = options.flow;
  return (source) =>
    new Observable<R>((subscriber) => {
      interface Slot {
        value: T;
        index: number;
        done: boolean;
        result?: R;
        release: () => void;
      }
      /** Every value not yet emitted, in input order (started or not), from index `head` on. */
      let slots: Slot[] = [];
      let head = 0;
      let started = 0;
      let running = 0;
      let received = 0;
      let sourceDone = false;
      let closed = false;

      const emitReady = () => {
        while (!closed && head < slots.length && slots[head]!.done) {
          const slot = slots[head]!;
          slots[head++] = undefined as unknown as Slot;
          subscriber.next(slot.result as R);
          // Release after next() returned: synchronous work downstream is part of "finished".
          slot.release();
        }
        // Drop emitted slots now and then instead of shift() per value (O(n) on long queues).
        if (head > 1024 && head * 2 > slots.length) {
          slots = slots.slice(head);
          started -= head;
          head = 0;
        }
        if (!closed && sourceDone && head === slots.length) subscriber.complete();
      };

      const startMore = () => {
        while (!closed && running < concurrency && started < slots.length) {
          const slot = slots[started++]!;
          running++;
          let result: R | PromiseLike<R>;
          try {
            result = fn(slot.value, slot.index);
          } catch (e) {
            subscriber.error(e);
            return;
          }
          Promise.resolve(result).then(
            (r) => {
              running--;
              slot.done = true;
              slot.result = r;
              emitReady();
              startMore();
            },
            (e) => {
              running--;
              if (!closed) subscriber.error(e);
            },
          );
        }
      };

      const subscription = source.subscribe({
        next: (value) => {
          slots.push({ value, index: received++, done: false, release: flow ? flow.hold() : noop });
          startMore();
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          sourceDone = true;
          emitReady();
        },
      });

      return () => {
        closed = true;
        subscription.unsubscribe();
        for (let i = head; i < slots.length; i++) slots[i]!.release();
        slots = [];
        head = 0;
      };
    });
}

function noop(): void {}
