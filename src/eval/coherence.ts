/**
 * Topic coherence, computed exactly as gensim 4.2's `CoherenceModel` does for
 * `u_mass`, `c_uci`, `c_npmi` and `c_v`, but in one streaming pass over the
 * reference texts: only the topic words' (co-)occurrence counts are kept, never
 * the corpus.
 *
 * How gensim counts, and so how we count (each point checked against
 * gensim/topic_coherence/*.py):
 * - Topic words missing from the dictionary are dropped first; then every
 *   topic is cut to `topn` words, but only when the *first* topic is longer
 *   than `topn` (gensim tests the first topic's length only).
 * - `u_mass` counts documents (boolean document): a word occurs in a document
 *   if it appears in it at least once.
 * - `c_uci`, `c_npmi` (window 10) and `c_v` (window 110) count virtual
 *   documents: each text of length L >= w gives the L-w+1 windows of w
 *   consecutive tokens (all tokens, topic words or not); a shorter text is
 *   one window of its own. `numDocs` is the number of windows. Empty texts
 *   are skipped here (gensim 4.2 raises IndexError on them); for u_mass they
 *   count as documents, as in gensim.
 * - Which words are "in" a window follows gensim's incremental update, not the
 *   exact window contents: on sliding, the token that leaves is unmarked even
 *   if another copy of it is still inside the window, and the token that
 *   enters is marked. We reproduce that quirk so that results match to 1e-12.
 * - EPSILON = 1e-12 in the same places; the mean over segments and over
 *   topics is the arithmetic mean.
 */
import type { Observable } from 'rxjs';
import { CorpusflowError, invalidOption } from '../errors.js';
import { consume } from './consume.js';

/** The coherence measures gensim's CoherenceModel offers that corpusflow reproduces. */
export type CoherenceMeasure = 'u_mass' | 'c_uci' | 'c_npmi' | 'c_v';

export const COHERENCE_MEASURES: readonly CoherenceMeasure[] = ['u_mass', 'c_uci', 'c_npmi', 'c_v'];

/** gensim's default sliding-window sizes (`SLIDING_WINDOW_SIZES`); `u_mass` uses whole documents. */
export const DEFAULT_WINDOW_SIZES: Readonly<Record<CoherenceMeasure, number | null>> = {
  u_mass: null,
  c_uci: 10,
  c_npmi: 10,
  c_v: 110,
};

const EPSILON = 1e-12;

/** One reference text: its tokens, or a tokenised document (`{tokens}`) as `preprocess()` emits. */
export type CoherenceText = readonly string[] | { readonly tokens: readonly string[] };

/**
 * The reference texts, read once: an array or other iterable, an async iterable
 * (a stream), an Observable (a corpusflow pipeline), or a function returning one.
 */
export type CoherenceTexts =
  | Iterable<CoherenceText>
  | AsyncIterable<CoherenceText>
  | Observable<CoherenceText>
  | (() => Iterable<CoherenceText> | AsyncIterable<CoherenceText> | Observable<CoherenceText>);

export interface CoherenceOptions {
  /** Measure to compute (gensim's `coherence`). Default `'c_npmi'`. */
  measure?: CoherenceMeasure;
  /** Words per topic to score (gensim's `topn`). Default 10. */
  topn?: number;
  /** Sliding-window size for c_uci/c_npmi/c_v; default gensim's (10, 10, 110). Ignored by u_mass. */
  windowSize?: number;
  /**
   * The dictionary gensim would be given: topic words it does not know are dropped.
   * Default: every token that occurs in the texts, as gensim with `Dictionary(texts)`.
   */
  dictionary?: { readonly token2id: ReadonlyMap<string, number> };
}

export interface CoherenceManyOptions extends Omit<CoherenceOptions, 'measure'> {
  /** Measures to compute in the same pass. Default: all four. */
  measures?: readonly CoherenceMeasure[];
}

