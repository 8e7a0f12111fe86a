import { Observable, type OperatorFunction } from 'rxjs';
import type { TokenizedDocument } from '../sources/types.js';
import type { Bow, BowDocument } from './types.js';
import { atDocument } from './update-dictionary.js';

/** What toBow needs: a Dictionary or HashDictionary. */
export interface BowDictionary {
  doc2bow(tokens: Iterable<string>, options?: { allowUpdate?: boolean }): Bow;
}

export interface ToBowOptions {
  /** Add unseen tokens to the dictionary as they pass (doc2bow's allowUpdate). Default false. */
  allowUpdate?: boolean;
}

/**
 * Turn each tokenised document into a bag of words with a dictionary.
 *
 * Like a cashier scanning items into a receipt of (product code, quantity)
 * lines: tokens become `[id, count]` pairs, unknown tokens are left out.
 * The other fields of the document are kept; `tokens` is replaced by `bow`.
 *
 * ## Example
 * ```ts
 * import { Dictionary, ndjsonSource, preprocess, toBow } from 'corpusflow';
 * const dict = await Dictionary.loadFromText('dict.txt');
 * ndjsonSource('corpus.ndjson').pipe(preprocess(), toBow(dict)).subscribe((d) => console.log(d.id, d.bow));
 * ```
 *
 * @see updateDictionary
 * @param dictionary The Dictionary (or HashDictionary).
 * @param options `allowUpdate`.
 * @return An operator from TokenizedDocument to BowDocument.
 */
export function toBow<T extends TokenizedDocument>(dictionary: BowDictionary, options: ToBowOptions = {}): OperatorFunction<T, BowDocument & Omit<T, 'tokens'>> {
  const allowUpdate = options.allowUpdate === true;
  return (source) =>
    new Observable((subscriber) => {
      let record = 0;
      return source.subscribe({
        next: (doc) => {
          record++;
          let bow: Bow;
          try {
            bow = dictionary.doc2bow(doc.tokens, { allowUpdate });
          } catch (e) {
            subscriber.error(atDocument(e, record, doc.id));
            return;
          }
          const { tokens: _tokens, ...rest } = doc;
          subscriber.next({ ...rest, bow } as BowDocument & Omit<T, 'tokens'>);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
