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
import { LOWER_UNIT, LOWER_UNIT_NONE, WHITESPACE_FLAGS, codePointLength, pySplit, pythonLower } from './unicode.js';

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
  /** A unit `LOWER_UNIT` cannot lowercase alone: the text takes the general path. */
  Special = 3,
}

// One class per UTF-16 unit of lowercased text for the default chain: ASCII punctuation (string.punctuation) and
// Python whitespace end a token, ASCII digits are deleted (strip_numeric), everything else belongs to the token.
const CLASS = (() => {
  const table = new Uint8Array(0x10000);
  for (let ch = 0; ch < 0x10000; ch++) if (WHITESPACE_FLAGS[ch]) table[ch] = Char.Boundary;
  for (const ch of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') table[ch.charCodeAt(0)] = Char.Boundary;
  for (let ch = 48; ch <= 57; ch++) table[ch] = Char.Digit;
  return table;
})();

// The same classes for text not yet lowercased: the class of each unit's lowercase, or Special.
const RAW_CLASS = (() => {
  const table = new Uint8Array(0x10000);
  for (let ch = 0; ch < 0x10000; ch++) {
    const lower = LOWER_UNIT[ch]!;
    table[ch] = lower === LOWER_UNIT_NONE ? Char.Special : CLASS[lower]!;
  }
  return table;
})();

const IDENTITY = (() => {
  const table = new Uint16Array(0x10000);
  for (let ch = 0; ch < 0x10000; ch++) table[ch] = ch;
  return table;
})();

/**
 * What the last three default filters make of a token (remove_stopwords, strip_short, stem_text): its stem,
 * or '' when it is dropped, memoised in an open-addressing table that is looked up straight from the text,
 * so a token seen before costs a hash and a compare, and no new string. The keys' characters sit in one
 * typed array and each slot's hash, length and key offset in one 16-byte record, rather than in strings
 * scattered over the heap, so a probe touches few cache lines. Emptied when three quarters full or when the
 * key store is full, so memory stays bounded (a few MB) on unbounded vocabularies.
 */
class TokenMemo {
  // Starts small and doubles up to MAX_BITS, so short corpora do not pay for (or garbage-collect) a big table.
  private bits = 12;
  private mask = (1 << this.bits) - 1;
  private limit = (3 << this.bits) >> 2;
  private size = 0;
  /** Per slot, RECORD int32s: the key's length + 1 (0 = empty slot), its hash, where its units start in `chars`. */
  private slots = new Int32Array(RECORD << this.bits);
  // A filled array, not `new Array(n)`: V8 keeps large holey arrays in slow dictionary mode.
  private values: string[] = filled(1 << this.bits, '');
  /** The keys' units, back to back; `used` of them are taken. */
  private chars = new Uint16Array(1 << 16);
  private used = 0;
  // A small direct-mapped front table (same records) for the most frequent tokens (Zipf: a few thousand words
  // make up most of a text); it stays in the CPU cache, where the big table's records spread over megabytes.
  private readonly front = new Int32Array(RECORD * FRONT_SIZE);
  private readonly frontValues: string[] = filled(FRONT_SIZE, '');

  constructor(
    private readonly stopwords: ReadonlySet<string>,
    readonly minsize: number,
  ) {
    // Store each field that resize() and growChars() replace a second time now: V8 compiles a field stored
    // only once as a constant, and the first replacement mid-corpus then throws away the compiled scan.
    this.resize(this.bits, false);
    this.chars = new Uint16Array(this.chars.length);
  }

  /**
   * The result for text[start, end), lowercased unit by unit through `fold` and with its ASCII digits deleted
   * (strip_numeric): `length` units remain, `hash` is FNV-1a over them, `digits` says whether any were deleted.
   */
  lookup(text: string, start: number, end: number, length: number, hash: number, digits: boolean, fold: Uint16Array): string {
    const { front, chars } = this;
    const f = ((hash >>> 19) & (FRONT_SIZE - 1)) * RECORD;
    if (front[f] === length + 1 && front[f + 1] === hash && sameKey(chars, front[f + 2]!, length, text, start, digits, fold)) {
      return this.frontValues[f / RECORD]!;
    }
    const { slots, mask } = this;
    let slot = hash & mask;
    for (;;) {
      const r = slot * RECORD;
      const stored = slots[r]!;
      if (stored === 0) break;
      if (stored === length + 1 && slots[r + 1] === hash && sameKey(chars, slots[r + 2]!, length, text, start, digits, fold)) {
        // Seen twice: promoted to the front table (first sights are not, so one-off tokens do not evict frequent ones).
        const out = this.values[slot]!;
        front[f] = stored;
        front[f + 1] = hash;
        front[f + 2] = slots[r + 2]!;
        this.frontValues[f / RECORD] = out;
        return out;
      }
      slot = (slot + 1) & mask;
    }
    let token = text.slice(start, end);
    if (fold !== IDENTITY) token = pythonLower(token);
    if (digits) token = token.replace(DIGITS, '');
    return this.insert(token, hash, slot);
  }

  /** Rehash into a table of 2^bits slots, keeping the entries or (at the size cap) dropping them all. */
  private resize(bits: number, keep: boolean): void {
    const { slots, values } = this;
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.limit = (3 << bits) >> 2;
    this.slots = new Int32Array(RECORD << bits);
    this.values = filled(1 << bits, '');
    this.size = 0;
    if (!keep) {
      // The key store is emptied too, so the front table's offsets would point at other keys.
      this.used = 0;
      this.front.fill(0);
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const r = i * RECORD;
      if (slots[r] === 0) continue;
      let slot = slots[r + 1]! & this.mask;
      while (this.slots[slot * RECORD] !== 0) slot = (slot + 1) & this.mask;
      this.slots.set(slots.subarray(r, r + RECORD), slot * RECORD);
      this.values[slot] = values[i]!;
      this.size++;
    }
  }

  private insert(token: string, hash: number, slot: number): string {
    let out: string;
    if (this.stopwords.has(token)) out = '';
    else if (token.length < this.minsize || (token.length < 2 * this.minsize && codePointLength(token) < this.minsize)) out = '';
    // Detached: V8 may return a view of the token, and through it of the whole document, which the table would keep alive.
    else out = detach(stemLowercase(token));
    // Very long tokens (base64, hostile input) are not kept: they are one-offs and would crowd the key store.
    if (token.length > MAX_KEY) return out;
    const charsFull = this.used + token.length > this.chars.length;
    if (this.size >= this.limit || charsFull) {
      if (charsFull && this.chars.length < MAX_CHARS) this.growChars();
      if (this.size >= this.limit && this.bits < MAX_BITS) this.resize(this.bits + 1, true);
      else if (this.size >= this.limit || this.used + token.length > this.chars.length) this.resize(this.bits, false);
      slot = hash & this.mask;
      while (this.slots[slot * RECORD] !== 0) slot = (slot + 1) & this.mask;
    }
    const at = this.used;
    for (let i = 0; i < token.length; i++) this.chars[at + i] = token.charCodeAt(i);
    this.used = at + token.length;
    const r = slot * RECORD;
    this.slots[r] = token.length + 1;
    this.slots[r + 1] = hash;
    this.slots[r + 2] = at;
    this.values[slot] = out;
    this.size++;
    return out;
  }

  private growChars(): void {
    const chars = new Uint16Array(Math.min(MAX_CHARS, this.chars.length * 2));
    chars.set(this.chars.subarray(0, this.used));
    this.chars = chars;
  }
}

/**
 * Whether chars[at, at+length) equals text from `start` on, folded through `fold`, skipping ASCII digits in
 * the text when `digits` (an inlinable loop; tokens are short).
 */
function sameKey(chars: Uint16Array, at: number, length: number, text: string, start: number, digits: boolean, fold: Uint16Array): boolean {
  let j = start;
  const last = at + length;
  if (digits) {
    for (let k = at; k < last; k++, j++) {
      let c = text.charCodeAt(j);
      while (c >= 48 && c <= 57) c = text.charCodeAt(++j);
      if (chars[k] !== fold[c]) return false;
    }
    return true;
  }
  for (let k = at; k < last; k++, j++) if (chars[k] !== fold[text.charCodeAt(j)]) return false;
  return true;
}

/** Int32s per table record: length + 1, hash, key offset, padding (a power of two keeps records aligned). */
const RECORD = 4;
const FRONT_SIZE = 8192;
const MAX_BITS = 17;
/** Units of key storage at most (4 MB); the table is emptied when they run out. */
const MAX_CHARS = 1 << 21;
/** Longest token kept in the table, in units. */
const MAX_KEY = 64;

function filled<T>(length: number, value: T): T[] {
  // Doubled by concat (a block copy) rather than pushed one by one: the memo's resizes build arrays of
  // up to 131,072 entries, often before the JIT has compiled anything.
  let out: T[] = [value];
  while (2 * out.length <= length) out = out.concat(out);
  while (out.length < length) out.push(value);
  return out;
}

const defaultMemo = new TokenMemo(STOPWORDS, 3);

/** gensim's DEFAULT_FILTERS on `text` with the fused scan (see `scan`). */
function defaultPipeline(text: string, memo: TokenMemo): string[] {
  // Tags first, then case folded while scanning: equal to lowercasing first when every unit lowercases
  // alone (no unit lowercases to '<' or '>'); text with a unit that does not takes the general path.
  return scan(stripTags(text), memo, RAW_CLASS, LOWER_UNIT) ?? scan(stripTags(pythonLower(text)), memo, CLASS, IDENTITY)!;
}

/**
 * gensim's DEFAULT_FILTERS fused into one scan of the tag-stripped text, lowercasing unit by unit through `fold`.
 * Why this equals the chain: punctuation runs and whitespace runs both just end tokens; strip_numeric deletes
 * 0-9 inside a token without ever joining two tokens; then each token is checked against the stop words, then
 * its length, then stemmed, as remove_stopwords, strip_short and stem_text do in turn.
 * @return the tokens, or undefined when a unit of class Special is met
 */
function scan(s: string, memo: TokenMemo, classes: Uint8Array, fold: Uint16Array): string[] | undefined {
  const out: string[] = [];
  const n = s.length;
  const minsize = memo.minsize;
  let start = -1;
  let letters = 0; // units of the token other than digits
  let hash = FNV_OFFSET;
  let digits = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 32;
    const kind = classes[c]!;
    if (kind === Char.Other) {
      if (start < 0) start = i;
      letters++;
      hash = Math.imul(hash ^ fold[c]!, FNV_PRIME);
      continue;
    }
    if (kind === Char.Digit) {
      if (start < 0) start = i;
      digits = true;
      continue;
    }
    if (kind === Char.Special) return undefined;
    if (start < 0) continue;
    // Fewer units than minsize means fewer code points too: strip_short drops it, no lookup needed.
    if (letters >= minsize) {
      const stemmed = memo.lookup(s, start, i, letters, hash, digits, fold);
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