export interface CoherenceResult {
  measure: CoherenceMeasure;
  /** Coherence of each topic, in the order given (NaN where gensim gives NaN, e.g. a one-word topic). */
  perTopic: number[];
  /** Arithmetic mean of `perTopic` (gensim's `get_coherence()`). */
  mean: number;
  /** Window size used; null for u_mass. */
  windowSize: number | null;
  /** Number of (virtual) documents the probabilities were estimated from. */
  numDocs: number;
  /** The words actually scored: unknown words dropped, cut to `topn`. */
  topics: string[][];
}

/** Co-occurrence counts of the topic words: `occurrences(a)`, `coOccurrences(a, b)` over `numDocs` (virtual) documents. */
interface OccurrenceCounts {
  readonly numDocs: number;
  occurrences(a: number): number;
  coOccurrences(a: number, b: number): number;
}

/** Index into an upper-triangular pair matrix for a < b; keeps memory at R²/2 counters. */
function pairIndex(a: number, b: number, r: number): number {
  return (a * (2 * r - a - 1)) / 2 + (b - a - 1);
}

/** Boolean-document counts (`u_mass`): a word occurs in a document or not. */
class DocumentCounter implements OccurrenceCounts {
  numDocs = 0;
  private readonly occ: Float64Array;
  private readonly co: Uint32Array;
  private readonly stamp: Int32Array;
  private readonly present: Int32Array;

  constructor(private readonly r: number) {
    this.occ = new Float64Array(r);
    this.co = new Uint32Array((r * (r - 1)) / 2);
    this.stamp = new Int32Array(r).fill(-1);
    this.present = new Int32Array(r);
  }

  /** @param ids the document's tokens as topic-word indices, -1 for any other token. */
  addDocument(ids: Int32Array, length: number): void {
    const doc = this.numDocs++;
    let k = 0;
    for (let i = 0; i < length; i++) {
      const id = ids[i]!;
      if (id >= 0 && this.stamp[id] !== doc) {
        this.stamp[id] = doc;
        this.present[k++] = id;
      }
    }
    for (let i = 0; i < k; i++) {
      const a = this.present[i]!;
      this.occ[a]! += 1;
      for (let j = i + 1; j < k; j++) {
        const b = this.present[j]!;
        this.co[a < b ? pairIndex(a, b, this.r) : pairIndex(b, a, this.r)]! += 1;
      }
    }
  }

  occurrences(a: number): number {
    return this.occ[a]!;
  }

  coOccurrences(a: number, b: number): number {
    if (a === b) return this.occ[a]!;
    return a < b ? this.co[pairIndex(a, b, this.r)]! : this.co[pairIndex(b, a, this.r)]!;
  }
}

/**
 * Sliding-window counts (`c_uci`, `c_npmi`, `c_v`), with gensim's update rule.
 *
 * Rather than visiting every pair of marked words in every window (what gensim
 * does, O(windows·k²)), we record when each word's mark switches on and off:
 * a word is marked during runs of consecutive windows, and a pair co-occurs in
 * as many windows as its runs overlap. Overlaps are added when a run ends, so
 * the cost is O(mark changes · marked words).
 */
class WindowCounter implements OccurrenceCounts {
  numDocs = 0;
  private readonly occ: Float64Array;
  private readonly co: Uint32Array;
  /** Window index at which each currently marked word's run started. */
  private readonly start: Float64Array;
  /** Marked words, and each word's slot in that list (-1: not marked). */
  private readonly active: Int32Array;
  private readonly slot: Int32Array;
  private nActive = 0;

  constructor(private readonly r: number, readonly windowSize: number) {
    this.occ = new Float64Array(r);
    this.co = new Uint32Array((r * (r - 1)) / 2);
    this.start = new Float64Array(r);
    this.active = new Int32Array(r);
    this.slot = new Int32Array(r).fill(-1);
  }

  private mark(a: number, t: number): void {
    this.slot[a] = this.nActive;
    this.active[this.nActive++] = a;
    this.start[a] = t;
  }

