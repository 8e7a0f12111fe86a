/**
 * gensim's Porter stemmer (gensim.parsing.porter.PorterStemmer), reproduced rule for rule,
 * including gensim's departures from Porter's 1980 paper: words of one or two characters are left alone,
 * -bli becomes -ble and -logi becomes -log in step 2, and the odd cases where gensim reads a
 * character before the start of the word (Python's negative indexing) are kept.
 *
 * Like gensim, the word is lowercased first (Python `str.lower()`), and positions count code points.
 */
import { hasSurrogates, pythonLower } from './unicode.js';

const a = 97;
const b = 98;
const c = 99;
const e = 101;
const i_ = 105;
const l = 108;
const o = 111;
const s = 115;
const t = 116;
const u = 117;
const w = 119;
const x = 120;
const y = 121;
const z = 122;

/**
 * The stemming state for one word: the word in `b` (one UTF-16 unit per code point, see `stem`),
 * the live end at `k`, a general offset `j`. As in gensim, `b` may run past `k`.
 */
class PorterState {
  b = '';
  k = 0;
  j = 0;

  /** Python indexing: a negative index counts from the end of the whole buffer. */
  private at(index: number): number {
    return this.b.charCodeAt(index < 0 ? this.b.length + index : index);
  }

  /** The last 'y' whose run start was found, and that start: m() and vowelInStem() ask about i, i+1, ... in turn. */
  private yAt = -1;
  private yRunStart = 0;

  /**
   * Consonant at i? 'y' is a consonant at the start or after a vowel (gensim recurses). Inside a run of
   * y's the answer alternates from the run's start, which is remembered so that a scan over a long run
   * ('yyyy…e', a hostile million-character token) stays linear instead of quadratic.
   */
  private cons(index: number): boolean {
    const ch = this.b.charCodeAt(index);
    if (ch === a || ch === e || ch === i_ || ch === o || ch === u) return false;
    if (ch !== y) return true;
    let start: number;
    if (this.yAt >= 0 && (this.yAt === index || this.yAt === index - 1)) start = this.yRunStart;
    else {
      start = index;
      while (start > 0 && this.b.charCodeAt(start - 1) === y) start--;
    }
    this.yAt = index;
    this.yRunStart = start;
    const even = (index - start) % 2 === 0;
    if (start === 0) return even;
    const before = this.b.charCodeAt(start - 1);
    const vowelBefore = before === a || before === e || before === i_ || before === o || before === u;
    // The run's first y is a consonant after a vowel, a vowel after a consonant; then they alternate.
    return vowelBefore ? even : !even;
  }

  /** Number of vowel-consonant sequences in buf[0..j]. */
  private m(): number {
    const j = this.j;
    let i = 0;
    for (;;) {
      if (i > j) return 0;
      if (!this.cons(i)) break;
      i++;
    }
    i++;
    let n = 0;
    for (;;) {
      for (;;) {
        if (i > j) return n;
        if (this.cons(i)) break;
        i++;
      }
      i++;
      n++;
      for (;;) {
        if (i > j) return n;
        if (!this.cons(i)) break;
        i++;
      }
      i++;
    }
  }

  private vowelInStem(): boolean {
    for (let i = 0; i <= this.j; i++) if (!this.cons(i)) return true;
    return false;
  }

  private doubleC(j: number): boolean {
    return j > 0 && this.b.charCodeAt(j) === this.b.charCodeAt(j - 1) && this.cons(j);
  }

  private cvc(i: number): boolean {
    if (i < 2 || !this.cons(i) || this.cons(i - 1) || !this.cons(i - 2)) return false;
    const ch = this.b.charCodeAt(i);
    return ch !== w && ch !== x && ch !== y;
  }

  private ends(suffix: string): boolean {
    const length = suffix.length;
    const k = this.k;
    if (suffix.charCodeAt(length - 1) !== this.b.charCodeAt(k)) return false;
    if (length > k + 1) return false;
    if (!this.b.startsWith(suffix, k - length + 1)) return false;
    this.j = k - length;
    return true;
  }

  private setTo(suffix: string): void {
    this.yAt = -1;
    this.b = this.b.slice(0, this.j + 1) + suffix;
    this.k = this.b.length - 1;
  }

  private r(suffix: string): void {
    if (this.m() > 0) this.setTo(suffix);
  }

