/**
 * gensim's `TfidfModel` with its default weighting: raw term frequency times
 * log2(numDocs / df), then L2 normalisation.
 */
import { CorpusflowError } from '../errors.js';
import type { Bow } from './types.js';

/** The statistics a TfidfModel is fitted from (a {@link Dictionary} has them). */
export interface DocumentFrequencies {
  readonly numDocs: number;
  readonly numNnz: number;
  readonly dfs: ReadonlyMap<number, number>;
}

export interface TfidfOptions {
  /** Local weight of a raw count. Default: the count itself (gensim's `wlocal=identity`). */
  wlocal?: (tf: number) => number;
  /** Global weight from df and the number of documents. Default {@link df2idf}: log2(totalDocs / df). */
  wglobal?: (df: number, totalDocs: number) => number;
  /** Scale each vector to unit L2 length (gensim's default). Default true. */
  normalize?: boolean;
}

/** Weights at or below this (in absolute value) are dropped, as gensim's eps. */
const EPS = 1e-12;

/**
 * gensim's default idf: `log(totalDocs / df) / log(2)` (computed as gensim does, via natural logs).
 *
 * @param df Document frequency of the term.
 * @param totalDocs Number of documents.
 * @return The idf weight.
 */
export function df2idf(df: number, totalDocs: number): number {
  return Math.log(totalDocs / df) / Math.log(2);
}

/**
 * TF-IDF weights for bags of words, identical to gensim's `TfidfModel()` defaults.
 *
 * Like marking up a text with a highlighter that is faint for words every
 * document uses and bright for words only a few use.
 *
 * ## Example
 * ```ts
 * import { Dictionary, TfidfModel } from 'corpusflow';
 * const dict = new Dictionary(docs);
 * const model = TfidfModel.fromDictionary(dict);
 * model.transform(dict.doc2bow(['human', 'computer'])); // [[id, weight], ...], unit length
 * ```
 */
export class TfidfModel {
  readonly numDocs: number;
  readonly numNnz: number;
  /** term id → idf weight. Terms not in it get weight 0 and are dropped. */
  readonly idfs: Map<number, number>;
  private readonly wlocal: (tf: number) => number;
  private readonly normalize: boolean;

  /**
   * @param stats numDocs, numNnz and dfs (a Dictionary, or the result of counting a corpus).
   * @param options Weighting functions and normalisation.
   */
  constructor(stats: DocumentFrequencies, options: TfidfOptions = {}) {
    this.numDocs = stats.numDocs;
    this.numNnz = stats.numNnz;
    this.wlocal = options.wlocal ?? ((tf) => tf);
    this.normalize = options.normalize ?? true;
    const wglobal = options.wglobal ?? df2idf;
    this.idfs = new Map();
    for (const [id, df] of stats.dfs) {
      // gensim divides by df and fails on 0; a term no document contains has no idf here, so it gets weight 0.
      if (df > 0) this.idfs.set(id, wglobal(df, stats.numDocs));
    }
  }

  /**
   * Fit from a dictionary's dfs and numDocs (gensim's `TfidfModel(dictionary=dict)`).
   *
   * @param dictionary A Dictionary (anything with numDocs, numNnz, dfs).
   * @param options Weighting functions and normalisation.
   * @return The model.
   */
  static fromDictionary(dictionary: DocumentFrequencies, options: TfidfOptions = {}): TfidfModel {
    return new TfidfModel(dictionary, options);
  }

  /**
   * Fit by counting document frequencies over a bag-of-words corpus (gensim's `TfidfModel(corpus)`).
   *
   * @param corpus Bags of words, one per document.
   * @param options Weighting functions and normalisation.
   * @return The model.
   */
  static fromCorpus(corpus: Iterable<Bow>, options: TfidfOptions = {}): TfidfModel {
    const dfs = new Map<number, number>();
    let numDocs = 0;
    let numNnz = 0;
    for (const bow of corpus) {
      numDocs++;
      numNnz += bow.length;
      for (const [id] of bow) dfs.set(id, (dfs.get(id) ?? 0) + 1);
    }
    return new TfidfModel({ numDocs, numNnz, dfs }, options);
  }

  /**
   * Weight one bag of words.
   *
   * @param bow `[id, count]` pairs.
   * @return `[id, weight]` pairs in the input order, without terms of (near-)zero weight.
   */
  transform(bow: Iterable<readonly [number, number]>): Bow {
    const vector: Bow = [];
    for (const [id, tf] of bow) {
      const idf = this.idfs.get(id) ?? 0;
      if (Math.abs(idf) > EPS) vector.push([id, this.wlocal(tf) * idf]);
    }
    if (this.normalize && vector.length > 0) {
      // Summed in order, as gensim's unitvec does for sparse vectors.
      let sum = 0;
      for (const [, w] of vector) sum += w * w;
      const length = Math.sqrt(sum);
      if (!(length > 0)) {
        throw new CorpusflowError('INVALID_FIELD_TYPE', 'Cannot normalise a bag of words whose weights are all zero', {
          position: { field: 'bow' },
          hint: 'bags of words must not contain explicit zero counts',
        });
      }
      if (length !== 1) for (const entry of vector) entry[1] /= length;
    }
    return vector.filter(([, w]) => Math.abs(w) > EPS);
  }
}