  /** Ends word a's run before window t: it was marked in windows [start, t). */
  private unmark(a: number, t: number): void {
    const s = this.slot[a]!;
    const last = this.active[--this.nActive]!;
    this.active[s] = last;
    this.slot[last] = s;
    this.slot[a] = -1;
    const sa = this.start[a]!;
    this.occ[a]! += t - sa;
    for (let i = 0; i < this.nActive; i++) {
      const b = this.active[i]!;
      const sb = this.start[b]!;
      const overlap = t - (sa > sb ? sa : sb);
      if (overlap > 0) {
        if (a < b) this.co[pairIndex(a, b, this.r)]! += overlap;
        else this.co[pairIndex(b, a, this.r)]! += overlap;
      }
    }
  }

  /** @param ids the text's tokens as topic-word indices, -1 for any other token. */
  addDocument(ids: Int32Array, length: number): void {
    const w = this.windowSize;
    const t0 = this.numDocs;
    const windows = length >= w ? length - w + 1 : 1;
    const first = length < w ? length : w;
    for (let i = 0; i < first; i++) {
      const id = ids[i]!;
      if (id >= 0 && this.slot[id] === -1) this.mark(id, t0);
    }
    for (let i = 1; i < windows; i++) {
      const t = t0 + i;
      const leaving = ids[i - 1]!;
      const entering = ids[i + w - 1]!;
      if (leaving === entering) {
        // gensim unmarks it and marks it again: it ends up marked, whatever it was before
        if (entering >= 0 && this.slot[entering] === -1) this.mark(entering, t);
        continue;
      }
      if (leaving >= 0 && this.slot[leaving] !== -1) this.unmark(leaving, t);
      if (entering >= 0 && this.slot[entering] === -1) this.mark(entering, t);
    }
    const end = t0 + windows;
    while (this.nActive > 0) this.unmark(this.active[this.nActive - 1]!, end);
    this.numDocs = end;
  }

  occurrences(a: number): number {
    return this.occ[a]!;
  }

  coOccurrences(a: number, b: number): number {
    if (a === b) return this.occ[a]!;
    return a < b ? this.co[pairIndex(a, b, this.r)]! : this.co[pairIndex(b, a, this.r)]!;
  }
}

function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN; // numpy's mean of nothing
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** gensim's log_ratio_measure for one pair; `normalize` gives NPMI. */
function logRatio(counts: OccurrenceCounts, a: number, b: number, normalize: boolean): number {
  const n = counts.numDocs;
  const co = counts.coOccurrences(a, b);
  const pmi = Math.log((co / n + EPSILON) / ((counts.occurrences(a) / n) * (counts.occurrences(b) / n)));
  return normalize ? pmi / -Math.log(co / n + EPSILON) : pmi;
}

/** u_mass: one-preceding segmentation, log conditional probability. */
function uMass(topic: readonly number[], counts: OccurrenceCounts): number {
  const n = counts.numDocs;
  const sims: number[] = [];
  for (let i = 1; i < topic.length; i++) {
    for (let j = 0; j < i; j++) {
      const star = counts.occurrences(topic[j]!);
      // gensim catches the ZeroDivisionError of an empty corpus or unseen word and scores 0
      if (n === 0 || star === 0) sims.push(0);
      else sims.push(Math.log((counts.coOccurrences(topic[i]!, topic[j]!) / n + EPSILON) / (star / n)));
    }
  }
  return mean(sims);
}

/** c_uci / c_npmi: one-one segmentation (every ordered pair), log ratio. */
function logRatioTopic(topic: readonly number[], counts: OccurrenceCounts, normalize: boolean): number {
  const sims: number[] = [];
  for (let i = 0; i < topic.length; i++) {
    for (let j = 0; j < topic.length; j++) {
      if (i !== j) sims.push(logRatio(counts, topic[i]!, topic[j]!, normalize));
    }
  }
  return mean(sims);
}

