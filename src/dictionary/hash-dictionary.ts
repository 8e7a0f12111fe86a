/**
 * gensim's `HashDictionary`: token ids by hashing, so there is nothing to
 * build and the id range never grows. Use it for unbounded streams.
 */
import { writeFileAtomic } from '../io/atomic.js';
import { CorpusflowError, invalidOption } from '../errors.js';
import { compareCodePoints } from './compare.js';
import type { Bow } from './types.js';

const MOD_ADLER = 65521;

/**
 * zlib's Adler-32 of a string's UTF-8 bytes (what gensim's default `myhash`,
 * `zlib.adler32(token.encode('utf8'))`, computes), as an unsigned 32-bit integer.
 *
 * @param text The string.
 * @return The checksum, 0..2^32-1.
 */
export function adler32(text: string): number {
  let a = 1;
  let b = 0;
  const add = (byte: number): void => {
    a += byte;
    if (a >= MOD_ADLER) a -= MOD_ADLER;
    b += a;
    if (b >= MOD_ADLER) b -= MOD_ADLER;
  };
  // UTF-8 encode on the fly; a lone surrogate becomes U+FFFD, as TextEncoder does
  // (Python would refuse to encode it).
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    if (cp < 0x80) add(cp);
    else if (cp < 0x800) {
      add(0xc0 | (cp >> 6));
      add(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      add(0xe0 | (cp >> 12));
      add(0x80 | ((cp >> 6) & 0x3f));
      add(0x80 | (cp & 0x3f));
    } else {
      add(0xf0 | (cp >> 18));
      add(0x80 | ((cp >> 12) & 0x3f));
      add(0x80 | ((cp >> 6) & 0x3f));
      add(0x80 | (cp & 0x3f));
    }
  }
  return (b * 65536 + a) >>> 0;
}

export interface HashDictionaryOptions {
  /** Number of ids: `id = hash(token) % idRange`. Default 32,000. */
  idRange?: number;
  /** Hash of a token; default {@link adler32} of its UTF-8 bytes, as gensim. Must return a non-negative integer. */
  hash?: (token: string) => number;
  /**
   * Remember which tokens mapped to which id, and per-token document counts
   * (gensim's default: true). **Warning:** these maps grow with the vocabulary.
   */
  debug?: boolean;
}

/**
 * Token ids from a hash function instead of a learned vocabulary (gensim's `HashDictionary`).
 *
 * Like sorting mail into a fixed number of pigeonholes by a rule on the name:
 * no sign-up needed and the rack never grows, but two names can share a hole.
 *
 * ## Example
 * ```ts
 * import { HashDictionary } from 'corpusflow';
 * const dict = new HashDictionary(null, { idRange: 32000, debug: false });
 * dict.doc2bow(['human', 'computer', 'interface']); // [[10608, 1], [12466, 1], [31002, 1]], the ids gensim gives
 * ```
 */
export class HashDictionary {
  readonly idRange: number;
  readonly debug: boolean;
  private readonly hash: (token: string) => number;
  /** token → id, for tokens seen so far (debug only). */
  token2id = new Map<string, number>();
  /** id → tokens that mapped to it (debug only). */
  id2token = new Map<number, Set<string>>();
  /** id → documents containing it (debug only, as in gensim). */
  dfs = new Map<number, number>();
  /** token → documents containing it (debug only). */
  dfsDebug = new Map<string, number>();
  numDocs = 0;
  numPos = 0;
  numNnz = 0;
  /**
   * gensim's HashDictionary sets `allow_update = True` and doc2bow updates when
   * either flag is set, so every doc2bow call counts. Set false to make
   * doc2bow read-only unless asked.
   */
  allowUpdate = true;

  /**
   * @param documents Optional tokenised documents to count right away.
   * @param options `idRange`, `hash`, `debug`.
   */
  constructor(documents?: Iterable<Iterable<string>> | null, options: HashDictionaryOptions = {}) {
    const idRange = options.idRange ?? 32_000;
    if (!Number.isInteger(idRange) || idRange < 1) throw invalidOption('idRange', 'a positive integer', idRange);
    this.idRange = idRange;
    this.hash = options.hash ?? adler32;
    this.debug = options.debug ?? true;
    if (documents !== undefined && documents !== null) this.addDocuments(documents);
  }

  /** Number of ids (the id range), as gensim's `len()`. */
  get size(): number {
    return this.idRange;
  }

  /**
   * The id of a token (and, with debug, remember the mapping).
   *
   * @param token A token.
   * @return `hash(token) % idRange`.
   */
  restrictedHash(token: string): number {
    const h = this.hash(token) % this.idRange;
    if (this.debug) {
      this.token2id.set(token, h);
      let set = this.id2token.get(h);
      if (set === undefined) this.id2token.set(h, (set = new Set()));
      set.add(token);
    }
    return h;
  }

