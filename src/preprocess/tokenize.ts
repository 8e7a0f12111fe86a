/**
 * gensim.utils' tokenizer: `tokenize`, `simplePreprocess` and `deaccent`, with Python's Unicode rules.
 */
import { invalidOption } from '../errors.js';
import { PY_CLASS, codePointLength, pythonLower } from './unicode.js';

// gensim's PAT_ALPHABETIC `(((?![\d])\w)+)`: runs of word characters that are not decimal digits.
const PAT_ALPHABETIC = new RegExp(`[${PY_CLASS.alphabetic}]+`, 'gu');
const RE_MN = new RegExp(`[${PY_CLASS.mn}]+`, 'gu');
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Remove accents: decompose (NFD), drop nonspacing marks (category Mn), recompose (NFC), as gensim's `deaccent`.
 *
 * ## Example
 * ```ts
 * import { deaccent } from 'corpusflow';
 * deaccent('Šéf chomutovských komunistů'); // 'Sef chomutovskych komunistu'
 * ```
 * @param text - the text
 * @return the text without accent marks
 */
export function deaccent(text: string): string {
  if (!NON_ASCII.test(text)) return text;
  if (!LONG_MARK_RUN.test(text)) return text.normalize('NFD').replace(RE_MN, '').normalize('NFC');
  return deaccentLongMarkRuns(text);
}

// Canonical reordering sorts each run of combining marks by insertion, so normalising a run of n marks
// costs n² (a hostile run of a million marks takes hours, in ICU as in CPython). Runs longer than this are
// cut into slices by a separator, as Unicode's Stream-Safe Text Format (UAX #15) does after 30 marks.
const MARK_SLICE = 64;
const LONG_MARK_RUN = new RegExp(`\\p{M}{${MARK_SLICE + 1}}`, 'u');
const MARK_SLICES = new RegExp(`\\p{M}{${MARK_SLICE}}(?=\\p{M})`, 'gu');

/**
 * deaccent for text with a run of more than MARK_SLICE combining marks: a noncharacter absent from the
 * text goes after every MARK_SLICE marks of such runs, and comes out after NFC. It is a starter, so marks
 * are reordered only within their slice. The result is exact when such runs hold only nonspacing marks
 * (Mn), which deaccent removes anyway; other marks in them are reordered only within their slices.
 */
function deaccentLongMarkRuns(text: string): string {
  let separator = 0xfdd0;
  while (separator < 0xfdef && text.includes(String.fromCharCode(separator))) separator++;
  const mark = String.fromCharCode(separator);
  const stripped = text.replace(MARK_SLICES, (run) => run + mark).normalize('NFD').replace(RE_MN, '');
  const joined = stripped.split(mark).join('');
  // Usually the long runs were nonspacing marks and are gone: compose exactly, without separators.
  if (!LONG_MARK_RUN.test(joined)) return joined.normalize('NFC');
  return stripped.normalize('NFC').split(mark).join('');
}

/** Options of `tokenize`. */
export interface TokenizeOptions {
  /** Lowercase first, with Python's `str.lower()` (default false, as in gensim). */
  lowercase?: boolean;
  /** Remove accents first (default false). */
  deacc?: boolean;
}

/**
 * Split text into runs of letters (Unicode word characters other than decimal digits; underscore included),
 * as gensim's `utils.tokenize`. Digits split tokens and are dropped.
 *
 * ## Example
 * ```ts
 * import { tokenize } from 'corpusflow';
 * tokenize('Nic nemůže letět rychlostí 300 km/s', { deacc: true }); // ['Nic', 'nemuze', 'letet', 'rychlosti', 'km', 's']
 * ```
 * @param text - the text
 * @param options - lowercase, deacc
 * @return the tokens, in order
 */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  let s = text;
  if (options.lowercase) s = pythonLower(s);
  if (options.deacc) s = deaccent(s);
  return s.match(PAT_ALPHABETIC) ?? [];
}

/** Options of `simplePreprocess`, gensim's names in camelCase. */
export interface SimplePreprocessOptions {
  /** Remove accents (default false). */
  deacc?: boolean;
  /** Shortest token kept, in code points, inclusive (default 2). */
  minLen?: number;
  /** Longest token kept, in code points, inclusive (default 15). */
  maxLen?: number;
}

/**
 * gensim's `simple_preprocess`: lowercase, tokenize, keep tokens of minLen..maxLen code points that do not start with '_'.
 *
 * ## Example
 * ```ts
 * import { simplePreprocess } from 'corpusflow';
 * simplePreprocess('Hello, World! _private x'); // ['hello', 'world']
 * ```
 * @param text - the document text
 * @param options - deacc, minLen, maxLen
 * @return the tokens
 */
export function simplePreprocess(text: string, options: SimplePreprocessOptions = {}): string[] {
  const { deacc = false, minLen = 2, maxLen = 15 } = options;
  if (!Number.isInteger(minLen) || minLen < 0) throw invalidOption('minLen', 'a non-negative integer', minLen);
  if (!Number.isInteger(maxLen) || maxLen < 0) throw invalidOption('maxLen', 'a non-negative integer', maxLen);
  const out: string[] = [];
  for (const token of tokenize(text, { lowercase: true, deacc })) {
    // UTF-16 length is an upper bound of the code point count (Python's len).
    if (token.length < minLen || token.charCodeAt(0) === 95 /* _ */) continue;
    const n = codePointLength(token);
    if (n < minLen || n > maxLen) continue;
    out.push(token);
  }
  return out;
}
