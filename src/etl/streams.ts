/**
 * Node stream adapters, so corpusflow drops into existing stream-based ETL
 * jobs: an Observable as a Readable, an RxJS operator as a Transform.
 */
import { Readable, Transform } from 'node:stream';
import { Subject, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { invalidOption } from '../errors.js';
import type { FlowControl } from '../sources/flow.js';

export interface ToReadableOptions {
  /** Objects the Readable buffers before it asks for a pause. Default 16 (Node's objectMode default). */
  highWaterMark?: number;
  /**
   * The source's flow control (corpusflow sources expose it as `source.flow`; found automatically on
   * the observable itself). With it, a full Readable pauses the source; without it, values that
   * arrive while the consumer is not reading wait in the Readable's buffer.
   */
  flow?: FlowControl;
}

/**
 * A Node Readable (object mode) over an Observable: subscribes on the first
 * `read()`, ends on complete, errors with the Observable's error, and
 * unsubscribes when destroyed.
 *
 * Like a tap on a pipe: nothing flows until someone opens it, and closing it
 * stops the water at the source.
 *
 * **Warning:** an Observable cannot be told to wait. With a FlowControl
 * (automatic for corpusflow sources) the source stops after at most
 * `flow.highWaterMark` values beyond the Readable's own buffer; any other
 * Observable keeps emitting into the buffer while the consumer is slow.
 *
 * ## Example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { ndjsonSource, preprocess, toReadable } from 'corpusflow';
 * const docs = ndjsonSource('corpus.ndjson.gz');
 * await pipeline(toReadable(docs.pipe(preprocess()), { flow: docs.flow }), ndjsonWriter, process.stdout);
 * ```
 *
 * @param observable any Observable; cold ones start when the stream is first read.
 * @param options `highWaterMark`, `flow`.
 * @return a Readable in object mode.
 */
export function toReadable<T>(observable: Observable<T>, options: ToReadableOptions = {}): Readable {
  const highWaterMark = options.highWaterMark ?? 16;
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) throw invalidOption('highWaterMark', 'a positive integer', highWaterMark);
  const flow = options.flow ?? (observable as { flow?: FlowControl }).flow;
  let subscription: Subscription | undefined;
  // Credits held while the consumer is not reading; released on the next read().
  let held: Array<() => void> = [];
  let full = false;
  const releaseAll = () => {
    const h = held;
    held = [];
    for (const release of h) release();
  };
  return new Readable({
    objectMode: true,
    highWaterMark,
    read() {
      full = false;
      releaseAll();
      if (subscription) return;
      subscription = observable.subscribe({
        next: (value) => {
          // null would end a Readable: Observables may emit it, streams cannot carry it
          if (value === null || value === undefined) return;
          if (!this.push(value)) full = true;
          if (full && flow) held.push(flow.hold());
        },
        error: (e) => {
          releaseAll();
          this.destroy(e instanceof Error ? e : new Error(String(e)));
        },
        complete: () => {
          releaseAll();
          this.push(null);
        },
      });
    },
    destroy(error, callback) {
      subscription?.unsubscribe();
      releaseAll();
      callback(error);
    },
  });
}

/**
 * A Node Transform (object mode) that runs its input through an RxJS
 * operator: each written chunk goes into the operator, each value it emits
 * comes out. Ends when the operator completes after the input ended.
 *
 * Like fitting an RxJS section into a pipeline of Node pipes.
 *
 * Backpressure: values the operator emits synchronously are pushed before
 * the write is acknowledged, so Node pauses the writer while the reader is
 * behind. An operator that emits later (async work, buffering) is not paced
 * by Node; pace it with its own bound (e.g. `mapAsync` with `concurrency`).
 *
 * ## Example
 * ```ts
 * import { pipeline } from 'node:stream/promises';
 * import { preprocess, toTransform } from 'corpusflow';
 * await pipeline(readRecords, toTransform(preprocess({ filters: 'simple' })), writeTokens);
 * ```
 *
 * @param operator the operator (`preprocess()`, `toBow(dict)`, `map(...)`, a `pipe(...)` of several).
 * @param options `highWaterMark` of both sides (objects). Default 16.
 * @return a Transform in object mode.
 */
export function toTransform<I, O>(operator: OperatorFunction<I, O>, options: { highWaterMark?: number } = {}): Transform {
  const highWaterMark = options.highWaterMark ?? 16;
  if (!Number.isInteger(highWaterMark) || highWaterMark < 1) throw invalidOption('highWaterMark', 'a positive integer', highWaterMark);
  const input = new Subject<I>();
  let failure: Error | undefined;
  let completed = false;
  let onFlushed: ((error?: Error | null) => void) | undefined;
  const transform = new Transform({
    objectMode: true,
    highWaterMark,
    transform(chunk: I, _encoding, callback) {
      if (failure) return callback(failure);
      input.next(chunk);
      callback(failure ?? null);
    },
    flush(callback) {
      if (completed) return callback(failure ?? null);
      onFlushed = callback;
      input.complete();
    },
    destroy(error, callback) {
      subscription.unsubscribe();
      callback(error);
    },
  });
  const subscription = input.pipe(operator).subscribe({
    next: (value) => {
      if (value !== null && value !== undefined) transform.push(value);
    },
    error: (e) => {
      failure = e instanceof Error ? e : new Error(String(e));
      if (onFlushed) onFlushed(failure);
      else transform.destroy(failure);
    },
    complete: () => {
      completed = true;
      // an operator like take(n) may complete before the input ends: end the readable side now
      if (onFlushed) onFlushed(null);
      else transform.push(null);
    },
  });
  return transform;
}
