/**
 * A gensim-compatible token ↔ id mapping with corpus statistics.
 *
 * Every method follows gensim 4.2's `gensim.corpora.Dictionary` step for step,
 * including the orders Python dicts iterate in, because ids, tie-breaking in
 * filterExtremes and the saved text all depend on them. JavaScript Maps keep
 * insertion order exactly as Python dicts do, so the state is held in Maps.
 */
import { detach } from '../preprocess/porter.js';
import { readFile } from 'node:fs/promises';
import { CorpusflowError, invalidOption } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { compareCodePoints } from './compare.js';
import { sortTokens } from './sort-tokens.js';
import { formatDictionaryText, parseDictionaryText, type TextFormatOptions } from './text-format.js';
import type { Bow } from './types.js';

export interface AddDocumentsOptions {
  /**
   * Every 10,000 documents, if the dictionary holds more than this many tokens,
   * keep only the `pruneAt` with the highest document frequency (gensim's
   * `prune_at`). Bounds memory on large corpora at the cost of exact counts.
   * `null` never prunes. Default 2,000,000.
   */
  pruneAt?: number | null;
}

export interface Doc2BowOptions {
  /** Add unseen tokens (new ids in code point order) and update the statistics. Default false. */
  allowUpdate?: boolean;
  /** Also return the tokens not in the dictionary (before any update) with their counts. Default false. */
  returnMissing?: boolean;
}

/** doc2bow's result with `returnMissing: true`. */
export interface BowWithMissing {
  bow: Bow;
  /** Tokens that were not in the dictionary, in code point order, with their counts in the document. */
  missing: Map<string, number>;
}

export interface FilterExtremesOptions {
  /** Drop tokens in fewer than this many documents. Default 5. */
  noBelow?: number;
  /** Drop tokens in more than this fraction of documents. Default 0.5. */
  noAbove?: number;
  /** Then keep at most this many, most frequent first (`null`: all). Default 100,000. */
  keepN?: number | null;
  /** Tokens kept whatever their frequency (they rank as if in every document). */
  keepTokens?: Iterable<string> | null;
}

export interface FilterTokensOptions {
  /** Ids to remove. */
  badIds?: Iterable<number> | null;
  /** Ids to keep; every other id is removed. */
  goodIds?: Iterable<number> | null;
}

/** Lossless JSON form of a {@link Dictionary} (entries in the Maps' iteration order). */
export interface DictionaryJSON {
  format: 'corpusflow.dictionary';
  version: 1;
  numDocs: number;
  numPos: number;
  numNnz: number;
  token2id: Array<[string, number]>;
  dfs: Array<[number, number]>;
  cfs: Array<[number, number]>;
}

/**
 * Re-maps bags of words built with one dictionary onto a merged one (gensim's `VocabTransform`).
 * Returned by {@link Dictionary.mergeWith}.
 */
export class VocabTransform {
  /** Old id → new id. Old ids not in it are dropped. */
  readonly old2new: Map<number, number>;

  constructor(old2new: Map<number, number>) {
    this.old2new = old2new;
  }

  /**
   * Translate one bag of words.
   *
   * @param bow `[oldId, weight]` pairs.
   * @return `[newId, weight]` pairs sorted by new id; ids without a mapping are dropped.
   */
  transform(bow: Iterable<readonly [number, number]>): Bow {
    const out: Bow = [];
    for (const [oldId, weight] of bow) {
      const newId = this.old2new.get(oldId);
      if (newId !== undefined) out.push([newId, weight]);
    }
    return out.sort(compareBowEntries);
  }
}

/**
 * The Map behind {@link Dictionary.token2id}: a real Map (same methods, same
 * insertion order), plus a shadow index that its own set/delete/clear keep in step.
 *
 * Why: looking a token up as a property of a prototype-less object is about
 * twice as fast in V8 as `Map.get` (one probe into an open-addressed table of
 * interned names instead of a bucket read plus a chain walk), and that one
 * lookup per token occurrence is most of the cost of building a dictionary.
 * Like a phone book with a thumb index: same entries, quicker to open at the right page.
 */
const mapSet = Map.prototype.set;

class TokenMap extends Map<string, number> {
  /** token → id as own properties; undefined once a non-string key went in (lookups then use the Map). */
  index: Record<string, number> | undefined = Object.create(null) as Record<string, number>;
  /** Whether the ids are exactly 0..size-1, each once; undefined: not known since the last change. */
  private bijection: boolean | undefined = true;

  constructor(entries?: Iterable<readonly [string, number]>) {
    // Filled after super(): Map's constructor would call set() before `index` exists.
    super();
    if (entries !== undefined) for (const [token, id] of entries) this.set(token, id);
  }

  /**
   * A TokenMap of `tokens[id] → id`, adopting `index` (which must already map exactly those).
   * Only the Map half is filled: the index is not built twice.
   */
  static fromIndexed(tokens: readonly string[], index: Record<string, number>): TokenMap {
    const map = new TokenMap();
    for (let id = 0; id < tokens.length; id++) mapSet.call(map, tokens[id]!, id);
    map.index = index;
    return map;
  }

  override set(token: string, id: number): this {
    const before = this.size;
    super.set(token, id);
    // Appending the next id keeps a bijection; anything else is checked when next needed.
    if (!(this.bijection === true && this.size === before + 1 && id === before)) this.bijection = undefined;
    const index = this.index;
    if (index !== undefined) {
      if (typeof token === 'string') index[token] = id;
      else this.index = undefined;
    }
    return this;
  }

  override delete(token: string): boolean {
    const had = super.delete(token);
    if (had) {
      this.bijection = undefined;
      if (this.index !== undefined && typeof token === 'string') delete this.index[token];
    }
    return had;
  }

  override clear(): void {
    super.clear();
    this.index = Object.create(null) as Record<string, number>;
    this.bijection = true;
  }

  /**
   * Whether the ids are exactly 0..size-1, each once. Then a new id (= size)
   * never lands on an existing one and no two tokens share an id, which the
   * fast paths rely on. Checked in one pass after a change, then remembered.
   */
  isBijection(): boolean {
    if (this.bijection === undefined) {
      const taken = new Uint8Array(this.size);
      let ok = true;
      for (const id of this.values()) {
        if (id >>> 0 !== id || id >= taken.length || taken[id] === 1) {
          ok = false;
          break;
        }
        taken[id] = 1;
      }
      this.bijection = ok;
    }
    return this.bijection;
  }
}

