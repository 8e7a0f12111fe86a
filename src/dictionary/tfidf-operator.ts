import { map, type OperatorFunction } from 'rxjs';
import type { TfidfModel } from './tfidf.js';
import type { BowDocument } from './types.js';

/**
 * Re-weight each bag of words with a TF-IDF model.
 *
 * Like turning a receipt's quantities into "how telling is this purchase"
 * scores: `bow` keeps its shape (`[id, weight]` pairs), so the result still
 * feeds batchBow; the other fields pass through.
 *
 * ## Example
 * ```ts
 * import { TfidfModel, toBow, tfidf } from 'corpusflow';
 * const model = TfidfModel.fromDictionary(dict);
 * tokenised$.pipe(toBow(dict), tfidf(model));
 * ```
 *
 * @see toBow
 * @param model A fitted TfidfModel.
 * @return An operator from BowDocument to BowDocument with tf-idf weights.
 */
export function tfidf<T extends BowDocument>(model: TfidfModel): OperatorFunction<T, T> {
  return map((doc) => ({ ...doc, bow: model.transform(doc.bow) }));
}