  /**
   * Count documents (doc2bow with allowUpdate on each).
   *
   * @param documents Tokenised documents.
   * @return This dictionary.
   */
  addDocuments(documents: Iterable<Iterable<string>>): this {
    for (const document of documents) this.addDocument(document);
    return this;
  }

  /** @param document Tokens of one document, counted as by doc2bow with allowUpdate. */
  addDocument(document: Iterable<string>): void {
    this.doc2bow(document, { allowUpdate: true });
  }

  /**
   * Convert a tokenised document to a bag of hashed ids.
   *
   * @param document Tokens of one document.
   * @param options `allowUpdate`: count the document even if {@link HashDictionary.allowUpdate} is false.
   * @return `[id, count]` pairs in increasing id order.
   */
  doc2bow(document: Iterable<string>, options: { allowUpdate?: boolean } = {}): Bow {
    if (typeof document === 'string') {
      throw new CorpusflowError('INVALID_FIELD_TYPE', 'doc2bow expects an array of string tokens, not a single string', {
        hint: 'tokenise first, e.g. with preprocessString(text)',
      });
    }
    const tokens = Array.from(document);
    // gensim groups the sorted tokens; counting then sorting the distinct ones visits them in the same order.
    const counter = new Map<string, number>();
    for (const w of tokens) {
      if (typeof w !== 'string') throw new CorpusflowError('INVALID_FIELD_TYPE', `doc2bow expects string tokens, got ${typeof w}`);
      counter.set(w, (counter.get(w) ?? 0) + 1);
    }
    const words = Array.from(counter.keys()).sort(compareCodePoints);
    const result = new Map<number, number>();
    for (const w of words) {
      const freq = counter.get(w)!;
      const id = this.restrictedHash(w);
      result.set(id, (result.get(id) ?? 0) + freq);
      if (this.debug) this.dfsDebug.set(w, (this.dfsDebug.get(w) ?? 0) + 1);
    }
    if (options.allowUpdate === true || this.allowUpdate) {
      this.numDocs += 1;
      this.numPos += tokens.length;
      this.numNnz += result.size;
      if (this.debug) for (const id of result.keys()) this.dfs.set(id, (this.dfs.get(id) ?? 0) + 1);
    }
    return Array.from(result).sort((a, b) => a[0] - b[0]);
  }

  /**
   * Forget debug statistics of rare and common tokens (ids are fixed, so nothing else changes).
   *
   * @param options `noBelow` (5), `noAbove` (0.5), `keepN` (100,000; null = all).
   * @return This dictionary.
   */
  filterExtremes(options: { noBelow?: number; noAbove?: number; keepN?: number | null } = {}): this {
    const noBelow = options.noBelow ?? 5;
    const noAbove = options.noAbove ?? 0.5;
    const keepN = options.keepN === undefined ? 100_000 : options.keepN;
    if (keepN !== null && (!Number.isInteger(keepN) || keepN < 0)) throw invalidOption('keepN', 'a non-negative integer or null', keepN);
    const noAboveAbs = Math.trunc(noAbove * this.numDocs);
    const ok = Array.from(this.dfsDebug).filter(([, df]) => noBelow <= df && df <= noAboveAbs);
    ok.sort((a, b) => b[1] - a[1]);
    const keep = new Set((keepN === null ? ok : ok.slice(0, keepN)).map(([w]) => w));
    this.dfsDebug = new Map(Array.from(this.dfsDebug).filter(([w]) => keep.has(w)));
    this.token2id = new Map(Array.from(this.token2id).filter(([w]) => this.dfsDebug.has(w)));
    const id2token = new Map<number, Set<string>>();
    for (const [id, words] of this.id2token) id2token.set(id, new Set(Array.from(words).filter((w) => this.dfsDebug.has(w))));
    this.id2token = id2token;
    this.dfs = new Map(Array.from(this.dfs).filter(([id]) => (this.id2token.get(id)?.size ?? 0) > 0));
    return this;
  }

  /**
   * gensim's debug text format: `id<TAB>df<TAB>word(df)<TAB>word(df)...` for each id that has tokens.
   *
   * @return The text.
   */
  toText(): string {
    const lines: string[] = [];
    const ids = Array.from(this.id2token.keys()).sort((a, b) => a - b);
    for (const id of ids) {
      const words = Array.from(this.id2token.get(id)!).sort(compareCodePoints);
      if (words.length === 0) continue;
      const withDf = words.map((w): [string, number] => [w, this.dfsDebug.get(w) ?? 0]).sort((a, b) => b[1] - a[1]);
      lines.push(`${id}\t${this.dfs.get(id) ?? 0}\t${withDf.map(([w, df]) => `${w}(${df})`).join('\t')}\n`);
    }
    return lines.join('');
  }

  /**
   * Save {@link HashDictionary.toText} atomically (only meaningful with debug).
   *
   * @param path Target file.
   */
  async saveAsText(path: string): Promise<void> {
    await writeFileAtomic(path, this.toText());
  }
}
