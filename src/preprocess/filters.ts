/**
 * The gensim.parsing.preprocessing filters, one function each, string in and string out,
 * with gensim's exact regexes and Python's Unicode rules (see unicode.ts).
 */
import { sharedStemCache } from './porter.js';
import { STOPWORDS } from './stopwords.js';
import { PY_CLASS, codePointLength, pySplit, pythonLower } from './unicode.js';

/** A preprocessing filter: text in, text out, like gensim's. */
export type Filter = (s: string) => string;

/**
 * Lowercase like Python's `str.lower()` (gensim's first default filter is `lambda x: x.lower()`).
 * @param s - the text
 * @return the lowercased text
 */
export function lowercase(s: string): string {
  return pythonLower(s);
}

/**
 * Remove `<...>` tags (gensim's RE_TAGS `<([^>]+)>`): each '<' up to the next '>' goes, if something lies between.
 * Scans with indexOf instead of the regex, which is quadratic on text full of unclosed '<'.
 *
 * ## Example
 * ```ts
 * import { stripTags } from 'corpusflow';
 * stripTags('<i>Hello</i> <b>World</b>!'); // 'Hello World!'
 * ```
 * @param s - the text
 * @return the text without tags
 */
export function stripTags(s: string): string {
  let open = s.indexOf('<');
  if (open < 0) return s;
  let out = '';
  let last = 0;
  while (open >= 0) {
    const close = s.indexOf('>', open + 1);
    // No '>' after this '<' means none after any later '<' either.
    if (close < 0) break;
    if (close === open + 1) {
      // '<>' is not a tag; the regex retries from the next character.
      open = s.indexOf('<', open + 1);
      continue;
    }
    out += s.slice(last, open);
    last = close + 1;
    open = s.indexOf('<', last);
  }
  return last === 0 ? s : out + s.slice(last);
}

const RE_PUNCT = /[!-/:-@[-`{-~]+/g;
/**
 * Replace each run of ASCII punctuation (Python's `string.punctuation`) with one space.
 * @param s - the text
 * @return the text with punctuation runs replaced by ' '
 */
export function stripPunctuation(s: string): string {
  return s.replace(RE_PUNCT, ' ');
}

const RE_WHITESPACE = new RegExp(`[${PY_CLASS.whitespace}]+`, 'gu');
/**
 * Replace each run of whitespace (Python's Unicode `\s`) with one space.
 * @param s - the text
 * @return the text with single spaces
 */
export function stripMultipleWhitespaces(s: string): string {
  return s.replace(RE_WHITESPACE, ' ');
}

const RE_NUMERIC = /[0-9]+/g;
/**
 * Remove ASCII digits (gensim's RE_NUMERIC is `[0-9]+`, so other scripts' digits stay).
 * @param s - the text
 * @return the text without 0-9
 */
export function stripNumeric(s: string): string {
  return s.replace(RE_NUMERIC, '');
}

const RE_NONALPHA = new RegExp(`[^${PY_CLASS.word}]`, 'gu');
/**
 * Replace every non-word character (Python's Unicode `\W`, one space per code point) with a space.
 * @param s - the text
 * @return the text with only word characters and spaces
 */
export function stripNonAlphanum(s: string): string {
  return s.replace(RE_NONALPHA, ' ');
}

// gensim's RE_AL_NUM `([a-z]+)([0-9]+)` and RE_NUM_AL `([0-9]+)([a-z]+)` put a space at every letter/digit
// boundary (each match starts at the first letter, or digit, after the previous one). Written with a
// lookahead they do the same in linear time: the originals backtrack quadratically on a long run of
// letters or digits without a boundary (a million-character token took hours).
const RE_AL_NUM = /([a-z])(?=[0-9])/g;
const RE_NUM_AL = /([0-9])(?=[a-z])/g;
/**
 * Put a space between ASCII lowercase letters and digits, both ways ('24.0hours7' → '24.0 hours 7').
 * @param s - the text
 * @return the text with letters and digits separated
 */
export function splitAlphanum(s: string): string {
  return s.replace(RE_AL_NUM, '$1 ').replace(RE_NUM_AL, '$1 ');
}

/**
 * Drop stop words from the whitespace-split text and join with single spaces.
 *
 * ## Example
 * ```ts
 * import { removeStopwords } from 'corpusflow';
 * removeStopwords('Better late than never, but better never late.'); // 'Better late never, better late.'
 * ```
 * @param s - the text
 * @param stopwords - words to drop (default gensim's STOPWORDS); matched case-sensitively, as in gensim
 * @return the remaining words joined by ' '
 */
export function removeStopwords(s: string, stopwords: ReadonlySet<string> = STOPWORDS): string {
  return pySplit(s)
    .filter((token) => !stopwords.has(token))
    .join(' ');
}

/**
 * Drop words shorter than `minsize` code points (Python `len`) and join with single spaces.
 * @param s - the text
 * @param minsize - minimum length kept (default 3)
 * @return the remaining words joined by ' '
 */
export function stripShort(s: string, minsize = 3): string {
  return pySplit(s)
    .filter((token) => codePointLength(token) >= minsize)
    .join(' ');
}

/**
 * Porter-stem every whitespace-separated word (lowercasing it), as gensim's `stem_text`.
 * @param s - the text
 * @return the stems joined by ' '
 */
export function stemText(s: string): string {
  return pySplit(s)
    .map((token) => sharedStemCache.stem(token))
    .join(' ');
}

/**
 * Filters by their gensim names, for configs and `--filters NAME,NAME`. `remove_stopwords` and `strip_short`
 * use their defaults (gensim's list, minsize 3); `lower_to_unicode` and `stem` are gensim's aliases.
 */
export const FILTERS: Readonly<Record<string, Filter>> = Object.freeze({
  lowercase,
  lower_to_unicode: lowercase,
  strip_tags: stripTags,
  strip_punctuation: stripPunctuation,
  strip_multiple_whitespaces: stripMultipleWhitespaces,
  strip_numeric: stripNumeric,
  strip_non_alphanum: stripNonAlphanum,
  split_alphanum: splitAlphanum,
  remove_stopwords: (s: string) => removeStopwords(s),
  strip_short: (s: string) => stripShort(s),
  stem_text: stemText,
  stem: stemText,
});

/** gensim's DEFAULT_FILTERS, in gensim's order, by name. */
export const DEFAULT_FILTER_NAMES: readonly string[] = Object.freeze([
  'lowercase',
  'strip_tags',
  'strip_punctuation',
  'strip_multiple_whitespaces',
  'strip_numeric',
  'remove_stopwords',
  'strip_short',
  'stem_text',
]);

/** gensim's DEFAULT_FILTERS: lowercase, strip_tags, strip_punctuation, strip_multiple_whitespaces, strip_numeric, remove_stopwords, strip_short, stem_text. */
export const DEFAULT_FILTERS: readonly Filter[] = Object.freeze(DEFAULT_FILTER_NAMES.map((name) => FILTERS[name]!));