/**
 * c_v: one-set segmentation; each word's context vector holds its NPMI with
 * every topic word, the topic's vector is the sum of those, and the score is
 * the mean cosine between each word's vector and the topic's.
 */
function cV(topic: readonly number[], counts: OccurrenceCounts, npmiCache: Map<number, number>, r: number): number {
  // the vector's coordinates are the topic's distinct words, in first-seen order
  const coord = new Map<number, number>();
  for (const w of topic) if (!coord.has(w)) coord.set(w, coord.size);
  const dim = coord.size;
  const npmi = (a: number, b: number): number => {
    const key = a < b ? a * r + b : b * r + a;
    let v = npmiCache.get(key);
    if (v === undefined) {
      v = logRatio(counts, a, b, true);
      npmiCache.set(key, v);
    }
    return v;
  };
  const wordVector = (w: number): Float64Array => {
    const v = new Float64Array(dim);
    for (const wj of topic) v[coord.get(wj)!]! += npmi(w, wj);
    return v;
  };
  const topicVector = new Float64Array(dim);
  for (const wj of topic) {
    const c = coord.get(wj)!;
    for (const wi of topic) topicVector[c]! += npmi(wi, wj);
  }
  const norm = (v: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
    return Math.sqrt(s);
  };
  const topicNorm = norm(topicVector);
  const sims = new Float64Array(topic.length);
  for (let i = 0; i < topic.length; i++) {
    const v = wordVector(topic[i]!);
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += v[k]! * topicVector[k]!;
    sims[i] = dot / (norm(v) * topicNorm);
  }
  return mean(sims);
}

function validateOptions(topics: readonly (readonly string[])[], options: CoherenceManyOptions): {
  measures: CoherenceMeasure[];
  topn: number;
  windowSize: number | undefined;
} {
  if (!Array.isArray(topics) || topics.length === 0) throw invalidOption('topics', 'a non-empty array of topics (arrays of words)', topics);
  topics.forEach((topic, i) => {
    if (!Array.isArray(topic) || topic.length === 0 || topic.some((w) => typeof w !== 'string')) {
      throw invalidOption(`topics[${i}]`, 'a non-empty array of words', topic);
    }
  });
  const measures = [...(options.measures ?? COHERENCE_MEASURES)];
  if (measures.length === 0) throw invalidOption('measures', `one or more of ${COHERENCE_MEASURES.join(', ')}`, measures);
  for (const m of measures) {
    if (!COHERENCE_MEASURES.includes(m)) throw invalidOption('measure', `one of ${COHERENCE_MEASURES.join(', ')}`, m);
  }
  const topn = options.topn ?? 10;
  if (!Number.isInteger(topn) || topn < 1) throw invalidOption('topn', 'a positive integer', topn);
  const windowSize = options.windowSize;
  if (windowSize !== undefined && (!Number.isInteger(windowSize) || windowSize < 1)) {
    throw invalidOption('windowSize', 'a positive integer', windowSize);
  }
  return { measures, topn, windowSize };
}

/**
 * Counts topic-word (co-)occurrences over texts fed one at a time, then scores
 * the topics; the push-style core of {@link coherence}, for callers that already
 * hold a loop over their corpus.
 *
 * Like a tally sheet with one row per topic word: each text adds its marks and
 * is forgotten.
 *
 * ## Example
 * ```ts
 * import { CoherenceAccumulator } from 'corpusflow';
 * const acc = new CoherenceAccumulator([['cat', 'dog'], ['tax', 'vote']], { measures: ['c_npmi', 'u_mass'] });
 * for (const tokens of texts) acc.add(tokens);
 * console.log(acc.result('c_npmi').mean);
 * ```
 *
 * **Warning:** memory grows with the square of the number of distinct topic
 * words (one counter per pair and per window size): 2,000 words take about 8 MB
 * per measure family.
 */
