/**
 * Python's idea of Unicode, in JavaScript: what CPython's `re` means by `\s`, `\w` and `\d`,
 * what `str.split()` splits on, what `len()` counts and what `str.lower()` returns.
 * gensim's filters are defined by those, and JavaScript's own (`\s`, `toLowerCase`, `.length`)
 * differ on a handful of characters, so the tables here are measured from CPython
 * (see unicode-tables.ts) rather than taken from the JavaScript engine.
 */
import {
  PY_ALPHABETIC,
  PY_CASE_IGNORABLE,
  PY_CASED,
  PY_LOWER,
  PY_MN,
  PY_WHITESPACE,
  PY_WORD,
} from './unicode-tables.js';

/** Parse `start,end,start,end` hex ranges into a flat number array. */
function parseRanges(table: string): number[] {
  return table.split(',').map((h) => parseInt(h, 16));
}

/** Turn ranges into the body of a `u`-flag character class. */
function toClass(ranges: number[]): string {
  let out = '';
  for (let i = 0; i < ranges.length; i += 2) {
    const a = ranges[i]!;
    const b = ranges[i + 1]!;
    out += a === b ? `\\u{${a.toString(16)}}` : `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`;
  }
  return out;
}

/** Binary search membership in sorted inclusive ranges. */
function inRanges(ranges: number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]!) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const WHITESPACE_RANGES = parseRanges(PY_WHITESPACE);
const WHITESPACE_CLASS = toClass(WHITESPACE_RANGES);

/** Character class bodies (for `u`-flag regexes) of Python's `\s`, `\w`, gensim's alphabetic atom and category Mn. */
export const PY_CLASS = {
  whitespace: WHITESPACE_CLASS,
  word: toClass(parseRanges(PY_WORD)),
  alphabetic: toClass(parseRanges(PY_ALPHABETIC)),
  mn: toClass(parseRanges(PY_MN)),
} as const;

/**
 * Per-BMP-code-unit flags for the hot loops: 1 = Python whitespace. All of Python's whitespace is in the BMP,
 * so a surrogate (half of an astral character) is never whitespace.
 */
export const WHITESPACE_FLAGS: Uint8Array = (() => {
  const flags = new Uint8Array(0x10000);
  for (let i = 0; i < WHITESPACE_RANGES.length; i += 2) {
    for (let c = WHITESPACE_RANGES[i]!; c <= WHITESPACE_RANGES[i + 1]!; c++) flags[c] = 1;
  }
  return flags;
})();

const NON_WHITESPACE_RUN = new RegExp(`[^${WHITESPACE_CLASS}]+`, 'gu');

/**
 * Python's `str.split()` with no argument: split on runs of Unicode whitespace, drop empty pieces.
 * @param s - the text
 * @return the pieces, in order
 */
export function pySplit(s: string): string[] {
  return s.match(NON_WHITESPACE_RUN) ?? [];
}

/**
 * Python's `len(s)`: the number of code points (a surrogate pair counts once, as in Python).
 * @param s - the text
 * @return the number of code points
 */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Whether any UTF-16 unit is a surrogate (so code points and units differ). */
export function hasSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

// str.lower() tables: BMP code units map through LOWER_BMP (-1 = unchanged, -2 = see LOWER_SPECIAL),
// astral code points and multi-character results through LOWER_SPECIAL.
const LOWER_BMP = new Int32Array(0x10000).fill(-1);
const LOWER_SPECIAL = new Map<number, string>();
for (const entry of PY_LOWER.split(',')) {
  const [from, to] = entry.split(':') as [string, string];
  const cp = parseInt(from, 16);
  const lowered = String.fromCodePoint(...to.split('.').map((h) => parseInt(h, 16)));
  if (cp < 0x10000 && lowered.length === 1) LOWER_BMP[cp] = lowered.charCodeAt(0);
  else {
    if (cp < 0x10000) LOWER_BMP[cp] = -2;
    LOWER_SPECIAL.set(cp, lowered);
  }
}
const CASE_IGNORABLE = parseRanges(PY_CASE_IGNORABLE);
const CASED = parseRanges(PY_CASED);
const CAPITAL_SIGMA = 0x3a3;
/** Marker in `LOWER_UNIT` for a unit that does not lowercase on its own. */
export const LOWER_UNIT_NONE = 0xffff;
LOWER_BMP[CAPITAL_SIGMA] = -3;

