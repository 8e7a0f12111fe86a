import { Observable, type OperatorFunction } from 'rxjs';
import { CorpusflowError, isCorpusflowError } from '../errors.js';
import type { TokenizedDocument } from '../sources/types.js';

/** What updateDictionary needs: a Dictionary or HashDictionary. */
export interface UpdatableDictionary {
  addDocument(tokens: Iterable<string>): void;
  pruneIfNeeded?(pruneAt: number | null): void;
}

export interface UpdateDictionaryOptions {
  /** As Dictionary.addDocuments: every 10,000 documents, prune to this many tokens. Default 2,000,000; null never prunes. */
  pruneAt?: number | null;
}

/** Re-raise a dictionary error with the document it came from. */
export function atDocument(e: unknown, record: number, id: unknown): unknown {
  if (!isCorpusflowError(e)) return e;
  return new CorpusflowError(e.code, `${e.reason} (document ${JSON.stringify(id)})`, {
    position: { ...e.position, record, field: e.position.field ?? 'tokens' },
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
    cause: e,
  });
}

/**
 * Add each passing document to a dictionary, and pass it on unchanged.
 *
 * Like a clerk who tallies every word of each letter in the ledger as the
 * letters go by on the conveyor belt; the letters themselves are not held up.
 * Each subscription (epoch) adds its documents again, as calling
 * `add_documents` twice would in gensim, and counts its own 10,000-document
 * pruning checkpoints.
 *
 * ## Example
 * ```ts
 * import { lastValueFrom } from 'rxjs';
 * import { Dictionary, ndjsonSource, preprocess, updateDictionary } from 'corpusflow';
 * const dict = new Dictionary();
 * await lastValueFrom(ndjsonSource('corpus.ndjson').pipe(preprocess(), updateDictionary(dict)));
 * dict.filterExtremes();
 * ```
 *
 * @see toBow
 * @param dictionary The Dictionary (or HashDictionary) to update.
 * @param options `pruneAt`.
 * @return An operator that emits the same documents.
 */
export function updateDictionary<T extends TokenizedDocument>(dictionary: UpdatableDictionary, options: UpdateDictionaryOptions = {}): OperatorFunction<T, T> {
  const pruneAt = options.pruneAt === undefined ? 2_000_000 : options.pruneAt;
  return (source) =>
    new Observable<T>((subscriber) => {
      let docno = 0;
      return source.subscribe({
        next: (doc) => {
          try {
            if (docno % 10_000 === 0) dictionary.pruneIfNeeded?.(pruneAt);
            docno++;
            dictionary.addDocument(doc.tokens);
          } catch (e) {
            subscriber.error(atDocument(e, docno, doc.id));
            return;
          }
          subscriber.next(doc);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
