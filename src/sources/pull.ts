/**
 * The pull-driven core every source is built on.
 *
 * A source supplies a reader: an async generator of small batches (one batch
 * per bounded read), each batch a lazy iterable of documents or record errors.
 * The core pulls a batch, then for each item waits for flow-control credit,
 * applies the onError policy and emits synchronously with `subscriber.next`.
 * It asks for the next batch only after all of the current one was handed
 * downstream, so reading is paced by consumption and nothing is buffered
 * beyond one read. Unsubscribing (take(n), a downstream error) aborts the
 * loop and returns the generator, whose `finally` closes the file.
 */
import { Observable, type Subscriber } from 'rxjs';
import { CorpusflowError } from '../errors.js';
import { createAtomicWriteStream, type AtomicWriteStream } from '../io/atomic.js';
import type { FlowControl } from './flow.js';
import type { NormalisedSourceOptions } from './options.js';
import type { Document, Source, SourceStats } from './types.js';

/** One thing a reader produces: a document, or the error of one bad record. */
export type SourceItem = Document | CorpusflowError;

/** What a reader gets for one subscription. */
export interface ReadContext {
  /** The counters of this subscription; readers update `bytesRead` and `bytesTotal`. */
  readonly stats: SourceStats;
  /** Aborted when the subscriber unsubscribes; readers waiting on input should stop. */
  readonly signal: AbortSignal;
}

/** Opens the input for one subscription and yields batches of items; its `finally` must release the input. */
export type Reader = (context: ReadContext) => AsyncIterable<Iterable<SourceItem>>;

/** Fresh counters for one subscription. */
export function emptyStats(): SourceStats {
  return { records: 0, emitted: 0, skipped: 0, skippedByCode: {}, bytesRead: 0 };
}

/**
 * A cold Observable of documents read by a {@link Reader}. Each subscription
 * is one epoch from the start of the input; `stats` are those of the latest.
 *
 * Like a librarian who fetches the next book only when you hand back the last
 * one: nothing piles up on the desk, however big the library.
 *
 * The sources (`ndjsonSource`, `csvSource`, `textSource`, `fromDocuments`)
 * return one; build your own for another format by passing a reader.
 *
 * ## Example
 * ```ts
 * import { ndjsonSource, mapAsync } from 'corpusflow';
 * const docs = ndjsonSource('corpus.ndjson', { onError: 'skip' });
 * docs.pipe(mapAsync(embed, { flow: docs.flow, concurrency: 2 })).subscribe({
 *   complete: () => console.log(docs.description, docs.stats),
 * });
 * ```
 *
 * @param description One line for summaries, e.g. `ndjson(data/x.ndjson.gz)`.
 * @param options Normalised source options (error policy, dead letter, flow control).
 * @param reader Opens the input per subscription and yields batches of documents or record errors.
 */
export class PullSource extends Observable<Document> implements Source<Document> {
  readonly description: string;
  /** The flow control this source waits on; pass it to async stages such as `mapAsync`. */
  readonly flow: FlowControl;
  private latest: SourceStats = emptyStats();

  constructor(description: string, options: NormalisedSourceOptions, reader: Reader) {
    super((subscriber) => {
      const stats = emptyStats();
      this.latest = stats;
      const controller = new AbortController();
      void pump(subscriber, reader, options, stats, controller.signal);
      return () => controller.abort();
    });
    this.description = description;
    this.flow = options.flow;
  }

  /** Counters of the most recent subscription (live while it runs). */
  get stats(): SourceStats {
    return this.latest;
  }

  override toString(): string {
    return this.description;
  }
}

/** One line of a dead-letter file. */
function deadLetterLine(error: CorpusflowError): string {
  const p = error.position;
  return (
    JSON.stringify({
      file: p.file ?? null,
      line: p.line ?? null,
      record: p.record ?? null,
      byte: p.byte ?? null,
      code: error.code,
      reason: error.reason,
      raw: error.raw ?? null,
    }) + '\n'
  );
}

function waitForDrain(stream: AtomicWriteStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function pump(
  subscriber: Subscriber<Document>,
  reader: Reader,
  options: NormalisedSourceOptions,
  stats: SourceStats,
  signal: AbortSignal,
): Promise<void> {
  const { flow, onError } = options;
  let deadLetter: AtomicWriteStream | undefined;
  let deadLetterError: unknown;
  let failure: unknown;
  let completed = false;
  let batches: AsyncIterator<Iterable<SourceItem>> | undefined;
  try {
    if (options.deadLetter !== undefined) {
      deadLetter = createAtomicWriteStream(options.deadLetter);
      // Surface write errors at the next record instead of as an unhandled 'error' event.
      deadLetter.on('error', (e) => (deadLetterError ??= e));
    }
    batches = reader({ stats, signal })[Symbol.asyncIterator]();
    reading: for (;;) {
      const next = await batches.next();
      if (signal.aborted) break;
      if (next.done) {
        completed = true;
        break;
      }
      const items = next.value[Symbol.iterator]();
      for (;;) {
        // Credit first, then pull: an item is only produced once it can be emitted.
        if (!flow.hasCredit) {
          await flow.whenCredit(signal);
          if (signal.aborted) break reading;
        }
        const step = items.next();
        if (step.done) break;
        const item = step.value;
        stats.records++;
        if (item instanceof CorpusflowError) {
          if (onError === 'fail' || !item.isRecordError) throw item;
          stats.skipped++;
          stats.skippedByCode[item.code] = (stats.skippedByCode[item.code] ?? 0) + 1;
          if (deadLetter) {
            if (deadLetterError) throw deadLetterError;
            if (!deadLetter.write(deadLetterLine(item))) await waitForDrain(deadLetter, signal);
            if (signal.aborted) break reading;
          }
          continue;
        }
        stats.emitted++;
        subscriber.next(item);
        // take(n) and friends unsubscribe synchronously inside next().
        if (signal.aborted) break reading;
      }
    }
  } catch (e) {
    failure = e;
  }
  // Release the input before telling anyone we are done, so a completed or
  // failed source never holds a file descriptor.
  if (batches?.return) {
    try {
      await batches.return(undefined);
    } catch (e) {
      failure ??= e;
    }
  }
  if (deadLetter) {
    try {
      await deadLetter.commit();
    } catch (e) {
      failure ??= e;
    }
  }
  if (signal.aborted) return;
  // Readers turn their own I/O failures into CorpusflowErrors; anything else
  // (a user's iterator throwing) is passed on as it is.
  if (failure !== undefined) subscriber.error(failure);
  else if (completed) subscriber.complete();
}
