/**
 * gensim's `preprocess_string`: run a chain of filters over the text, then split on whitespace.
 */
import { invalidOption } from '../errors.js';
import {
  DEFAULT_FILTERS,
  DEFAULT_FILTER_NAMES,
  FILTERS,
  removeStopwords,
  stripShort,
  stripTags,
  type Filter,
} from './filters.js';
import { detach, stemLowercase } from './porter.js';
import { STOPWORDS } from './stopwords.js';
import { WHITESPACE_FLAGS, codePointLength, pySplit, pythonLower } from './unicode.js';

/**
 * Apply `filters` in order to `text` and split the result on whitespace, as gensim's `preprocess_string`.
 * With the default filters it takes a fused single pass that gives the same tokens several times faster.
 *
 * ## Example
 * ```ts
 * import { preprocessString } from 'corpusflow';
 * preprocessString("<i>Hel 9lo</i> <b>Wo9 rld</b>! Th3     weather_is really g00d today, isn't it?");
 * // ['hel', 'rld', 'weather', 'todai', 'isn']
 * ```
 * @param text - the document text
 * @param filters - functions applied in order (default gensim's DEFAULT_FILTERS)
 * @return the tokens
 */
export function preprocessString(text: string, filters: readonly Filter[] = DEFAULT_FILTERS): string[] {
  if (filters === DEFAULT_FILTERS) return defaultPipeline(text, defaultMemo);
  let s = text;
  for (const f of filters) s = f(s);
  return pySplit(s);
}

const enum Char {
  Other = 0,
  Boundary = 1,
  Digit = 2,
}

// One class per UTF-16 unit for the default chain: ASCII punctuation (string.punctuation) and Python whitespace
// end a token, ASCII digits are deleted (strip_numeric), everything else belongs to the token.
const CLASS = (() => {
  const table = new Uint8Array(0x10000);
  for (let ch = 0; ch < 0x10000; ch++) if (WHITESPACE_FLAGS[ch]) table[ch] = Char.Boundary;
  for (const ch of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') table[ch.charCodeAt(0)] = Char.Boundary;
  for (let ch = 48; ch <= 57; ch++) table[ch] = Char.Digit;
  return table;
})();

/**
 * What the last three default filters make of a token (remove_stopwords, strip_short, stem_text): its stem,
 * or '' when it is dropped, memoised in an open-addressing table that is looked up straight from the text,
 * so a token seen before costs a hash and a compare, and no new string. Emptied when three quarters full,
 * so memory stays bounded on unbounded vocabularies.
 */
class TokenMemo {
  // Starts small and doubles up to MAX_BITS, so short corpora do not pay for (or garbage-collect) a big table.
  private bits = 12;
  private mask = (1 << this.bits) - 1;
  private limit = (3 << this.bits) >> 2;
  // Filled arrays, not `new Array(n)`: V8 keeps large holey arrays in slow dictionary mode.
  private keys: Array<string | undefined> = filled(1 << this.bits, undefined);
  private values: string[] = filled(1 << this.bits, '');
  private hashes = new Int32Array(1 << this.bits);
  private size = 0;
  // A small direct-mapped front table for the most frequent tokens (Zipf: a few thousand words make up most
  // of a text); it stays in the CPU cache, where the big table's entries are scattered over megabytes.
  private readonly frontKeys: Array<string | undefined> = filled(FRONT_SIZE, undefined);
  private readonly frontValues: string[] = filled(FRONT_SIZE, '');
  private readonly frontHashes = new Int32Array(FRONT_SIZE);

  constructor(
    private readonly stopwords: ReadonlySet<string>,
    readonly minsize: number,
  ) {}

  /**
   * The result for text[start, end) with its ASCII digits deleted (strip_numeric): `length` units remain,
   * `hash` is FNV-1a over them, `digits` says whether any were deleted.
   */
  lookup(text: string, start: number, end: number, length: number, hash: number, digits: boolean): string {
    const front = (hash >>> 19) & (FRONT_SIZE - 1);
    const frontKey = this.frontKeys[front];
    if (this.frontHashes[front] === hash && frontKey !== undefined && frontKey.length === length && same(frontKey, text, start, digits)) {
      return this.frontValues[front]!;
    }
    let slot = hash & this.mask;
    let out: string | undefined;
    let key: string | undefined;
    for (;;) {
      key = this.keys[slot];
      if (key === undefined) break;
      if (this.hashes[slot] === hash && key.length === length && same(key, text, start, digits)) {
        out = this.values[slot]!;
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    if (out === undefined) {
      // First sight: not promoted to the front table, so one-off tokens (ids, base64) do not evict frequent ones.
      // Detached: a slice would keep the whole document alive for as long as the table holds the token.
      key = detach(digits ? text.slice(start, end).replace(DIGITS, '') : text.slice(start, end));
      return this.insert(key, hash, slot);
    }
    this.frontKeys[front] = key;
    this.frontValues[front] = out;
    this.frontHashes[front] = hash;
    return out;
  }

  /** Rehash into a table of 2^bits slots, keeping the entries or (at the size cap) dropping them all. */
  private resize(bits: number, keep = true): void {
    const { keys, values, hashes } = this;
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.limit = (3 << bits) >> 2;
    this.keys = filled(1 << bits, undefined);
    this.values = filled(1 << bits, '');
    this.hashes = new Int32Array(1 << bits);
    this.size = 0;
    if (!keep) return;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === undefined) continue;
      let slot = hashes[i]! & this.mask;
      while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = values[i]!;
      this.hashes[slot] = hashes[i]!;
      this.size++;
    }
  }

  private insert(token: string, hash: number, slot: number): string {
    let out: string;
    if (this.stopwords.has(token)) out = '';
    else if (token.length < this.minsize || (token.length < 2 * this.minsize && codePointLength(token) < this.minsize)) out = '';
    else out = stemLowercase(token);
    if (this.size >= this.limit) {
      if (this.bits < MAX_BITS) this.resize(this.bits + 1);
      else this.resize(this.bits, false);
      slot = hash & this.mask;
      while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    }
    this.keys[slot] = token;
    this.values[slot] = out;
    this.hashes[slot] = hash;
    this.size++;
    return out;
  }
}

/** Whether `text` holds `key` at `start`, skipping ASCII digits in `text` when `digits` (an inlinable loop; tokens are short). */
function same(key: string, text: string, start: number, digits: boolean): boolean {
  if (!digits) {
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== text.charCodeAt(start + i)) return false;
    return true;
  }
  let j = start;
  for (let i = 0; i < key.length; i++, j++) {
    let c = text.charCodeAt(j);
    while (c >= 48 && c <= 57) c = text.charCodeAt(++j);
    if (key.charCodeAt(i) !== c) return false;
  }
  return true;
}

