/**
 * In-place sort of a document's unseen tokens, for assigning their ids.
 *
 * Multikey (three-way radix) quicksort on UTF-16 code units: each pass looks at
 * one character position, so shared prefixes are read once instead of on every
 * comparison. On the dictionary build it is about twice as fast as
 * `Array.prototype.sort()`, which compares whole strings each time. It orders
 * exactly as the default sort (UTF-16 unit order), which equals Python's code
 * point order when no string holds a surrogate; callers check that first.
 */

import { compareCodePoints } from './compare.js';

/** Below this many strings a partition is finished by insertion sort. */
const SMALL = 12;
/** Recursion depth after which a range is handed to the native sort (bounds the stack on adversarial input). */
const MAX_DEPTH = 48;

/** Unit at `d`, or -1 past the end (a shorter string sorts first). */
function unitAt(s: string, d: number): number {
  return d < s.length ? s.charCodeAt(d) : -1;
}

/** Whether `a` sorts after `b`, knowing they agree on their first `d` units. */
function after(a: string, b: string, d: number): boolean {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = d; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x > y;
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

function insertionSort(keys: string[], tags: Int32Array, lo: number, hi: number, d: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const key = keys[i]!;
    const tag = tags[i]!;
    let j = i - 1;
    while (j >= lo && after(keys[j]!, key, d)) {
      keys[j + 1] = keys[j]!;
      tags[j + 1] = tags[j]!;
      j--;
    }
    keys[j + 1] = key;
    tags[j + 1] = tag;
  }
}

/** The range sorted by the native sort (comparing from unit d on), tags moved along. */
function nativeSort(keys: string[], tags: Int32Array, lo: number, hi: number, d: number): void {
  const order = Array.from({ length: hi - lo }, (_, i) => lo + i).sort((i, j) => (after(keys[i]!, keys[j]!, d) ? 1 : after(keys[j]!, keys[i]!, d) ? -1 : 0));
  const sortedKeys = order.map((i) => keys[i]!);
  const sortedTags = order.map((i) => tags[i]!);
  for (let i = lo; i < hi; i++) {
    keys[i] = sortedKeys[i - lo]!;
    tags[i] = sortedTags[i - lo]!;
  }
}

function sortRange(keys: string[], tags: Int32Array, lo: number, hi: number, d: number, depth: number): void {
  if (depth > MAX_DEPTH) {
    nativeSort(keys, tags, lo, hi, d);
    return;
  }
  while (hi - lo > SMALL) {
    // Median of three units as the pivot.
    const a = unitAt(keys[lo]!, d);
    const b = unitAt(keys[(lo + hi) >>> 1]!, d);
    const c = unitAt(keys[hi - 1]!, d);
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // Three-way partition on the unit at d: [lo, lt) below, [lt, gt] equal, (gt, hi) above.
    let lt = lo;
    let gt = hi - 1;
    let i = lo;
    while (i <= gt) {
      const u = unitAt(keys[i]!, d);
      if (u < pivot) swap(keys, tags, lt++, i++);
      else if (u > pivot) swap(keys, tags, i, gt--);
      else i++;
    }
    sortRange(keys, tags, lo, lt, d, depth + 1);
    sortRange(keys, tags, gt + 1, hi, d, depth + 1);
    // The equal part continues on the next unit, unless its strings all ended here (they are equal).
    if (pivot < 0) return;
    lo = lt;
    hi = gt + 1;
    d++;
  }
  if (hi - lo > 1) insertionSort(keys, tags, lo, hi, d);
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
  if (byCodePoint) sortByCodePoint(keys, tags, n);
  else sortRange(keys, tags, 0, n, 0, 0);
}

/** sortTokens by code point, through the native sort with compareCodePoints. */
function sortByCodePoint(keys: string[], tags: Int32Array, n: number): void {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareCodePoints(keys[a]!, keys[b]!));
  const sortedKeys = order.map((i) => keys[i]!);
  const sortedTags = order.map((i) => tags[i]!);
  for (let i = 0; i < n; i++) {
    keys[i] = sortedKeys[i]!;
    tags[i] = sortedTags[i]!;
  }
}
