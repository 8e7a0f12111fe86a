import { map, type OperatorFunction } from 'rxjs';
import type { Document, TokenizedDocument } from '../sources/types.js';
import { compileFilters, type FilterSpec } from './preprocess.js';
import { simplePreprocess, type SimplePreprocessOptions } from './tokenize.js';

/** Options of the `preprocess` operator. */
export interface PreprocessOptions extends SimplePreprocessOptions {
  /**
   * The tokenizer: 'default' (gensim's preprocess_string with DEFAULT_FILTERS, the default), 'simple'
   * (gensim's simple_preprocess with deacc/minLen/maxLen), 'none' (split on whitespace, for pre-tokenised
   * corpora), or an array of gensim filter names (`'strip_tags'`, ...) and your own `(s: string) => string`
   * functions, applied in order before the final whitespace split.
   */
  filters?: FilterSpec;
  /** Stop words for `remove_stopwords` in the chain (default gensim's 337 STOPWORDS). To extend: `[...STOPWORDS, 'foo']`. */
  stopwords?: Iterable<string>;
  /** Minimum length for `strip_short` in the chain (default 3). */
  minsize?: number;
}

/**
 * Turn documents into token lists, gensim-identically: each `Document` becomes a `TokenizedDocument` with the
 * same id and other fields, `text` replaced by `tokens`. Like a `map` over the stream with gensim's
 * `preprocess_string` (or `simple_preprocess`) inside; no buffering, one document out per document in.
 *
 * ## Example
 * ```ts
 * import { fromDocuments, preprocess, STOPWORDS } from 'corpusflow';
 * fromDocuments([{ id: 1, text: '<p>Cats and ponies were running!</p>' }])
 *   .pipe(preprocess({ filters: ['lowercase', 'strip_tags', 'strip_punctuation', (s) => s.replace(/ponies/g, 'horses')] }))
 *   .subscribe((doc) => console.log(doc)); // { id: 1, tokens: ['cats', 'and', 'horses', 'were', 'running'] }
 * ```
 * @see preprocessString
 * @see simplePreprocess
 * @param options - filters ('default' | 'simple' | 'none' | names and functions), stopwords, minsize, and deacc/minLen/maxLen for 'simple'
 * @return an operator Document → TokenizedDocument
 */
export function preprocess(options: PreprocessOptions = {}): OperatorFunction<Document, TokenizedDocument> {
  const { filters = 'default', deacc, minLen, maxLen, stopwords, minsize } = options;
  // Built and validated once, at pipe time, so a bad filter name fails before any document is read.
  let tokenizer: (text: string) => string[];
  if (filters === 'simple') {
    const simpleOptions = { deacc, minLen, maxLen };
    simplePreprocess('', simpleOptions); // validates minLen/maxLen
    tokenizer = (text) => simplePreprocess(text, simpleOptions);
  } else {
    tokenizer = compileFilters(filters, { stopwords, minsize });
  }
  return map((doc: Document): TokenizedDocument => {
    const { text, ...rest } = doc;
    return { ...rest, id: doc.id, tokens: tokenizer(text) };
  });
}