export class CoherenceAccumulator {
  private readonly topics: string[][];
  private readonly topn: number;
  private readonly measures: CoherenceMeasure[];
  private readonly dictionary: CoherenceOptions['dictionary'];
  /** Topic word -> row in the count tables. */
  private readonly index = new Map<string, number>();
  private readonly seen: Uint8Array;
  private readonly documents: DocumentCounter | undefined;
  private readonly windows = new Map<number, WindowCounter>();
  private readonly windowOf: Partial<Record<CoherenceMeasure, number>> = {};
  private ids = new Int32Array(256);
  /** Texts added so far, to name the record of a bad one. */
  private texts = 0;

  /**
   * @param topics each topic's words, most probable first.
   * @param options measures to prepare for, `topn`, `windowSize`, `dictionary`.
   */
  constructor(topics: readonly (readonly string[])[], options: CoherenceManyOptions = {}) {
    const { measures, topn, windowSize } = validateOptions(topics, options);
    this.topics = topics.map((t) => [...t]);
    this.topn = topn;
    this.measures = measures;
    this.dictionary = options.dictionary;
    // count every listed word, not only the first topn: dropping unknown words may pull later ones in
    for (const topic of this.topics) for (const w of topic) if (!this.index.has(w)) this.index.set(w, this.index.size);
    const r = this.index.size;
    this.seen = new Uint8Array(r);
    if (measures.includes('u_mass')) this.documents = new DocumentCounter(r);
    for (const m of measures) {
      const w = DEFAULT_WINDOW_SIZES[m] === null ? null : (windowSize ?? DEFAULT_WINDOW_SIZES[m]!);
      if (w === null) continue;
      this.windowOf[m] = w;
      if (!this.windows.has(w)) this.windows.set(w, new WindowCounter(r, w));
    }
  }

  /** Adds one reference text (its tokens in order). */
  add(text: CoherenceText): void {
    this.texts++;
    const tokens = Array.isArray(text) ? (text as readonly string[]) : (text as { tokens?: unknown } | null | undefined)?.tokens;
    if (!Array.isArray(tokens)) {
      throw new CorpusflowError('INVALID_FIELD_TYPE', 'a coherence text must be an array of tokens or a document with a tokens array', {
        position: { record: this.texts, field: 'tokens' },
      });
    }
    const n = tokens.length;
    if (this.ids.length < n) this.ids = new Int32Array(Math.max(n, this.ids.length * 2));
    const ids = this.ids;
    for (let i = 0; i < n; i++) {
      const id = this.index.get(tokens[i]!);
      if (id === undefined) ids[i] = -1;
      else {
        ids[i] = id;
        this.seen[id] = 1;
      }
    }
    this.documents?.addDocument(ids, n);
    // gensim 4.2 raises IndexError on an empty text in the window measures; we skip it, which
    // gives what gensim gives once the empty texts are removed (the only way to run it there)
    if (n > 0) for (const counter of this.windows.values()) counter.addDocument(ids, n);
  }

  /** The topics as gensim scores them: unknown words dropped, then cut to topn. */
  scoredTopics(): string[][] {
    const known = (w: string): boolean =>
      this.dictionary ? this.dictionary.token2id.has(w) : this.seen[this.index.get(w)!] === 1;
    const kept = this.topics.map((topic, i) => {
      const words = topic.filter(known);
      if (words.length === 0) {
        throw new CorpusflowError('INVALID_OPTION', `topic ${i} has no word that ${this.dictionary ? 'is in the dictionary' : 'occurs in the texts'}`, {
          position: { field: `topics[${i}]` },
          hint: 'check that the topics and the texts were tokenised the same way',
        });
      }
      return words;
    });
    // gensim only cuts when the first topic is longer than topn
    return kept[0]!.length > this.topn ? kept.map((t) => t.slice(0, this.topn)) : kept;
  }

