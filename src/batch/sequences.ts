import type { OperatorFunction } from 'rxjs';
import { invalidOption } from '../errors.js';
import { bufferInto } from './bow.js';
import { checkBoolean, checkPositiveInt } from './options.js';
import { toSequenceBatch } from './tensors.js';
import type { SequenceBatch, SequenceDocument } from './types.js';

export interface BatchSequencesOptions {
  /** Documents per batch. */
  batchSize: number;
  /** Columns of every batch: longer sequences are cut to their first `maxLen` ids, shorter ones padded. */
  maxLen: number;
  /** Id written in padding positions (the mask tells them apart). Default 0. */
  padId?: number;
  /** Drop the last, short batch of each epoch instead of emitting it. Default false. */
  dropRemainder?: boolean;
}

/**
 * Group token-id sequences into padded `[batchSize, maxLen]` int32 batches with a mask.
 * Like seating rows in a theatre: every row has `maxLen` seats, empty seats are marked,
 * and whoever does not fit in a row is left out.
 *
 * ## Example
 * ```ts
 * import { batchSequences } from 'corpusflow';
 * const batches$ = tokenized$.pipe(
 *   map((d) => ({ id: d.id, ids: dictionary.doc2idx(d.tokens) })),
 *   batchSequences({ batchSize: 32, maxLen: 256 }),
 * );
 * ```
 * Negative ids (unknown words from `doc2idx`) are left out before cutting to maxLen.
 * @see batchBow for bag-of-words batches
 * @param options `batchSize`, `maxLen`, `padId` (0), `dropRemainder` (false)
 * @return an operator from SequenceDocument to SequenceBatch; each batch belongs to its consumer, which must `dispose()` it
 *
 * **Warning:** it buffers up to `batchSize` documents (references, not copies).
 */
export function batchSequences(options: BatchSequencesOptions): OperatorFunction<SequenceDocument, SequenceBatch> {
  const batchSize = checkPositiveInt('batchSize', options.batchSize);
  const maxLen = checkPositiveInt('maxLen', options.maxLen);
  const padId = options.padId ?? 0;
  if (!Number.isInteger(padId)) throw invalidOption('padId', 'an integer', padId);
  const dropRemainder = checkBoolean('dropRemainder', options.dropRemainder ?? false);
  return bufferInto(batchSize, dropRemainder, (docs: SequenceDocument[]) => toSequenceBatch(docs, maxLen, padId));
}
