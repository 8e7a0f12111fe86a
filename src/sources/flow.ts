/**
 * Credit-based flow control between a pull-driven source and asynchronous
 * stages downstream. RxJS itself has no backpressure: a source that emits
 * synchronously is naturally paced by synchronous operators (the next read
 * only starts after `next()` returned), but an async stage returns at once
 * and would let the source race ahead. A FlowControl closes that gap.
 */
import { invalidOption } from '../errors.js';

/** Options of {@link FlowControl}. */
export interface FlowControlOptions {
  /** Most documents that may be emitted but not yet finished by async stages. Default 64. */
  highWaterMark?: number;
}

/**
 * A counter of documents in flight, shared by a source and the async stages
 * after it. An async stage calls `hold()` when it takes a document and the
 * returned release function when it is done; the source emits the next
 * document only while fewer than `highWaterMark` are held.
 *
 * Like a cloakroom with a fixed number of tickets: the door (source) lets the
 * next guest in only when a ticket is free, and a ticket is freed when its
 * coat (document) is collected.
 *
 * Documents that no stage holds (filtered out, or handled synchronously) cost
 * nothing, so a forgotten stage cannot deadlock the pipeline.
 *
 * ## Example
 * ```ts
 * import { FlowControl, ndjsonSource, mapAsync } from 'corpusflow';
 * const flow = new FlowControl({ highWaterMark: 32 });
 * ndjsonSource('docs.ndjson', { flow })
 *   .pipe(mapAsync((doc) => enrich(doc), { flow, concurrency: 4 }))
 *   .subscribe(console.log);
 * ```
 */
export class FlowControl {
  /** The bound on documents in flight. */
  readonly highWaterMark: number;
  /** Most documents ever held at once (for tests and tuning). */
  peakInFlight = 0;
  private held = 0;
  private waiters: Array<() => void> = [];

  constructor(options: FlowControlOptions = {}) {
    const hwm = options.highWaterMark ?? 64;
    if (!Number.isInteger(hwm) || hwm < 1) {
      throw invalidOption('highWaterMark', 'a positive integer', hwm);
    }
    this.highWaterMark = hwm;
  }

  /** Documents currently held by async stages. */
  get inFlight(): number {
    return this.held;
  }

  /** Whether a source may emit another document now. */
  get hasCredit(): boolean {
    return this.held < this.highWaterMark;
  }

  /**
   * Take one credit for a document an async stage has started on.
   *
   * @return A release function; calling it more than once has no further effect.
   */
  hold(): () => void {
    this.held++;
    if (this.held > this.peakInFlight) this.peakInFlight = this.held;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
      if (this.held < this.highWaterMark && this.waiters.length > 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      }
    };
  }

  /**
   * Wait until a credit is free.
   *
   * @param signal Stops the wait early (the promise then resolves; check `signal.aborted`).
   * @return Resolves immediately when a credit is already free.
   */
  whenCredit(signal?: AbortSignal): Promise<void> {
    if (this.hasCredit || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve();
      };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