/**
 * Python's `str.lower()` of each BMP code unit when it is one unit and needs no context, else `LOWER_UNIT_NONE`
 * (multi-unit results such as 'İ' → 'i̇', the capital sigma whose lowercase depends on its neighbours, and
 * surrogates). Text made only of units with a mapping lowercases unit by unit, so a scanner can fold case as
 * it reads instead of lowercasing the whole text first.
 */
export const LOWER_UNIT: Uint16Array = (() => {
  const table = new Uint16Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    const m = LOWER_BMP[c]!;
    table[c] = c >= 0xd800 && c <= 0xdfff ? LOWER_UNIT_NONE : m === -1 ? c : m >= 0 ? m : LOWER_UNIT_NONE;
  }
  // U+FFFF is its own lowercase but doubles as the marker: text holding it takes the general path.
  table[LOWER_UNIT_NONE] = LOWER_UNIT_NONE;
  return table;
})();

const NON_ASCII = /[^\x00-\x7f]/;

// Per BMP unit, whether JavaScript's toLowerCase gives Python's result for it (1 = yes, 2 = no, 0 = not yet known).
// Measured lazily against the running engine, so a different ICU cannot silently change results.
const JS_AGREES = new Uint8Array(0x10000);

function jsAgrees(c: number): boolean {
  let v = JS_AGREES[c]!;
  if (v === 0) {
    const m = LOWER_BMP[c]!;
    const ch = String.fromCharCode(c);
    const python = m === -1 ? ch : m >= 0 ? String.fromCharCode(m) : undefined;
    v = (c < 0xd800 || c > 0xdfff) && python !== undefined && ch.toLowerCase() === python ? 1 : 2;
    JS_AGREES[c] = v;
  }
  return v === 1;
}

/**
 * Python's `str.lower()`: full Unicode lowercasing, including 'İ' → 'i̇' and the final-sigma rule
 * ('Σ' becomes 'ς' at the end of a word), with CPython's Unicode tables.
 * Runs of characters on which JavaScript agrees go through `toLowerCase` in one call.
 * @param s - the text
 * @return the lowercased text
 */
export function pythonLower(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80 || jsAgrees(c)) continue;
    out += s.slice(last, i).toLowerCase();
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        const pair = s.slice(i, i + 2);
        out += LOWER_SPECIAL.get(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000) ?? pair;
        last = i + 2;
        i++;
        continue;
      }
    }
    const m = LOWER_BMP[c]!;
    if (m >= 0) out += String.fromCharCode(m);
    else if (m === -2) out += LOWER_SPECIAL.get(c)!;
    else if (m === -3) out += finalSigma(s, i) ? '\u03c2' : '\u03c3';
    else out += s[i];
    last = i + 1;
  }
  return last === 0 ? s.toLowerCase() : out + s.slice(last).toLowerCase();
}

/** Code point ending just before UTF-16 index `i`, and its start index. */
function codePointBefore(s: string, i: number): [number, number] {
  const d = s.charCodeAt(i - 1);
  if (d >= 0xdc00 && d <= 0xdfff && i >= 2) {
    const c = s.charCodeAt(i - 2);
    if (c >= 0xd800 && c <= 0xdbff) return [((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000, i - 2];
  }
  return [d, i - 1];
}

/** CPython's Final_Sigma test for the 'Σ' at index i: cased (ignorable)* Σ not followed by (ignorable)* cased. */
function finalSigma(s: string, i: number): boolean {
  let j = i;
  let before = -1;
  while (j > 0) {
    const [cp, start] = codePointBefore(s, j);
    j = start;
    if (!inRanges(CASE_IGNORABLE, cp)) {
      before = cp;
      break;
    }
  }
  if (before < 0 || !inRanges(CASED, before)) return false;
  for (let k = i + 1; k < s.length; ) {
    const cp = s.codePointAt(k)!;
    k += cp > 0xffff ? 2 : 1;
    if (!inRanges(CASE_IGNORABLE, cp)) return !inRanges(CASED, cp);
  }
  return true;
}