  private step1ab(): void {
    if (this.b.charCodeAt(this.k) === s) {
      if (this.ends('sses')) this.k -= 2;
      else if (this.ends('ies')) this.setTo('i');
      else if (this.b.charCodeAt(this.k - 1) !== s) this.k -= 1;
    }
    if (this.ends('eed')) {
      if (this.m() > 0) this.k -= 1;
    } else if ((this.ends('ed') || this.ends('ing')) && this.vowelInStem()) {
      this.k = this.j;
      if (this.ends('at')) this.setTo('ate');
      else if (this.ends('bl')) this.setTo('ble');
      else if (this.ends('iz')) this.setTo('ize');
      else if (this.doubleC(this.k)) {
        const ch = this.b.charCodeAt(this.k - 1);
        if (ch !== l && ch !== s && ch !== z) this.k -= 1;
      } else if (this.m() === 1 && this.cvc(this.k)) this.setTo('e');
    }
  }

  private step1c(): void {
    if (this.ends('y') && this.vowelInStem()) {
      this.yAt = -1;
      this.b = this.b.slice(0, this.k) + 'i';
    }
  }

  private step2(): void {
    switch (this.at(this.k - 1)) {
      case a:
        if (this.ends('ational')) this.r('ate');
        else if (this.ends('tional')) this.r('tion');
        break;
      case c:
        if (this.ends('enci')) this.r('ence');
        else if (this.ends('anci')) this.r('ance');
        break;
      case e:
        if (this.ends('izer')) this.r('ize');
        break;
      case l:
        if (this.ends('bli')) this.r('ble');
        else if (this.ends('alli')) this.r('al');
        else if (this.ends('entli')) this.r('ent');
        else if (this.ends('eli')) this.r('e');
        else if (this.ends('ousli')) this.r('ous');
        break;
      case o:
        if (this.ends('ization')) this.r('ize');
        else if (this.ends('ation')) this.r('ate');
        else if (this.ends('ator')) this.r('ate');
        break;
      case s:
        if (this.ends('alism')) this.r('al');
        else if (this.ends('iveness')) this.r('ive');
        else if (this.ends('fulness')) this.r('ful');
        else if (this.ends('ousness')) this.r('ous');
        break;
      case t:
        if (this.ends('aliti')) this.r('al');
        else if (this.ends('iviti')) this.r('ive');
        else if (this.ends('biliti')) this.r('ble');
        break;
      case 103: // g
        if (this.ends('logi')) this.r('log');
        break;
    }
  }

  private step3(): void {
    switch (this.b.charCodeAt(this.k)) {
      case e:
        if (this.ends('icate')) this.r('ic');
        else if (this.ends('ative')) this.r('');
        else if (this.ends('alize')) this.r('al');
        break;
      case i_:
        if (this.ends('iciti')) this.r('ic');
        break;
      case l:
        if (this.ends('ical')) this.r('ic');
        else if (this.ends('ful')) this.r('');
        break;
      case s:
        if (this.ends('ness')) this.r('');
        break;
    }
  }

  private step4(): void {
    switch (this.at(this.k - 1)) {
      case a:
        if (!this.ends('al')) return;
        break;
      case c:
        if (!this.ends('ance') && !this.ends('ence')) return;
        break;
      case e:
        if (!this.ends('er')) return;
        break;
      case i_:
        if (!this.ends('ic')) return;
        break;
      case l:
        if (!this.ends('able') && !this.ends('ible')) return;
        break;
      case 110: // n
        if (!this.ends('ant') && !this.ends('ement') && !this.ends('ment') && !this.ends('ent')) return;
        break;
      case o: {
        if (this.ends('ion')) {
          const ch = this.at(this.j);
          if (ch === s || ch === t) break;
        }
        if (!this.ends('ou')) return;
        break;
      }
      case s:
        if (!this.ends('ism')) return;
        break;
      case t:
        if (!this.ends('ate') && !this.ends('iti')) return;
        break;
      case u:
        if (!this.ends('ous')) return;
        break;
      case 118: // v
        if (!this.ends('ive')) return;
        break;
      case z:
        if (!this.ends('ize')) return;
        break;
      default:
        return;
    }
    if (this.m() > 1) this.k = this.j;
  }

