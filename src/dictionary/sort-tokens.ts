/**
 * In-place sort of a document's unseen tokens, for assigning their ids.
 *
 * Multikey (three-way radix) quicksort on UTF-16 code units: each pass looks at
 * one character position, so shared prefixes are read once instead of on every
 * comparison. On the dictionary build it is about twice as fast as
 * `Array.prototype.sort()`, which compares whole strings each time. It orders
 * by UTF-16 unit (as the default sort does), which equals Python's code point
 * order when no string holds a surrogate; for strings that do, callers ask for
 * code point order, which the same sort gives by ranking units (see rankAt), so
 * there is one code path for V8 to optimise.
 */

/** Below this many strings a partition is finished by insertion sort. */
const SMALL = 12;
/** Recursion depth after which a range is handed to the native sort (bounds the stack on adversarial input). */
const MAX_DEPTH = 48;

/**
 * The unit at `i` as it ranks in code point order: a high surrogate that
 * starts a well-formed pair ranks above every BMP unit (its astral code point
 * does), by its own value, and the low half that follows is only ever compared
 * with another low half after the same high one. Any other unit, a lone
 * surrogate included, is its own code point, as in Python.
 */
function rankAt(s: string, i: number): number {
  const u = s.charCodeAt(i);
  if (u >= 0xd800 && u <= 0xdbff && i + 1 < s.length) {
    const v = s.charCodeAt(i + 1);
    if (v >= 0xdc00 && v <= 0xdfff) return u + 0x2800; // 0x10000..0x103ff
  }
  return u;
}

/** Unit at `d` (its code point rank with `cp`), or -1 past the end (a shorter string sorts first). */
function unitAt(s: string, d: number, cp: boolean): number {
  if (d >= s.length) return -1;
  return cp ? rankAt(s, d) : s.charCodeAt(d);
}

/** Whether `a` sorts after `b`, knowing they agree on their first `d` units (ranks with `cp`). */
function after(a: string, b: string, d: number, cp: boolean): boolean {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = d; i < n; i++) {
    if (cp) {
      // Equal units can still rank apart (a high surrogate paired in one string, lone in the other).
      const x = rankAt(a, i);
      const y = rankAt(b, i);
      if (x !== y) return x > y;
    } else {
      const x = a.charCodeAt(i);
      const y = b.charCodeAt(i);
      if (x !== y) return x > y;
    }
  }
  return a.length > b.length;
}

function swap(keys: string[], tags: Int32Array, i: number, j: number): void {
  const k = keys[i]!;
  keys[i] = keys[j]!;
  keys[j] = k;
  const t = tags[i]!;
  tags[i] = tags[j]!;
  tags[j] = t;
}

function insertionSort(keys: string[], tags: Int32Array, lo: number, hi: number, d: number, cp: boolean): void {
  for (let i = lo + 1; i < hi; i++) {
    const key = keys[i]!;
    const tag = tags[i]!;
    let j = i - 1;
    while (j >= lo && after(keys[j]!, key, d, cp)) {
      keys[j + 1] = keys[j]!;
      tags[j + 1] = tags[j]!;
      j--;
    }
    keys[j + 1] = key;
    tags[j + 1] = tag;
  }
}

/** The range sorted by the native sort (comparing from unit d on), tags moved along. */
function nativeSort(keys: string[], tags: Int32Array, lo: number, hi: number, d: number, cp: boolean): void {
  const order = Array.from({ length: hi - lo }, (_, i) => lo + i).sort((i, j) => (after(keys[i]!, keys[j]!, d, cp) ? 1 : after(keys[j]!, keys[i]!, d, cp) ? -1 : 0));
  const sortedKeys = order.map((i) => keys[i]!);
  const sortedTags = order.map((i) => tags[i]!);
  for (let i = lo; i < hi; i++) {
    keys[i] = sortedKeys[i - lo]!;
    tags[i] = sortedTags[i - lo]!;
  }
}

function sortRange(keys: string[], tags: Int32Array, lo: number, hi: number, d: number, depth: number, cp: boolean): void {
  if (depth > MAX_DEPTH) {
    nativeSort(keys, tags, lo, hi, d, cp);
    return;
  }
  while (hi - lo > SMALL) {
    // Median of three units as the pivot.
    const a = unitAt(keys[lo]!, d, cp);
    const b = unitAt(keys[(lo + hi) >>> 1]!, d, cp);
    const c = unitAt(keys[hi - 1]!, d, cp);
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // Three-way partition on the unit at d: [lo, lt) below, [lt, gt] equal, (gt, hi) above.
    let lt = lo;
    let gt = hi - 1;
    let i = lo;
    while (i <= gt) {
      const u = unitAt(keys[i]!, d, cp);
      if (u < pivot) swap(keys, tags, lt++, i++);
      else if (u > pivot) swap(keys, tags, i, gt--);
      else i++;
    }
    sortRange(keys, tags, lo, lt, d, depth + 1, cp);
    sortRange(keys, tags, gt + 1, hi, d, depth + 1, cp);
    // The equal part continues on the next unit, unless its strings all ended here (they are equal).
    if (pivot < 0) return;
    lo = lt;
    hi = gt + 1;
    d++;
  }
  if (hi - lo > 1) insertionSort(keys, tags, lo, hi, d, cp);
}

/**
 * Sort `keys[0..n)` in place, moving `tags[0..n)` along: by UTF-16 code units,
 * or by code point (Python's order, lone surrogates included) with `byCodePoint`.
 *
 * Like sorting index cards by their first letter, then each pile by the second
 * letter, and so on, with each card's number travelling with it.
 *
 * @param keys Strings to sort (at least n).
 * @param tags One number per string, permuted the same way (at least n).
 * @param n How many to sort.
 * @param byCodePoint Compare code points (needed only when a key holds a surrogate). Default false.
 */
export function sortTokens(keys: string[], tags: Int32Array, n: number, byCodePoint = false): void {
  sortRange(keys, tags, 0, n, 0, 0, byCodePoint);
}
