import type { DocId } from '../sources/types.js';

/** A bag of words: `[tokenId, weight]` pairs in increasing id order (counts from doc2bow, weights after tfidf). */
export type Bow = Array<[number, number]>;

/** What toBow emits: the document's id and other fields, with `bow` in place of `tokens`. */
export interface BowDocument {
  id: DocId;
  bow: Bow;
  [field: string]: unknown;
}