  private step5(): void {
    const k = (this.j = this.k);
    if (this.b.charCodeAt(k) === e) {
      const n = this.m();
      if (n > 1 || (n === 1 && !this.cvc(k - 1))) this.k -= 1;
    }
    if (this.b.charCodeAt(this.k) === l && this.doubleC(this.k) && this.m() > 1) this.k -= 1;
  }

  /** Stem a word of at least three units; returns the stem. */
  run(word: string): string {
    this.b = word;
    this.yAt = -1;
    this.k = word.length - 1;
    this.j = 0;
    this.step1ab();
    this.step1c();
    this.step2();
    this.step3();
    this.step4();
    this.step5();
    return this.b.slice(0, this.k + 1);
  }
}

const state = new PorterState();

/**
 * Astral code points (two UTF-16 units) as one private-use unit each, so that string indices equal Python's
 * code point indices. The stemmer only compares characters with each other and with ASCII letters,
 * so any one-to-one stand-in that is not an ASCII letter gives the same result.
 */
function stemAstral(word: string): string {
  const cps = Array.from(word, (ch) => ch.codePointAt(0)!);
  const present = new Set(cps);
  const toStandIn = new Map<number, number>();
  const fromStandIn = new Map<number, string>();
  let next = 0xe000;
  let encoded = '';
  for (const cp of cps) {
    if (cp <= 0xffff) {
      encoded += String.fromCharCode(cp);
      continue;
    }
    let unit = toStandIn.get(cp);
    if (unit === undefined) {
      while (present.has(next)) next++;
      unit = next++;
      toStandIn.set(cp, unit);
      fromStandIn.set(unit, String.fromCodePoint(cp));
    }
    encoded += String.fromCharCode(unit);
  }
  const stemmed = encoded.length <= 2 ? encoded : state.run(encoded);
  let out = '';
  for (const ch of stemmed) out += fromStandIn.get(ch.charCodeAt(0)) ?? ch;
  return out;
}

/**
 * Stem one word exactly as gensim's `PorterStemmer().stem(word)` does (lowercasing it first).
 *
 * ## Example
 * ```ts
 * import { stem } from 'corpusflow';
 * stem('ponies'); // 'poni'
 * stem('Generalizations'); // 'gener'
 * ```
 * @param word - one token, no whitespace expected (it is not split)
 * @return the stem
 */
export function stem(word: string): string {
  return stemLowercase(pythonLower(word));
}

/**
 * `stem` for a word that is already the result of Python's `str.lower()` (lowercasing is idempotent on every
 * code point, and such text holds no capital sigma), which skips the second lowercasing.
 * @param lowered - one lowercased token
 * @return the stem
 */
export function stemLowercase(lowered: string): string {
  if (hasSurrogates(lowered)) return stemAstral(lowered);
  // Unlike the paper, gensim leaves words of one or two code points alone.
  if (lowered.length <= 2) return lowered;
  return state.run(lowered);
}

/**
 * A memoising stemmer: a Map from word to stem that is emptied whenever it reaches `maxSize` entries,
 * so memory stays bounded on unbounded vocabularies (spam, logs) while Zipf's law keeps hit rates high.
 */
export class StemCache {
  private readonly cache = new Map<string, string>();

  /** @param maxSize - entries kept before the cache is cleared (default 100,000, a few MB) */
  constructor(private readonly maxSize = 100_000) {}

  /**
   * Stem `word` through the cache.
   * @param word - one token
   * @return gensim's stem of it
   */
  stem(word: string): string {
    let hit = this.cache.get(word);
    if (hit === undefined) {
      // Copies, not slices: V8 keeps a word cut from a document as a view of the whole document, so a
      // cached slice would pin every document that brought a new word (100,000 of them at most).
      const key = detach(word);
      hit = detach(stem(word));
      if (this.cache.size >= this.maxSize) this.cache.clear();
      this.cache.set(key, hit);
    }
    return hit;
  }

  /** Number of cached words. */
  get size(): number {
    return this.cache.size;
  }
}

/**
 * A flat copy of `s` that does not share memory with the string it was cut from. Caches that keep words
 * need it: V8 keeps a slice of 13+ units as a view of its whole parent, so a cached word would pin its document.
 * @param s - a word, usually cut from a document
 * @return an equal string that owns its characters
 */
export function detach(s: string): string {
  // Concatenation makes a new string and slicing it flattens that copy; the parent is not kept.
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/** The shared cache used by `stemText` and the default preprocessing. */
export const sharedStemCache = new StemCache();