  /**
   * Scores the topics with one of the prepared measures.
   * @param measure one of the measures passed to the constructor.
   * @return per-topic scores and their mean.
   */
  result(measure: CoherenceMeasure): CoherenceResult {
    if (!this.measures.includes(measure)) {
      throw invalidOption('measure', `one of the prepared measures ${this.measures.join(', ')}`, measure);
    }
    const topics = this.scoredTopics();
    const idTopics = topics.map((t) => t.map((w) => this.index.get(w)!));
    const counts: OccurrenceCounts = measure === 'u_mass' ? this.documents! : this.windows.get(this.windowOf[measure]!)!;
    let perTopic: number[];
    if (measure === 'u_mass') perTopic = idTopics.map((t) => uMass(t, counts));
    else if (measure === 'c_v') {
      const cache = new Map<number, number>();
      perTopic = idTopics.map((t) => cV(t, counts, cache, this.index.size));
    } else perTopic = idTopics.map((t) => logRatioTopic(t, counts, measure === 'c_npmi'));
    return {
      measure,
      perTopic,
      mean: mean(perTopic),
      windowSize: measure === 'u_mass' ? null : this.windowOf[measure]!,
      numDocs: counts.numDocs,
      topics,
    };
  }
}

/**
 * Scores topics with several coherence measures in one pass over the texts,
 * each identical to gensim 4.2's `CoherenceModel(topics=..., texts=..., coherence=m).get_coherence()`.
 *
 * ## Example
 * ```ts
 * import { coherenceMeasures } from 'corpusflow';
 * const r = await coherenceMeasures(topics, () => readTokens('corpus.ndjson'), { measures: ['c_npmi', 'c_v'] });
 * console.log(r.c_npmi!.mean, r.c_v!.mean);
 * ```
 *
 * @param topics each topic's words, most probable first.
 * @param texts the reference corpus, tokenised the same way as the topics; read once, never held.
 * @param options `measures` (default all four), `topn` (10), `windowSize`, `dictionary`.
 * @return one result per requested measure.
 */
export async function coherenceMeasures(
  topics: readonly (readonly string[])[],
  texts: CoherenceTexts,
  options: CoherenceManyOptions = {},
): Promise<Partial<Record<CoherenceMeasure, CoherenceResult>>> {
  const acc = new CoherenceAccumulator(topics, options);
  await consume(typeof texts === 'function' ? texts() : texts, (t) => acc.add(t), 'texts');
  const out: Partial<Record<CoherenceMeasure, CoherenceResult>> = {};
  for (const m of options.measures ?? COHERENCE_MEASURES) out[m] = acc.result(m);
  return out;
}

/**
 * Scores topics with one coherence measure, identical to gensim 4.2's
 * `CoherenceModel(topics=..., texts=..., dictionary=Dictionary(texts), coherence=measure, topn=topn)`.
 *
 * Like asking how often a topic's top words turn up together in real text:
 * words that keep each other company make a coherent topic.
 *
 * ## Example
 * ```ts
 * import { coherence, ndjsonSource, preprocess } from 'corpusflow';
 * const texts = () => ndjsonSource('news.ndjson').pipe(preprocess({ filters: 'none' }));
 * const { perTopic, mean } = await coherence(model.topics(dictionary, 10).map((t) => t.words), texts, { measure: 'c_npmi' });
 * ```
 *
 * @see coherenceMeasures to compute several measures in one pass.
 * @param topics each topic's words, most probable first.
 * @param texts the reference corpus, tokenised the same way as the topics; read once, never held.
 * @param options `measure` (default 'c_npmi'), `topn` (10), `windowSize` (gensim's per-measure default), `dictionary`.
 * @return per-topic scores and their arithmetic mean.
 */
export async function coherence(
  topics: readonly (readonly string[])[],
  texts: CoherenceTexts,
  options: CoherenceOptions = {},
): Promise<CoherenceResult> {
  const measure = options.measure ?? 'c_npmi';
  const { measure: _ignored, ...rest } = options;
  const results = await coherenceMeasures(topics, texts, { ...rest, measures: [measure] });
  return results[measure]!;
}
