/**
 * Topic recovery: how closely learned topic-word distributions match the true
 * ones of a synthetic corpus (bench/generate.mjs writes those to its --truth file).
 */
import { invalidOption } from '../errors.js';

/**
 * Topic-word weights with the word of each column: `topics[k][j]` is topic k's
 * weight for `vocabulary[j]`. Columns whose word is undefined (free rows of an
 * online model) are ignored. The generator's truth file has this shape.
 */
export interface TopicWordMatrix {
  vocabulary: readonly (string | undefined)[];
  topics: readonly ArrayLike<number>[];
}

export interface TopicRecoveryOptions {
  /**
   * How true topics are paired with learned ones:
   * - `'hungarian'` (default): one-to-one, the pairing with the largest total
   *   similarity (Kuhn–Munkres); a learned topic can stand for one true topic
   *   only, so duplicated topics do not score twice.
   * - `'best'`: each true topic takes its most similar learned topic, which may
   *   also be another true topic's best match.
   */
  matching?: 'hungarian' | 'best';
  /** Apply a softmax to each learned row first (over its worded columns): set it for logits such as ProdLDA's β. */
  softmax?: boolean;
}

export interface TopicRecoveryResult {
  /** Mean over true topics of the cosine similarity with the matched learned topic (0 for an unmatched true topic). */
  mean: number;
  /** For each true topic, the matched learned topic's index (-1 if none) and their cosine similarity. */
  matches: Array<{ trueTopic: number; learnedTopic: number; similarity: number }>;
  /** Full cosine similarity matrix, [true topic][learned topic]. */
  similarity: number[][];
}

/** Rows as dense vectors over the union of both vocabularies, truth's words first. */
function align(learned: TopicWordMatrix, truth: TopicWordMatrix, softmax: boolean): { l: Float64Array[]; t: Float64Array[] } {
  const column = new Map<string, number>();
  const addWords = (vocab: readonly (string | undefined)[]): void => {
    for (const w of vocab) if (w !== undefined && !column.has(w)) column.set(w, column.size);
  };
  addWords(truth.vocabulary);
  addWords(learned.vocabulary);
  const dim = column.size;
  const toRows = (m: TopicWordMatrix, name: string, soft: boolean): Float64Array[] =>
    m.topics.map((row, k) => {
      if (row.length < m.vocabulary.length) {
        throw invalidOption(`${name}.topics[${k}]`, `at least ${m.vocabulary.length} weights (one per vocabulary word)`, `${row.length}`);
      }
      const v = new Float64Array(dim);
      let max = -Infinity;
      if (soft) for (let j = 0; j < m.vocabulary.length; j++) if (m.vocabulary[j] !== undefined && row[j]! > max) max = row[j]!;
      let sum = 0;
      for (let j = 0; j < m.vocabulary.length; j++) {
        const w = m.vocabulary[j];
        if (w === undefined) continue;
        const x = soft ? Math.exp(row[j]! - max) : row[j]!;
        v[column.get(w)!]! += x;
        sum += x;
      }
      if (soft) for (let j = 0; j < dim; j++) v[j]! /= sum;
      return v;
    });
  return { l: toRows(learned, 'learned', softmax), t: toRows(truth, 'truth', false) };
}

function cosine(a: Float64Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/**
 * Minimum-cost assignment of n rows to m >= n columns (Kuhn–Munkres with
 * potentials, O(n²m)). Returns the column of each row.
 */
function hungarian(cost: number[][], n: number, m: number): number[] {
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row (1-based) assigned to column j, 0 = none
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(INF);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) rowToCol[p[j]! - 1] = j - 1;
  return rowToCol;
}

/**
 * Mean best-match cosine similarity between learned and true topic-word
 * distributions, matched one-to-one by the Hungarian method (or each true topic
 * to its nearest learned topic with `matching: 'best'`).
 *
 * Like marking a test against the answer key: each true topic is paired with the
 * learned topic that answers it, and the marks are averaged.
 *
 * ## Example
 * ```ts
 * import { topicRecovery } from 'corpusflow';
 * const truth = JSON.parse(readFileSync('corpus.truth.json', 'utf8')); // from bench/generate.mjs --truth
 * const r = topicRecovery({ vocabulary: words, topics: betaRows }, truth, { softmax: true });
 * console.log(r.mean); // 1 = every true topic recovered exactly
 * ```
 *
 * @param learned the model's topic-word weights with their words.
 * @param truth the true topic-word distributions with their words.
 * @param options `matching` ('hungarian' | 'best'), `softmax` for logit rows.
 * @return the mean similarity, each true topic's match, and the similarity matrix.
 */
export function topicRecovery(learned: TopicWordMatrix, truth: TopicWordMatrix, options: TopicRecoveryOptions = {}): TopicRecoveryResult {
  const matching = options.matching ?? 'hungarian';
  if (matching !== 'hungarian' && matching !== 'best') throw invalidOption('matching', "'hungarian' or 'best'", matching);
  if (truth.topics.length === 0) throw invalidOption('truth.topics', 'at least one topic', truth.topics.length);
  if (learned.topics.length === 0) throw invalidOption('learned.topics', 'at least one topic', learned.topics.length);
  const { l, t } = align(learned, truth, options.softmax ?? false);
  const similarity = t.map((tv) => l.map((lv) => cosine(tv, lv)));
  const n = t.length;
  const m = l.length;
  let learnedOf: number[];
  if (matching === 'best') {
    learnedOf = similarity.map((row) => row.reduce((best, s, j) => (s > row[best]! ? j : best), 0));
  } else if (n <= m) {
    learnedOf = hungarian(similarity.map((row) => row.map((s) => -s)), n, m);
  } else {
    // fewer learned than true topics: assign every learned topic, the rest of the truth stays unmatched
    const trueOf = hungarian(l.map((_, j) => t.map((_, i) => -similarity[i]![j]!)), m, n);
    learnedOf = new Array<number>(n).fill(-1);
    trueOf.forEach((i, j) => {
      learnedOf[i] = j;
    });
  }
  const matches = learnedOf.map((j, i) => ({ trueTopic: i, learnedTopic: j, similarity: j < 0 ? 0 : similarity[i]![j]! }));
  const mean = matches.reduce((s, x) => s + x.similarity, 0) / n;
  return { mean, matches, similarity };
}
