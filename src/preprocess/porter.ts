/**
 * gensim's Porter stemmer (gensim.parsing.porter.PorterStemmer), reproduced rule for rule,
 * including gensim's departures from Porter's 1980 paper: words of one or two characters are left alone,
 * -bli becomes -ble and -logi becomes -log in step 2, and the odd cases where gensim reads a
 * character before the start of the word (Python's negative indexing) are kept.
 *
 * Like gensim, the word is lowercased first (Python `str.lower()`), and positions count code points.
 */
import { pythonLower } from './unicode.js';

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

const codes = (text: string): number[] => Array.from(text, (ch) => ch.charCodeAt(0));

// Suffixes as code arrays, built once.
const S = Object.fromEntries(
  [
    'sses', 'ies', 'eed', 'ed', 'ing', 'at', 'ate', 'bl', 'ble', 'iz', 'ize', 'y', 'i', 'e',
    'ational', 'tional', 'tion', 'enci', 'ence', 'anci', 'ance', 'izer', 'bli', 'alli', 'al', 'entli', 'ent',
    'eli', 'ousli', 'ous', 'ization', 'ation', 'ator', 'alism', 'iveness', 'ive', 'fulness', 'ful', 'ousness',
    'aliti', 'iviti', 'biliti', 'logi', 'log', 'icate', 'ic', 'ative', '', 'alize', 'iciti', 'ical', 'ness',
    'er', 'able', 'ible', 'ant', 'ement', 'ment', 'ism', 'iti', 'ion', 'ou',
  ].map((suffix) => [suffix, codes(suffix)]),
) as Record<string, number[]>;

/** The stemming state for one word: code points in `buf`, the live end at `k`, a general offset `j`. */
class PorterState {
  buf: number[] = [];
  k = 0;
  j = 0;

  /** Python indexing: a negative index counts from the end of the whole buffer. */
  private at(index: number): number {
    return index < 0 ? this.buf[this.buf.length + index]! : this.buf[index]!;
  }

  /** Consonant at i? 'y' is a consonant at the start or after a vowel (gensim recurses; this loops). */
  private cons(index: number): boolean {
    let negate = false;
    for (let i = index; ; i--) {
      const ch = this.buf[i]!;
      if (ch === a || ch === e || ch === i_ || ch === o || ch === u) return negate;
      if (ch !== y) return !negate;
      if (i === 0) return !negate;
      negate = !negate;
    }
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
    return j > 0 && this.buf[j] === this.buf[j - 1] && this.cons(j);
  }

  private cvc(i: number): boolean {
    if (i < 2 || !this.cons(i) || this.cons(i - 1) || !this.cons(i - 2)) return false;
    const ch = this.buf[i];
    return ch !== w && ch !== x && ch !== y;
  }

  private ends(suffix: string): boolean {
    const sfx = S[suffix]!;
    const length = sfx.length;
    const k = this.k;
    if (sfx[length - 1] !== this.buf[k]) return false;
    if (length > k + 1) return false;
    for (let q = 0; q < length; q++) if (this.buf[k - length + 1 + q] !== sfx[q]) return false;
    this.j = k - length;
    return true;
  }

  private setTo(suffix: string): void {
    this.buf.length = this.j + 1;
    for (const ch of S[suffix]!) this.buf.push(ch);
    this.k = this.buf.length - 1;
  }

  private r(suffix: string): void {
    if (this.m() > 0) this.setTo(suffix);
  }

  private step1ab(): void {
    if (this.buf[this.k] === s) {
      if (this.ends('sses')) this.k -= 2;
      else if (this.ends('ies')) this.setTo('i');
      else if (this.buf[this.k - 1] !== s) this.k -= 1;
    }
    if (this.ends('eed')) {
      if (this.m() > 0) this.k -= 1;
    } else if ((this.ends('ed') || this.ends('ing')) && this.vowelInStem()) {
      this.k = this.j;
      if (this.ends('at')) this.setTo('ate');
      else if (this.ends('bl')) this.setTo('ble');
      else if (this.ends('iz')) this.setTo('ize');
      else if (this.doubleC(this.k)) {
        const ch = this.buf[this.k - 1];
        if (ch !== l && ch !== s && ch !== z) this.k -= 1;
      } else if (this.m() === 1 && this.cvc(this.k)) this.setTo('e');
    }
  }

  private step1c(): void {
    if (this.ends('y') && this.vowelInStem()) {
      this.buf.length = this.k;
      this.buf.push(i_);
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
    switch (this.buf[this.k]) {
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
    if (this.buf[k] === e) {
      const n = this.m();
      if (n > 1 || (n === 1 && !this.cvc(k - 1))) this.k -= 1;
    }
    if (this.buf[this.k] === l && this.doubleC(this.k) && this.m() > 1) this.k -= 1;
  }

  /** Stem the code points in buf (length ≥ 3); returns how many leading code points remain. */
  run(cps: number[]): number {
    this.buf = cps;
    this.k = cps.length - 1;
    this.j = 0;
    this.step1ab();
    this.step1c();
    this.step2();
    this.step3();
    this.step4();
    this.step5();
    return this.k + 1;
  }
}

const state = new PorterState();

function fromCodePoints(cps: number[], n: number): string {
  let out = '';
  for (let i = 0; i < n; i += 4096) out += String.fromCodePoint(...cps.slice(i, Math.min(n, i + 4096)));
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
  const lowered = pythonLower(word);
  // Unlike the paper, gensim leaves words of one or two code points alone.
  const cps = Array.from(lowered, (ch) => ch.codePointAt(0)!);
  if (cps.length <= 2) return lowered;
  return fromCodePoints(cps, state.run(cps));
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
      hit = stem(word);
      if (this.cache.size >= this.maxSize) this.cache.clear();
      this.cache.set(word, hit);
    }
    return hit;
  }

  /** Number of cached words. */
  get size(): number {
    return this.cache.size;
  }
}

/** The shared cache used by `stemText` and the default preprocessing. */
export const sharedStemCache = new StemCache();