const FRONT_SIZE = 8192;

const MAX_BITS = 17;

function filled<T>(length: number, value: T): T[] {
  const out: T[] = [];
  for (let i = 0; i < length; i++) out.push(value);
  return out;
}

const defaultMemo = new TokenMemo(STOPWORDS, 3);

/**
 * gensim's DEFAULT_FILTERS fused into one scan of the lowercased, tag-stripped text. Why this equals the chain:
 * punctuation runs and whitespace runs both just end tokens; strip_numeric deletes 0-9 inside a token without
 * ever joining two tokens; then each token is checked against the stop words, then its length, then stemmed,
 * as remove_stopwords, strip_short and stem_text do in turn.
 */
function defaultPipeline(text: string, memo: TokenMemo): string[] {
  const s = stripTags(pythonLower(text));
  const out: string[] = [];
  const n = s.length;
  const minsize = memo.minsize;
  let start = -1;
  let letters = 0; // units of the token other than digits
  let hash = FNV_OFFSET;
  let digits = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 32;
    const kind = CLASS[c]!;
    if (kind === Char.Other) {
      if (start < 0) start = i;
      letters++;
      hash = Math.imul(hash ^ c, FNV_PRIME);
      continue;
    }
    if (kind === Char.Digit) {
      if (start < 0) start = i;
      digits = true;
      continue;
    }
    if (start < 0) continue;
    // Fewer units than minsize means fewer code points too: strip_short drops it, no lookup needed.
    if (letters >= minsize) {
      const stemmed = memo.lookup(s, start, i, letters, hash, digits);
      if (stemmed !== '') out.push(stemmed);
    }
    start = -1;
    letters = 0;
    hash = FNV_OFFSET;
    digits = false;
  }
  return out;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const DIGITS = /[0-9]+/g;

/** Options of `compileFilters`. */
export interface FilterChainOptions {
  /** Stop words used by `remove_stopwords` in the chain (default gensim's STOPWORDS). */
  stopwords?: Iterable<string>;
  /** Minimum length used by `strip_short` in the chain (default 3). */
  minsize?: number;
}

/** A filter chain by name: 'default' (gensim's DEFAULT_FILTERS), 'simple' (simple_preprocess), 'none' (split on whitespace), or a list. */
export type FilterSpec = 'default' | 'simple' | 'none' | ReadonlyArray<string | Filter>;

/**
 * Build the function `text → tokens` that a filter spec describes; names are validated once, up front.
 * Used by the `preprocess` operator, the config and the CLI.
 * @param spec - 'default' | 'none' | an array of gensim filter names and/or functions ('simple' is handled by the operator)
 * @param options - stopwords, minsize for the named filters
 * @return the tokenizer
 */
export function compileFilters(
  spec: Exclude<FilterSpec, 'simple'>,
  options: FilterChainOptions = {},
): (text: string) => string[] {
  const stopwords: ReadonlySet<string> = options.stopwords === undefined ? STOPWORDS : new Set(options.stopwords);
  const minsize = options.minsize ?? 3;
  if (!Number.isInteger(minsize) || minsize < 0) throw invalidOption('minsize', 'a non-negative integer', minsize);
  if (spec === 'none') return pySplit;
  const names = spec === 'default' ? DEFAULT_FILTER_NAMES : spec;
  if (!Array.isArray(names)) throw invalidOption('filters', "'default', 'simple', 'none' or an array of filter names and functions", spec);
  const isDefault =
    names.length === DEFAULT_FILTER_NAMES.length && names.every((f, i) => f === DEFAULT_FILTER_NAMES[i] || f === DEFAULT_FILTERS[i]);
  if (isDefault) {
    const memo = stopwords === STOPWORDS && minsize === 3 ? defaultMemo : new TokenMemo(stopwords, minsize);
    return (text) => defaultPipeline(text, memo);
  }
  const chain: Filter[] = names.map((f, index) => {
    if (typeof f === 'function') return f;
    if (f === 'remove_stopwords') return (s: string) => removeStopwords(s, stopwords);
    if (f === 'strip_short') return (s: string) => stripShort(s, minsize);
    const filter = typeof f === 'string' ? FILTERS[f] : undefined;
    if (!filter) {
      throw invalidOption(`filters[${index}]`, `one of ${Object.keys(FILTERS).join(', ')} or a function`, f);
    }
    return filter;
  });
  return (text) => {
    let s = text;
    for (const f of chain) s = f(s);
    return pySplit(s);
  };
}
