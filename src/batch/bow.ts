import { bufferCount, filter, map, type OperatorFunction } from 'rxjs';
import { invalidOption } from '../errors.js';
import { checkBoolean, checkPositiveInt } from './options.js';
import { toDenseBowBatch, toSparseBowBatch } from './tensors.js';
import type { BowBatch, BowDocument, DenseBowBatch, SparseBowBatch } from './types.js';

export interface BatchBowOptions<F extends 'sparse' | 'dense' = 'sparse' | 'dense'> {
  /** Documents per batch. */
  batchSize: number;
  /** Size of the id range (dictionary size, or the model's vocabulary capacity). */
  vocabSize: number;
  /** `sparse` (default): coordinate lists for gather/segment-sum models; `dense`: a [batch, vocab] matrix. */
  format?: F;
  /** Drop the last, short batch of each epoch instead of emitting it. Default false. */
  dropRemainder?: boolean;
}

/**
 * Group bag-of-words documents into batches of tensors.
 * Like packing eggs into cartons: every `batchSize` documents make one carton, and the
 * last carton of an epoch goes out part-full unless `dropRemainder` is set.
 *
 * ## Example
 * ```ts
 * import { ndjsonSource, preprocess, toBow, batchBow } from 'corpusflow';
 * const batches$ = ndjsonSource('corpus.ndjson').pipe(
 *   preprocess(),
 *   toBow(dictionary),
 *   batchBow({ batchSize: 64, vocabSize: dictionary.size }),
 * );
 * batches$.subscribe((batch) => { ...; batch.dispose(); });
 * ```
 * @see batchSequences for token-id sequences, shuffle to shuffle documents before batching
 * @param options `batchSize`, `vocabSize`, `format` ('sparse' | 'dense'), `dropRemainder`
 * @return an operator from BowDocument to BowBatch; each batch belongs to its consumer, which must `dispose()` it
 *
 * **Warning:** it buffers up to `batchSize` documents (references, not copies). A dense
 * batch holds `batchSize × vocabSize` floats: 64 × 100,000 is 25.6 MB per batch.
 */
export function batchBow(options: BatchBowOptions<'sparse'>): OperatorFunction<BowDocument, SparseBowBatch>;
export function batchBow(options: BatchBowOptions<'dense'>): OperatorFunction<BowDocument, DenseBowBatch>;
export function batchBow(options: BatchBowOptions): OperatorFunction<BowDocument, BowBatch>;
export function batchBow(options: BatchBowOptions): OperatorFunction<BowDocument, BowBatch> {
  const batchSize = checkPositiveInt('batchSize', options.batchSize);
  const vocabSize = checkPositiveInt('vocabSize', options.vocabSize);
  const format = options.format ?? 'sparse';
  if (format !== 'sparse' && format !== 'dense') throw invalidOption('format', "'sparse' or 'dense'", format);
  const dropRemainder = checkBoolean('dropRemainder', options.dropRemainder ?? false);
  const build = format === 'sparse' ? toSparseBowBatch : toDenseBowBatch;
  return bufferInto(batchSize, dropRemainder, (docs: BowDocument[]) => build(docs, vocabSize));
}

/**
 * The batching shared by the batch operators, on top of RxJS's bufferCount (closure state
 * per subscription, partial buffer flushed on complete, buffer released in the finaliser):
 * only the last buffer of an epoch can be short, so dropping the remainder is a length check.
 * A `build` that throws (a bad document) becomes the stream's error and stops the upstream.
 * @internal
 */
export function bufferInto<T, B>(batchSize: number, dropRemainder: boolean, build: (items: T[]) => B): OperatorFunction<T, B> {
  return (source) =>
    source.pipe(
      bufferCount(batchSize),
      filter((items) => !dropRemainder || items.length === batchSize),
      map(build),
    );
}
