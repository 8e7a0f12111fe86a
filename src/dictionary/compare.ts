/**
 * String ordering that matches Python's `sorted()` on `str`.
 *
 * Python compares strings code point by code point; JavaScript's `<` and the
 * default `Array.prototype.sort` compare UTF-16 code units. The two disagree
 * only when one string has an astral character (a surrogate pair, U+D800..U+DFFF
 * as units) where the other has a BMP character in U+E000..U+FFFF: UTF-16 puts
 * the astral one first, Python puts it last. Dictionary ids and the saved text
 * format both depend on this order, so gensim parity needs the Python one.
 */

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** The code point Python would see at UTF-16 index `i` (a lone surrogate counts as itself). */
function codePointAtUnit(s: string, i: number): number {
  const unit = s.charCodeAt(i);
  if (isHighSurrogate(unit) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
    return (unit - 0xd800) * 0x400 + (s.charCodeAt(i + 1) - 0xdc00) + 0x10000;
  }
  return unit;
}

/**
 * Compare two strings by Unicode code point, as Python does.
 *
 * Like sorting words in a dictionary by the number of each letter in the
 * Unicode table, rather than by how JavaScript happens to store the letter.
 *
 * ## Example
 * ```ts
 * import { compareCodePoints } from 'corpusflow';
 * ['𝐀', 'ﬀ'].sort(compareCodePoints); // ['ﬀ', '𝐀'] (U+FB00 < U+1D400), as Python sorts them
 * ```
 *
 * @param a First string.
 * @param b Second string.
 * @return Negative when `a` sorts first, positive when `b` does, 0 when equal.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Fast path: below U+D800 UTF-16 order is code point order.
    if (x < 0xd800 || y < 0xd800) return x - y;
    // The strings agree before i, so when a high surrogate precedes i in one
    // it does in both: compare the code points that start there.
    const j = i > 0 && isHighSurrogate(a.charCodeAt(i - 1)) ? i - 1 : i;
    return codePointAtUnit(a, j) - codePointAtUnit(b, j);
  }
  return a.length - b.length;
}