/** The fast lookup index of a token2id Map, when it has one (a Map assigned from outside does not). */
function indexOf(token2id: Map<string, number>): Record<string, number> | undefined {
  return token2id instanceof TokenMap ? token2id.index : undefined;
}

/** Any UTF-16 surrogate: the only units where UTF-16 order and code point order can disagree. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Reset the per-document counts of the known ids in order[0..n). */
function clearCounts(docCount: Int32Array, order: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) if (order[i]! >= 0) docCount[order[i]!] = 0;
}

/**
 * An empty array already of V8's general element kind. A `[]` literal starts as
 * small-integer kind and changes kind at its first string; optimised code that
 * met arrays of both kinds at one push was dropped ("not a Smi") on a later build.
 */
function stringArray(): string[] {
  const a = [''];
  a.pop();
  return a;
}

/** A copy of `a` with room for at least `n` entries (doubling). */
function grownInt32(a: Int32Array, n: number): Int32Array {
  const next = new Int32Array(Math.max(n, 2 * a.length));
  next.set(a);
  return next;
}

/** Python sorts (id, weight) tuples by id, then weight. */
function compareBowEntries(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

function checkDocument(document: unknown, method: string): asserts document is Iterable<string> {
  if (typeof document === 'string') {
    throw new CorpusflowError('INVALID_FIELD_TYPE', `${method} expects an array of string tokens, not a single string`, {
      hint: 'tokenise first, e.g. with preprocessString(text)',
    });
  }
  if (document === null || typeof document !== 'object' || typeof (document as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new CorpusflowError('INVALID_FIELD_TYPE', `${method} expects an array of string tokens, got ${document === null ? 'null' : typeof document}`);
  }
}

function notAString(token: unknown, method: string, at: number): CorpusflowError {
  return new CorpusflowError('INVALID_FIELD_TYPE', `${method} expects string tokens, got ${token === null ? 'null' : typeof token} ${JSON.stringify(token)} at tokens[${at}]`);
}

function checkCount(name: string, value: unknown, allowNull: boolean): void {
  if (value === null && allowNull) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalidOption(name, `a non-negative integer${allowNull ? ' or null' : ''}`, value);
  }
}

function checkNumber(name: string, value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption(name, 'a number', value);
}

/**
 * A gensim-compatible dictionary: token ↔ integer id, plus document and collection frequencies.
 *
 * Like the index at the back of a book that also counts, for each word, how
 * many chapters mention it. Ids, statistics, filtering and the text format are
 * identical to gensim 4.2's `Dictionary`, so files and habits carry over.
 *
 * ## Example
 * ```ts
 * import { Dictionary } from 'corpusflow';
 * const dict = new Dictionary([['human', 'computer'], ['computer', 'system']]);
 * dict.token2id;                       // Map { 'computer' => 0, 'human' => 1, 'system' => 2 }
 * dict.doc2bow(['computer', 'computer', 'unknown']); // [[0, 2]]
 * dict.filterExtremes({ noBelow: 2, noAbove: 1 });
 * await dict.saveAsText('dict.txt');   // loads in gensim with Dictionary.load_from_text
 * ```
 *
 * **Warning:** memory grows with the vocabulary (not with the number of
 * documents); `pruneAt` caps it on huge corpora, as in gensim.
 */
export class Dictionary {
  // token2id lives in one of two forms. Built by addDocuments and not yet read:
  // `tokens` (id → token, ids 0..n-1 in insertion order) plus the `index` object,
  // and no Map at all (`map` undefined), because a Map insert per new token costs
  // as much as the index insert and filterExtremes usually drops most of them.
  // Once anyone reads token2id, the Map is built once and is the truth from then on.
  private map: Map<string, number> | undefined;
  private tokens: string[] = stringArray();
  private index: Record<string, number> = Object.create(null) as Record<string, number>;
  private dfsMap: Map<number, number> = new Map();
  private cfsMap: Map<number, number> = new Map();
  /** Documents processed. */
  numDocs = 0;
  /** Corpus positions (tokens) processed. */
  numPos = 0;
  /** Non-zeros in the bag-of-words matrix (sum of unique tokens per document). */
  numNnz = 0;

  private id2tokenCache: Map<number, string> = new Map();

  // Speed: instead of two Map updates per unique token per document, dfs/cfs
  // increments for ids 0..cap-1 accumulate in typed arrays and are folded into
  // the Maps when someone reads them (or at the end of addDocuments). Folding
  // in first-touch order gives new ids the same Map position gensim's dicts give them.
  private cap = 0;
  private pendingDf = new Int32Array(0);
  private pendingCf = new Float64Array(0);
  private pendingOrder: number[] = [];
  // Per-document scratch, all zero between documents.
  private docCount = new Int32Array(0);
  private orderBuf = new Int32Array(0);
  private outIds = new Float64Array(0);
  private outCounts = new Float64Array(0);
  private lastMissing: Array<[string, number]> = [];
  // addFast's "met in this document" marks: seen[id] === stamp.
  private seen = new Int32Array(0);
  private stamp = 0;
  // addFast's scratch for a document's unseen tokens.
  private newTokens: string[] = stringArray();
  private newCounts: Int32Array = new Int32Array(64);
  private newTags: Int32Array = new Int32Array(64);
  private newIdOf: Int32Array = new Int32Array(64);

  /**
   * @param documents Optional tokenised documents to add right away.
   * @param options `pruneAt` as in {@link Dictionary.addDocuments}.
   */
  constructor(documents?: Iterable<Iterable<string>> | null, options: AddDocumentsOptions = {}) {
    // Written a second time on purpose: V8 treats a field stored only once as a
    // constant of the object, and the first later reassignment (filterExtremes
    // replaces the tokens) would throw away addFast's optimised code mid-benchmark.
    this.setIndexed(undefined);
    if (documents !== undefined && documents !== null) this.addDocuments(documents, options);
  }

  /**
   * A dictionary built from tokenised documents (same as the constructor).
   *
   * @param documents Tokenised documents.
   * @param options `pruneAt`.
   * @return The new dictionary.
   */
  static fromDocuments(documents: Iterable<Iterable<string>>, options: AddDocumentsOptions = {}): Dictionary {
    return new Dictionary(documents, options);
  }

  /** id → number of documents containing it. Iterates in the order ids first got a document, as gensim's dict does. */
  get dfs(): Map<number, number> {
    this.flushPending();
    return this.dfsMap;
  }

  set dfs(map: Map<number, number>) {
    this.flushPending();
    this.dfsMap = map;
  }

  /** id → number of occurrences in the whole corpus. */
  get cfs(): Map<number, number> {
    this.flushPending();
    return this.cfsMap;
  }

  set cfs(map: Map<number, number>) {
    this.flushPending();
    this.cfsMap = map;
  }

  /** token → id. Iterates in the order tokens were added, as gensim's dict does. */
  get token2id(): Map<string, number> {
    if (this.map === undefined) this.setIndexed(TokenMap.fromIndexed(this.tokens, this.index));
    return this.map!;
  }

  set token2id(map: Map<string, number>) {
    this.setIndexed(map);
  }

  /** Switch token2id's form: a Map, or (map undefined) the built-up tokens + index (by default empty). */
  private setIndexed(map: Map<string, number> | undefined, tokens = stringArray(), index = Object.create(null) as Record<string, number>): void {
    this.map = map;
    this.tokens = tokens;
    this.index = index;
  }

  /** Number of tokens. */
  get size(): number {
    return this.map === undefined ? this.tokens.length : this.map.size;
  }

  /**
   * id → token. Rebuilt lazily when the token count changed, as gensim does
   * (if two tokens share an id, the one added later wins).
   */
  get id2token(): Map<number, string> {
    if (this.id2tokenCache.size !== this.size) {
      const reverse = new Map<number, string>();
      if (this.map === undefined) this.tokens.forEach((token, id) => reverse.set(id, token));
      else for (const [token, id] of this.map) reverse.set(id, token);
      this.id2tokenCache = reverse;
    }
    return this.id2tokenCache;
  }

  /**
   * Add tokenised documents, updating ids and statistics.
   *
   * @param documents Iterable of token arrays.
   * @param options `pruneAt` (default 2,000,000; null never prunes).
   * @return This dictionary.
   */
  addDocuments(documents: Iterable<Iterable<string>>, options: AddDocumentsOptions = {}): this {
    const pruneAt = options.pruneAt === undefined ? 2_000_000 : options.pruneAt;
    checkCount('pruneAt', pruneAt, true);
    let docno = 0;
    for (const document of documents) {
      if (docno % 10_000 === 0) this.pruneIfNeeded(pruneAt);
      this.addDocument(document);
      docno++;
    }
    // The pending dfs/cfs reach the Maps when they are read (filterExtremes may never need most of them).
    return this;
  }

  /**
   * gensim's periodic pruning in add_documents: when over `pruneAt` tokens,
   * keep the `pruneAt` with the highest document frequency. Exposed for the
   * streaming operator, which calls it every 10,000 documents as gensim does.
   *
   * @param pruneAt The token limit; null never prunes.
   */
  pruneIfNeeded(pruneAt: number | null): void {
    if (pruneAt !== null && this.size > pruneAt) {
      this.filterExtremes({ noBelow: 0, noAbove: 1, keepN: pruneAt });
    }
  }

  /**
   * Add one tokenised document: `doc2bow(document, {allowUpdate: true})` without building the result.
   * Its dfs/cfs counts reach the Maps on the next read of `dict.dfs` / `dict.cfs`, so read
   * them through the dictionary rather than keeping a reference across additions.
   *
   * @param document Tokens of one document.
   */
  addDocument(document: Iterable<string>): void {
    checkDocument(document, 'addDocuments');
    const tokens: readonly string[] = Array.isArray(document) ? document : Array.from(document);
    if (!this.addFast(tokens)) this.scan(tokens, true, false, 'addDocuments');
  }

  /** token2id.get(token), without building the Map. */
  private idOf(token: string): number | undefined {
    if (this.map !== undefined) return this.map.get(token);
    return typeof token === 'string' ? this.index[token] : undefined;
  }

  /** Whether ids are exactly 0..size-1, each once (see {@link TokenMap.isBijection}); unknown for a plain Map. */
  private isBijection(): boolean {
    const map = this.map;
    return map === undefined || (map instanceof TokenMap && map.isBijection());
  }

  /**
   * addDocument for the usual case: ids are exactly 0..size-1 and every token
   * is a string. Counts go straight into the pending dfs/cfs increments, with
   * no bag of words and no per-document counts in between: `seen[id] === stamp`
   * marks the ids already met in this document. Returns false, having changed
   * nothing, when the document needs scan()'s exact general path.
   */
  private addFast(tokens: readonly string[]): boolean {
    const length = tokens.length;
    // The lookup index: the built-up one, or the Map's shadow once token2id was read.
    const map = this.map;
    const index = map === undefined ? this.index : indexOf(map);
    if (index === undefined || !this.isBijection()) return false;
    const size = map === undefined ? this.tokens.length : map.size;
    if (size > this.cap) this.ensureCapacity(size);
    const cap = this.cap;
    if (this.stamp === 0x7fffffff) {
      this.seen.fill(0);
      this.stamp = 0;
    }
    const stamp = ++this.stamp;
    const { seen, pendingDf, pendingCf, pendingOrder } = this;
    // Ids first touched by this document are appended from here, in first-occurrence
    // order; an unseen token holds a place as ~k until its id is known.
    const orderStart = pendingOrder.length;
    let unique = 0;
    // Unseen tokens, in first-occurrence order. While the document is read,
    // index[newTokens[k]] holds the marker ~k (negative, so never taken for an
    // id), which finds repeats without a per-document Map.
    const newTokens = this.newTokens;
    let newCounts = this.newCounts;
    let count = 0;
    for (let i = 0; i < length; i++) {
      const w = tokens[i]!;
      // Checked first: a property lookup would turn a non-string into a string.
      if (typeof w !== 'string') return this.abandon(index, tokens, i, orderStart);
      const id = index[w];
      if (id === undefined) {
        index[w] = ~count;
        pendingOrder.push(~count);
        if (count === newCounts.length) newCounts = this.newCounts = grownInt32(newCounts, count + 1);
        newTokens[count] = w;
        newCounts[count++] = 1;
      } else if (id >= 0) {
        // A known id (< size <= cap: the ids are a bijection).
        pendingCf[id]! += 1;
        if (seen[id] !== stamp) {
          seen[id] = stamp;
          unique++;
          if (pendingDf[id]!++ === 0) pendingOrder.push(id);
        }
      } else {
        // A marker: ids are never negative here.
        newCounts[~id]!++;
      }
    }

    if (count > 0) {
      if (size + count > cap) this.ensureCapacity(size + count);
      // New ids in Python's sorted() order (by code point), carrying each token's k along.
      const tags = this.newTags.length < count ? (this.newTags = new Int32Array(Math.max(count, 2 * this.newTags.length))) : this.newTags;
      for (let k = 0; k < count; k++) tags[k] = k;
      if (count > 1) {
        let astral = false;
        for (let k = 0; k < count && !astral; k++) astral = SURROGATE.test(newTokens[k]!);
        // Without surrogates UTF-16 order is code point order. One call site and one sort
        // for both orders: a separate, rarely taken branch here (the inline code point sort, or a
        // call without type feedback) made V8 drop addFast's optimised code on documents with an emoji.
        sortTokens(newTokens, tags, count, astral);
      }
      const newIdOf = this.newIdOf.length < count ? (this.newIdOf = new Int32Array(Math.max(count, 2 * this.newIdOf.length))) : this.newIdOf;
      const ids = this.tokens;
      for (let j = 0; j < count; j++) {
        const token = newTokens[j]!;
        index[token] = size + j;
        // detach: a token sliced from a long document would otherwise keep the whole document alive.
        if (map === undefined) ids.push(detach(token));
        else mapSet.call(map, detach(token), size + j);
        newIdOf[tags[j]!] = size + j;
      }
      newTokens.length = 0;
      // The places held by unseen tokens get their ids and statistics (the arrays may have grown).
      const df = this.pendingDf;
      const cf = this.pendingCf;
      let to = orderStart;
      for (let i = orderStart; i < pendingOrder.length; i++) {
        let e = pendingOrder[i]!;
        if (e < 0) {
          const k = ~e;
          e = newIdOf[k]!;
          cf[e]! += newCounts[k]!;
          // A new id can still have pending statistics, left by a deleted token that had
          // it (gensim keeps them too): it is listed already, in its first place.
          if (df[e]!++ !== 0) continue;
        }
        pendingOrder[to++] = e;
      }
      pendingOrder.length = to;
    }
    this.numDocs += 1;
    this.numPos += length;
    this.numNnz += unique + count;
    return true;
  }

  /**
   * addFast giving up at tokens[end] (a non-string): undo the counts of tokens[0..end),
   * take the unseen tokens' markers out of the index, and forget the ids first touched.
   */
  private abandon(index: Record<string, number>, tokens: readonly string[], end: number, orderStart: number): false {
    for (const w of this.newTokens) delete index[w];
    this.newTokens.length = 0;
    const { seen, stamp, pendingDf, pendingCf } = this;
    for (let i = 0; i < end; i++) {
      const id = index[tokens[i]!];
      if (id !== undefined) {
        pendingCf[id]! -= 1;
        if (seen[id] === stamp) {
          seen[id] = 0;
          pendingDf[id]!--;
        }
      }
    }
    this.pendingOrder.length = orderStart;
    return false;
  }

  /**
   * Convert a tokenised document to a bag of words.
   *
   * @param document Tokens of one document.
   * @param options `allowUpdate` adds unseen tokens; `returnMissing` also returns unknown tokens.
   * @return `[id, count]` pairs in increasing id order (or `{bow, missing}` with returnMissing).
   */
  doc2bow(document: Iterable<string>, options?: Doc2BowOptions & { returnMissing?: false }): Bow;
  doc2bow(document: Iterable<string>, options: Doc2BowOptions & { returnMissing: true }): BowWithMissing;
  doc2bow(document: Iterable<string>, options: Doc2BowOptions = {}): Bow | BowWithMissing {
    const returnMissing = options.returnMissing === true;
    const n = this.scan(document, options.allowUpdate === true, returnMissing, 'doc2bow');
    const { outIds, outCounts } = this;
    const bow: Bow = new Array(n);
    for (let i = 0; i < n; i++) bow[i] = [outIds[i]!, outCounts[i]!];
    bow.sort(compareBowEntries);
    if (returnMissing) return { bow, missing: new Map(this.lastMissing) };
    return bow;
  }

  /** Grow the typed arrays so ids 0..n-1 can index them. */
  private ensureCapacity(n: number): void {
    if (n <= this.cap) return;
    let cap = Math.max(1024, this.cap * 2);
    while (cap < n) cap *= 2;
    const grow = <T extends Int32Array | Float64Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.pendingDf = grow(this.pendingDf, new Int32Array(cap));
    this.pendingCf = grow(this.pendingCf, new Float64Array(cap));
    this.docCount = grow(this.docCount, new Int32Array(cap));
    this.seen = grow(this.seen, new Int32Array(cap));
    this.cap = cap;
  }

  /** Fold pending dfs/cfs increments into the Maps, in the order ids were first touched. */
  private flushPending(): void {
    const order = this.pendingOrder;
    if (order.length === 0) return;
    const { dfsMap, cfsMap, pendingDf, pendingCf } = this;
    if (dfsMap.size === 0 && cfsMap.size === 0) {
      // First fold into empty Maps (a fresh build): every id is new, nothing to add to.
      for (let i = 0; i < order.length; i++) {
        const id = order[i]!;
        cfsMap.set(id, pendingCf[id]!);
        dfsMap.set(id, pendingDf[id]!);
        pendingCf[id] = 0;
        pendingDf[id] = 0;
      }
      order.length = 0;
      return;
    }
    for (let i = 0; i < order.length; i++) {
      const id = order[i]!;
      cfsMap.set(id, (cfsMap.get(id) ?? 0) + pendingCf[id]!);
      dfsMap.set(id, (dfsMap.get(id) ?? 0) + pendingDf[id]!);
      pendingCf[id] = 0;
      pendingDf[id] = 0;
    }
    order.length = 0;
  }

  /**
   * gensim's doc2bow, step for step: count tokens in first-occurrence order,
   * give unseen tokens ids in code point order, then update statistics in
   * first-occurrence order. Leaves the result, in first-occurrence order
   * (unsorted), in outIds/outCounts[0..n) and returns n. Scratch buffers are
   * reused across documents so the hot loop allocates almost nothing.
   */
  private scan(document: Iterable<string>, allowUpdate: boolean, returnMissing: boolean, method: string): number {
    checkDocument(document, method);
    const tokens: readonly string[] = Array.isArray(document) ? document : Array.from(document);
    // With ids exactly 0..size-1 they index the typed arrays, and no two tokens share one.
    if (!this.isBijection()) return this.scanExact(tokens, allowUpdate, returnMissing, method);
    const length = tokens.length;
    const map = this.map;
    // Faster lookups through the index, when there is one (a TokenMap that was given a non-string key has none).
    const index = map === undefined ? this.index : indexOf(map);
    const sizeBefore = this.size;
    // Known ids index docCount now; new ids index the pending arrays in pass 4, grown there.
    if (sizeBefore > this.cap) this.ensureCapacity(sizeBefore);
    const docCount = this.docCount;
    if (this.orderBuf.length < length) this.orderBuf = new Int32Array(Math.max(length, 2 * this.orderBuf.length));
    const order = this.orderBuf;
    let unique = 0;

    // Pass 1, counting. `order` is first-occurrence order: an id for a known
    // token, or ~k for unseen[k].
    let unseenIndex: Map<string, number> | undefined;
    const unseen: string[] = [];
    const unseenCounts: number[] = [];
    for (let i = 0; i < length; i++) {
      const w = tokens[i]!;
      if (typeof w !== 'string') {
        clearCounts(docCount, order, unique);
        throw notAString(w, method, i);
      }
      const id = index !== undefined ? index[w] : map!.get(w);
      if (id !== undefined) {
        if (docCount[id]++ === 0) order[unique++] = id;
        continue;
      }
      unseenIndex ??= new Map();
      const k = unseenIndex.get(w);
      if (k === undefined) {
        unseenIndex.set(w, unseen.length);
        order[unique++] = ~unseen.length;
        unseen.push(w);
        unseenCounts.push(1);
      } else {
        unseenCounts[k]!++;
      }
    }

    // Pass 2, unseen tokens: new ids in Python's sorted() order (by code point).
    const newIdOf: number[] = [];
    if (unseen.length > 0 && (allowUpdate || returnMissing)) {
      const missing = unseen.slice();
      if (missing.length > 1) {
        // Without surrogates UTF-16 order is code point order, and the native sort is much faster.
        if (missing.some((w) => SURROGATE.test(w))) missing.sort(compareCodePoints);
        else missing.sort();
      }
      if (returnMissing) this.lastMissing = missing.map((w): [string, number] => [w, unseenCounts[unseenIndex!.get(w)!]!]);
      if (allowUpdate) {
        // gensim: new id = current size.
        for (let k = 0; k < missing.length; k++) {
          const token = missing[k]!;
          const newId = sizeBefore + k;
          if (map === undefined) {
            this.index[token] = newId;
            this.tokens.push(detach(token));
          } else {
            map.set(detach(token), newId);
          }
          newIdOf[unseenIndex!.get(token)!] = newId;
        }
      }
    } else if (returnMissing) {
      this.lastMissing = [];
    }

    // Pass 3, the result in first-occurrence order.
    if (this.outIds.length < unique) {
      this.outIds = new Float64Array(Math.max(unique, 2 * this.outIds.length));
      this.outCounts = new Float64Array(this.outIds.length);
    }
    const { outIds, outCounts } = this;
    let n = 0;
    for (let i = 0; i < unique; i++) {
      const e = order[i]!;
      if (e >= 0) {
        outIds[n] = e;
        outCounts[n++] = docCount[e]!;
      } else if (allowUpdate) {
        outIds[n] = newIdOf[~e]!;
        outCounts[n++] = unseenCounts[~e]!;
      }
    }
    clearCounts(docCount, order, unique);

    // Pass 4, statistics, in first-occurrence order.
    if (allowUpdate) {
      this.numDocs += 1;
      this.numPos += length;
      this.numNnz += n;
      this.ensureCapacity(this.size);
      const { pendingDf, pendingCf, pendingOrder } = this;
      for (let i = 0; i < n; i++) {
        const id = outIds[i]!;
        if (pendingDf[id]!++ === 0) pendingOrder.push(id);
        pendingCf[id]! += outCounts[i]!;
      }
    }
    return n;
  }

  /**
   * scan() for any ids (gaps, shared or odd ids, a plain Map given by the user):
   * gensim's doc2bow transcribed with Maps. Two tokens sharing an id give it the
   * count of the later one, as gensim's `{id: freq}` does.
   */
  private scanExact(tokens: readonly string[], allowUpdate: boolean, returnMissing: boolean, method: string): number {
    const token2id = this.token2id;
    const counter = new Map<string, number>();
    for (let i = 0; i < tokens.length; i++) {
      const w = tokens[i];
      if (typeof w !== 'string') throw notAString(w, method, i);
      counter.set(w, (counter.get(w) ?? 0) + 1);
    }
    if (allowUpdate || returnMissing) {
      const missing: string[] = [];
      counter.forEach((_, w) => {
        if (!token2id.has(w)) missing.push(w);
      });
      missing.sort(compareCodePoints);
      if (returnMissing) this.lastMissing = missing.map((w): [string, number] => [w, counter.get(w)!]);
      if (allowUpdate) for (const w of missing) token2id.set(detach(w), token2id.size);
    }
    const result = new Map<number, number>();
    counter.forEach((freq, w) => {
      const id = token2id.get(w);
      if (id !== undefined) result.set(id, freq);
    });
    if (allowUpdate) {
      this.numDocs += 1;
      this.numPos += tokens.length;
      this.numNnz += result.size;
      // Reading dfs/cfs folds anything pending first, so the update order stays exact.
      const dfs = this.dfs;
      const cfs = this.cfs;
      result.forEach((freq, id) => {
        cfs.set(id, (cfs.get(id) ?? 0) + freq);
        dfs.set(id, (dfs.get(id) ?? 0) + 1);
      });
    }
    if (this.outIds.length < result.size) {
      this.outIds = new Float64Array(Math.max(result.size, 2 * this.outIds.length));
      this.outCounts = new Float64Array(this.outIds.length);
    }
    let n = 0;
    result.forEach((freq, id) => {
      this.outIds[n] = id;
      this.outCounts[n++] = freq;
    });
    return n;
  }

  /**
   * Map each token to its id, keeping order and length.
   *
   * @param document Tokens of one document.
   * @param unknownWordIndex Id for tokens not in the dictionary. Default -1.
   * @return One id per token.
   */
  doc2idx(document: Iterable<string>, unknownWordIndex = -1): number[] {
    checkDocument(document, 'doc2idx');
    const out: number[] = [];
    for (const w of document) {
      if (typeof w !== 'string') throw notAString(w, 'doc2idx', out.length);
      out.push(this.idOf(w) ?? unknownWordIndex);
    }
    return out;
  }

  /**
   * Remove rare and common tokens, keep the `keepN` most frequent, then re-number ids without gaps.
   *
   * Ties in document frequency keep their token2id order (gensim's stable sort),
   * and surviving tokens keep their relative id order.
   *
   * @param options `noBelow` (5), `noAbove` (0.5), `keepN` (100,000; null = all), `keepTokens`.
   * @return This dictionary.
   */
  filterExtremes(options: FilterExtremesOptions = {}): this {
    const noBelow = options.noBelow ?? 5;
    const noAbove = options.noAbove ?? 0.5;
    const keepN = options.keepN === undefined ? 100_000 : options.keepN;
    checkNumber('noBelow', noBelow);
    checkNumber('noAbove', noAbove);
    checkCount('keepN', keepN, true);
    // int(no_above * num_docs): the same double product, truncated toward zero.
    const noAboveAbs = Math.trunc(noAbove * this.numDocs);
    let keepIds: Set<number> | undefined;
    if (options.keepTokens) {
      keepIds = new Set();
      for (const token of options.keepTokens) {
        const id = this.idOf(token);
        if (id !== undefined) keepIds.add(id);
      }
      // With no known keep tokens gensim's keep_tokens branch ranks exactly like the plain one.
      if (keepIds.size === 0) keepIds = undefined;
    }
    if (this.filterExtremesPending(noBelow, noAboveAbs, keepN, keepIds)) return this;
    const dfs = this.dfs;
    // Ranks are looked up once; sorting positions by rank (ties by position)
    // is gensim's stable sort by -df over token2id order.
    const candidates: number[] = [];
    const ranks: number[] = [];
    const numDocs = this.numDocs;
    this.token2id.forEach((id) => {
      const df = dfs.get(id) ?? 0;
      const kept = keepIds !== undefined && keepIds.has(id);
      if ((noBelow <= df && df <= noAboveAbs) || kept) {
        candidates.push(id);
        ranks.push(kept ? numDocs : df);
      }
    });
    const order = candidates.map((_, i) => i).sort((a, b) => ranks[b]! - ranks[a]! || a - b);
    let goodIds = order.map((i) => candidates[i]!);
    if (keepN !== null && goodIds.length > keepN) goodIds = goodIds.slice(0, keepN);
    return this.filterTokens({ goodIds });
  }

  /**
   * filterExtremes straight from the pending typed arrays, for the usual state
   * after building: the dfs/cfs Maps still empty (every count pending) and ids
   * 0..n-1 in token2id order. Only the surviving tokens then reach the Maps, in
   * the order gensim's filter_tokens + compactify leave them. Returns false,
   * having changed nothing, in any other state (the general path is exact).
   */
  private filterExtremesPending(noBelow: number, noAboveAbs: number, keepN: number | null, keepIds: Set<number> | undefined): boolean {
    if (this.dfsMap.size !== 0 || this.cfsMap.size !== 0) return false;
    const n = this.size;
    if (n > this.cap) return false;
    let tokens = this.tokens;
    if (this.map !== undefined) {
      tokens = new Array<string>(n);
      let next = 0;
      let canonical = true;
      this.map.forEach((id, token) => {
        if (id !== next) canonical = false;
        tokens[next++] = token;
      });
      if (!canonical) return false;
    }
    const { pendingDf, pendingCf, pendingOrder, numDocs } = this;
    // Candidates in token2id order (= id order here), each with gensim's sort key.
    const candidates = new Int32Array(n);
    const ranks = new Float64Array(n);
    let m = 0;
    let maxRank = 0;
    for (let id = 0; id < n; id++) {
      const df = pendingDf[id]!;
      const kept = keepIds !== undefined && keepIds.has(id);
      if ((noBelow <= df && df <= noAboveAbs) || kept) {
        const rank = kept ? numDocs : df;
        candidates[m] = id;
        ranks[m++] = rank;
        if (rank > maxRank) maxRank = rank;
      }
    }
    // gensim's stable sort by decreasing rank: ties keep id order. Packed into one
    // number (rank descending, then id) the native numeric sort does it.
    const order = new Float64Array(m);
    let packed = maxRank >= 0 && Number.isSafeInteger((maxRank + 1) * n);
    for (let k = 0; k < m && packed; k++) packed = ranks[k]! >= 0 && Number.isInteger(ranks[k]!);
    if (packed) {
      for (let k = 0; k < m; k++) order[k] = (maxRank - ranks[k]!) * n + candidates[k]!;
      order.sort();
      for (let k = 0; k < m; k++) order[k] = order[k]! % n;
    } else {
      const positions = Array.from({ length: m }, (_, k) => k).sort((a, b) => ranks[b]! - ranks[a]! || a - b);
      for (let k = 0; k < m; k++) order[k] = candidates[positions[k]!]!;
    }
    const kept = keepN !== null && m > keepN ? keepN : m;
    const good = new Uint8Array(n);
    for (let k = 0; k < kept; k++) good[order[k]!] = 1;
    // compactify: surviving ids renumbered 0.. in id order, token2id order kept
    // (left in the built-up form: the Map is made only if someone reads token2id).
    const newId = new Int32Array(n);
    const survivors = stringArray();
    const index = Object.create(null) as Record<string, number>;
    for (let id = 0; id < n; id++) {
      if (good[id] === 1) {
        const token = tokens[id]!;
        newId[id] = survivors.length;
        index[token] = survivors.length;
        survivors.push(token);
      }
    }
    // The survivors' dfs/cfs stay pending, renumbered, in their first-touch order: a
    // later read folds them into the Maps in the order gensim's filtered dicts have,
    // and the next filterExtremes (pruneAt) can take this path again. Moving in
    // increasing id order is safe in place: a survivor's new id is never above its old one.
    const survivorCount = survivors.length;
    for (let id = 0; id < n; id++) {
      if (good[id] === 1) {
        pendingDf[newId[id]!] = pendingDf[id]!;
        pendingCf[newId[id]!] = pendingCf[id]!;
      }
    }
    // Ids below survivorCount now all hold a survivor's statistics. Statistics are non-zero only
    // at listed ids (see addFast), so clearing the listed ones from survivorCount on clears the rest.
    let to = 0;
    for (let i = 0; i < pendingOrder.length; i++) {
      const id = pendingOrder[i]!;
      if (id >= survivorCount) {
        pendingDf[id] = 0;
        pendingCf[id] = 0;
      }
      if (id < n && good[id] === 1) pendingOrder[to++] = newId[id]!;
    }
    pendingOrder.length = to;
    // The dfs/cfs Maps were empty on entry (checked above) and stay so.
    this.setIndexed(undefined, survivors, index);
    this.id2tokenCache = new Map();
    return true;
  }

  /**
   * Remove the `removeN` tokens with the highest document frequency, then re-number ids.
   *
   * @param removeN How many to remove.
   * @return This dictionary.
   */
  filterNMostFrequent(removeN: number): this {
    checkCount('removeN', removeN, false);
    const dfs = this.dfs;
    const ids = Array.from(this.token2id.values()).sort((a, b) => (dfs.get(b) ?? 0) - (dfs.get(a) ?? 0));
    return this.filterTokens({ badIds: ids.slice(0, removeN) });
  }

  /**
   * Remove `badIds`, or keep only `goodIds` (or both, in that order), then re-number ids without gaps.
   *
   * @param options `badIds` and/or `goodIds`.
   * @return This dictionary.
   */
  filterTokens(options: FilterTokensOptions = {}): this {
    const apply = (keep: (id: number) => boolean): void => {
      const token2id = new TokenMap();
      this.token2id.forEach((id, token) => {
        if (keep(id)) token2id.set(token, id);
      });
      this.token2id = token2id;
      this.cfs = filterMap(this.cfs, keep);
      this.dfs = filterMap(this.dfs, keep);
    };
    if (options.badIds !== undefined && options.badIds !== null) {
      const bad = idSet(options.badIds);
      apply((id) => !bad(id));
    }
    if (options.goodIds !== undefined && options.goodIds !== null) {
      apply(idSet(options.goodIds));
    }
    return this.compactify();
  }

  /**
   * Re-number ids 0..size-1, keeping their relative order (gensim's compactify).
   *
   * @return This dictionary.
   */
  compactify(): this {
    const remap = this.compactIdMap();
    const token2id = new TokenMap();
    this.token2id.forEach((id, token) => token2id.set(token, remap(id)));
    this.token2id = token2id;
    this.id2tokenCache = new Map();
    this.dfs = remapKeys(this.dfs, remap);
    this.cfs = remapKeys(this.cfs, remap);
    return this;
  }

  /** compactify's old id → new id: the rank of each id among the sorted ids. */
  private compactIdMap(): (id: number) => number {
    const missing = (id: number): never => {
      throw new CorpusflowError('DICTIONARY_FORMAT', `Statistics recorded for id ${id}, which has no token`);
    };
    // Fast path for the usual ids (distinct small non-negative integers): rank by counting, no sort.
    let max = -1;
    let small = true;
    this.token2id.forEach((id) => {
      if (id >>> 0 !== id) small = false;
      else if (id > max) max = id;
    });
    if (small && max < 4 * this.token2id.size + 65_536) {
      const rank = new Int32Array(max + 1).fill(-1);
      let duplicate = false;
      this.token2id.forEach((id) => {
        if (rank[id] === -2) duplicate = true;
        rank[id] = -2;
      });
      if (!duplicate) {
        let next = 0;
        for (let id = 0; id <= max; id++) if (rank[id] === -2) rank[id] = next++;
        return (id) => {
          const newId = rank[id];
          return newId === undefined || newId < 0 ? missing(id) : newId;
        };
      }
    }
    // gensim: dict(zip(sorted(ids), range(len(ids)))); with duplicate ids the later rank wins.
    const sorted = Array.from(this.token2id.values()).sort((a, b) => a - b);
    const idmap = new Map<number, number>();
    sorted.forEach((oldId, newId) => idmap.set(oldId, newId));
    return (id) => idmap.get(id) ?? missing(id);
  }

  /**
   * Merge another dictionary (or a plain id → token map) into this one: known
   * tokens keep their ids, new tokens get new ids, dfs and counts are summed
   * (cfs are not, as in gensim).
   *
   * @param other A Dictionary, or a Map / object of id → token.
   * @return A {@link VocabTransform} that converts bags of words built with `other` to this dictionary's ids.
   */
  mergeWith(other: Dictionary | ReadonlyMap<number, string> | Readonly<Record<number, string>>): VocabTransform {
    const old2new = new Map<number, number>();
    const otherDfs = other instanceof Dictionary ? other.dfs : undefined;
    const entries: Iterable<[number, string]> =
      other instanceof Dictionary
        ? Array.from(other.token2id.values(), (id): [number, string] => [id, other.id2token.get(id)!])
        : other instanceof Map
          ? (other as ReadonlyMap<number, string>).entries()
          : Object.entries(other).map(([k, v]): [number, string] => [Number(k), v]);
    for (const [otherId, token] of entries) {
      let newId = this.token2id.get(token);
      if (newId === undefined) {
        newId = this.token2id.size;
        this.token2id.set(token, newId);
        this.dfs.set(newId, 0);
      }
      old2new.set(otherId, newId);
      const df = otherDfs?.get(otherId);
      if (df !== undefined) this.dfs.set(newId, (this.dfs.get(newId) ?? 0) + df);
    }
    if (other instanceof Dictionary) {
      this.numDocs += other.numDocs;
      this.numNnz += other.numNnz;
      this.numPos += other.numPos;
    }
    return new VocabTransform(old2new);
  }

  /**
   * The `n` tokens with the most occurrences (collection frequency), ties by increasing id.
   *
   * @param n How many; all when omitted or null.
   * @return `[token, count]` pairs, most common first.
   */
  mostCommon(n?: number | null): Array<[string, number]> {
    if (n !== undefined && n !== null) checkCount('n', n, false);
    const sorted = Array.from(this.cfs.entries()).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const top = n === undefined || n === null ? sorted : sorted.slice(0, n);
    const id2token = this.id2token;
    return top.map(([id, count]): [string, number] => {
      const token = id2token.get(id);
      if (token === undefined) throw new CorpusflowError('DICTIONARY_FORMAT', `Collection frequency recorded for id ${id}, which has no token`);
      return [token, count];
    });
  }

  // ---- gensim text format ----

  /**
   * The dictionary in gensim's text format (what saveAsText writes).
   *
   * @param options `sortByWord` (default true).
   * @return The text.
   */
  toText(options: TextFormatOptions = {}): string {
    return formatDictionaryText(this, options);
  }

  /**
   * Save in gensim's text format (atomically): `num_docs`, then `id\ttoken\tdf` lines.
   * Only token2id, dfs and numDocs are stored; use {@link Dictionary.save} to keep everything.
   *
   * @param path Target file.
   * @param options `sortByWord` (default true: by token in code point order; false: by decreasing df).
   */
  async saveAsText(path: string, options: TextFormatOptions = {}): Promise<void> {
    await writeFileAtomic(path, this.toText(options));
  }

  /**
   * Parse gensim's text format.
   *
   * @param text The file contents.
   * @param file File name used in error positions.
   * @return A dictionary with token2id, dfs and numDocs (cfs, numPos, numNnz are not in the format).
   */
  static fromText(text: string, file?: string): Dictionary {
    const parsed = parseDictionaryText(text, file);
    const dict = new Dictionary();
    dict.numDocs = parsed.numDocs;
    for (const [id, token, df] of parsed.entries) {
      dict.token2id.set(token, id);
      dict.dfs.set(id, df);
    }
    return dict;
  }

  /**
   * Load a file written by gensim's `save_as_text` or by {@link Dictionary.saveAsText}.
   *
   * @param path The file (UTF-8).
   * @return The dictionary.
   */
  static async loadFromText(path: string): Promise<Dictionary> {
    return Dictionary.fromText(decodeUtf8(await readFileOrThrow(path), path), path);
  }

  // ---- lossless JSON ----

  /** @return The whole state, Map orders included, as plain JSON data. */
  toJSON(): DictionaryJSON {
    return {
      format: 'corpusflow.dictionary',
      version: 1,
      numDocs: this.numDocs,
      numPos: this.numPos,
      numNnz: this.numNnz,
      token2id: Array.from(this.token2id),
      dfs: Array.from(this.dfs),
      cfs: Array.from(this.cfs),
    };
  }

  /**
   * Rebuild a dictionary from {@link Dictionary.toJSON} output.
   *
   * @param json Parsed JSON.
   * @param file File name used in error positions.
   * @return The dictionary.
   */
  static fromJSON(json: unknown, file?: string): Dictionary {
    const fail = (field: string, expected: string): CorpusflowError =>
      new CorpusflowError('DICTIONARY_FORMAT', `Invalid dictionary JSON: ${field} should be ${expected}`, {
        position: { ...(file !== undefined ? { file } : {}), field },
      });
    if (json === null || typeof json !== 'object') throw fail('(root)', 'an object');
    const j = json as Partial<Record<keyof DictionaryJSON, unknown>>;
    if (j.format !== 'corpusflow.dictionary') throw fail('format', '"corpusflow.dictionary"');
    if (j.version !== 1) throw fail('version', '1');
    const dict = new Dictionary();
    for (const key of ['numDocs', 'numPos', 'numNnz'] as const) {
      const v = j[key];
      if (typeof v !== 'number' || !Number.isInteger(v)) throw fail(key, 'an integer');
      dict[key] = v;
    }
    const pairs = <K, V>(key: 'token2id' | 'dfs' | 'cfs', isKey: (k: unknown) => k is K, isValue: (v: unknown) => v is V): Map<K, V> => {
      const v = j[key];
      if (!Array.isArray(v)) throw fail(key, 'an array of pairs');
      const map = new Map<K, V>();
      v.forEach((pair: unknown, i) => {
        if (!Array.isArray(pair) || pair.length !== 2 || !isKey(pair[0]) || !isValue(pair[1])) throw fail(`${key}[${i}]`, 'a [key, value] pair');
        map.set(pair[0], pair[1]);
      });
      return map;
    };
    const isString = (x: unknown): x is string => typeof x === 'string';
    const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
    dict.token2id = new TokenMap(pairs('token2id', isString, isInt));
    dict.dfs = pairs('dfs', isInt, isInt);
    dict.cfs = pairs('cfs', isInt, isInt);
    return dict;
  }

  /**
   * Save the whole state as JSON (atomically). Unlike saveAsText, keeps cfs, numPos, numNnz and orders.
   *
   * @param path Target file.
   */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }

  /**
   * Load a file written by {@link Dictionary.save}.
   *
   * @param path The JSON file.
   * @return The dictionary.
   */
  static async load(path: string): Promise<Dictionary> {
    const text = decodeUtf8(await readFileOrThrow(path), path);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new CorpusflowError('DICTIONARY_FORMAT', `Invalid dictionary JSON: ${(e as Error).message}`, { position: { file: path }, cause: e });
    }
    return Dictionary.fromJSON(json, path);
  }

  toString(): string {
    const some = Array.from(this.token2id.keys()).slice(0, 5);
    return `Dictionary<${this.size} unique tokens: ${JSON.stringify(some)}${this.size > 5 ? '...' : ''}>`;
  }
}

function filterMap(map: Map<number, number>, keep: (id: number) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  map.forEach((v, id) => {
    if (keep(id)) out.set(id, v);
  });
  return out;
}

function remapKeys(map: Map<number, number>, remap: (id: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  map.forEach((v, id) => out.set(remap(id), v));
  return out;
}

/** Membership test for a collection of ids: a flag array for small non-negative ids, else a Set. */
function idSet(ids: Iterable<number>): (id: number) => boolean {
  const list = Array.from(ids);
  let max = -1;
  for (const id of list) {
    if (id >>> 0 !== id || id > 4 * list.length + 65_536) {
      const set = new Set(list);
      return (x) => set.has(x);
    }
    if (id > max) max = id;
  }
  const flags = new Uint8Array(max + 1);
  for (const id of list) flags[id] = 1;
  // Out-of-range, negative or fractional ids read undefined: not members.
  return (x) => flags[x] === 1;
}

async function readFileOrThrow(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR';
    throw new CorpusflowError(code, `Cannot read dictionary: ${(e as Error).message}`, { position: { file: path }, cause: e });
  }
}

function decodeUtf8(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new CorpusflowError('INVALID_UTF8', 'Dictionary file is not valid UTF-8', { position: { file: path }, cause: e });
  }
}
