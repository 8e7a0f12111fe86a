/**
 * A compact binary cache of a tokenised corpus as token ids, written during
 * the dictionary pass so that training epochs read ids instead of re-reading
 * and re-tokenising the text.
 *
 * Layout: the magic `CFTOKS01`, then one record per document: uint32 id
 * length, the document id as UTF-8 JSON, uint32 token count, the token ids as
 * uint32 (all little-endian). Ids are the cache's own (first-seen order); the
 * reader maps them to the final dictionary's ids.
 *
 * Memory stays bounded on unbounded vocabularies: the writer numbers tokens in
 * segments of at most `maxVocabulary` distinct tokens. When a segment is full,
 * its tokens go to the vocabulary file beside the cache (`<cache>.vocab`), the
 * cache gets a segment mark (a record whose id length is 0xFFFFFFFF) and
 * numbering starts again at 0. The vocabulary file holds, after the magic
 * `CFVOCB01`, each segment as a uint32 token count and, per token in cache-id
 * order, a uint32 byte length and its UTF-16LE code units (not UTF-8, which
 * would turn a lone surrogate from a JSON escape into U+FFFD). Readers map ids segment by
 * segment ({@link CacheRemap}), keeping one segment's table at a time.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { once } from 'node:events';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Observable } from 'rxjs';
import { CorpusflowError, invalidOption } from '../errors.js';
import { createAtomicWriteStream, type AtomicWriteStream } from '../io/atomic.js';
import { detach } from '../preprocess/porter.js';
import type { FlowControl } from '../sources/flow.js';
import type { DocId, TokenizedDocument } from '../sources/types.js';
import type { BowDocument } from '../batch/types.js';

const MAGIC = Buffer.from('CFTOKS01', 'latin1');
const VOCAB_MAGIC = Buffer.from('CFVOCB01', 'latin1');
const CHUNK_BYTES = 1 << 16;
/** The id length of a segment mark: no document id is 4 GiB long. */
const SEGMENT_MARK = 0xffffffff;
/** Distinct tokens per segment by default: gensim's default `prune_at`, so the cache's map is no larger than the dictionary's. */
const DEFAULT_MAX_VOCABULARY = 2_000_000;

/** The vocabulary file written beside a token cache. */
export function vocabularyPath(cachePath: string): string {
  return `${cachePath}.vocab`;
}

/**
 * Resolves once `stream` can take more: at once when its buffer is below the high-water mark, else at
 * its next 'drain'. Rejects with the stream's error if it failed (before or while waiting).
 */
async function drained(stream: Writable): Promise<void> {
  if (stream.errored) throw stream.errored;
  if (stream.writableNeedDrain) await once(stream, 'drain');
}

/** Options of {@link TokenCacheWriter}. */
export interface TokenCacheWriterOptions {
  /** Distinct tokens kept in memory before the writer starts a new segment (default 2,000,000). */
  maxVocabulary?: number;
}

/**
 * Writes the cache, one document at a time, and its vocabulary file.
 * Memory holds one segment's token map: a segment ends before the first document
 * that finds it holding `maxVocabulary` tokens, so the map never holds more than
 * `maxVocabulary` − 1 plus one document's distinct tokens.
 */
export class TokenCacheWriter {
  /** Token → cache id of the current segment, in first-seen order. */
  vocabulary = new Map<string, number>();
  /** Segments completed (written to the vocabulary file) so far. */
  segments = 0;
  documents = 0;
  /** The vocabulary file (written on commit, or at the first full segment). */
  readonly vocabularyPath: string;
  private readonly maxVocabulary: number;
  private readonly out: AtomicWriteStream;
  private vocabOut: AtomicWriteStream | undefined;
  /** Records are gathered here and handed to the stream a chunk at a time (one small write per document cost more than encoding it). */
  private chunk: Buffer;
  private fill: number;

  constructor(
    readonly path: string,
    options: TokenCacheWriterOptions = {},
  ) {
    const max = options.maxVocabulary ?? DEFAULT_MAX_VOCABULARY;
    if (!Number.isInteger(max) || max < 1) throw invalidOption('maxVocabulary', 'a positive integer', max);
    this.maxVocabulary = max;
    this.vocabularyPath = vocabularyPath(path);
    this.out = createAtomicWriteStream(path);
    // Failures surface through drained() and commit() (stream.errored), not as an unhandled 'error' event.
    this.out.on('error', () => undefined);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    MAGIC.copy(this.chunk, 0);
    this.fill = MAGIC.length;
  }

  /**
   * Append one document. Resolves when the streams can take more (backpressure).
   * Await each call before the next: documents are numbered in call order.
   */
  async write(id: DocId, tokens: readonly string[]): Promise<void> {
    if (this.vocabulary.size >= this.maxVocabulary) await this.endSegment();
    const idBytes = Buffer.from(JSON.stringify(id), 'utf8');
    const size = 8 + idBytes.length + 4 * tokens.length;
    if (this.fill + size > this.chunk.length) this.flush(size);
    const rec = this.chunk;
    let at = this.fill;
    rec.writeUInt32LE(idBytes.length, at);
    idBytes.copy(rec, at + 4);
    at += 4 + idBytes.length;
    rec.writeUInt32LE(tokens.length, at);
    at += 4;
    const vocabulary = this.vocabulary;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      let cid = vocabulary.get(tok);
      if (cid === undefined) {
        cid = vocabulary.size;
        // a token sliced from a long document would otherwise keep the whole document alive
        vocabulary.set(detach(tok), cid);
      }
      rec[at] = cid & 0xff;
      rec[at + 1] = (cid >>> 8) & 0xff;
      rec[at + 2] = (cid >>> 16) & 0xff;
      rec[at + 3] = cid >>> 24;
      at += 4;
    }
    this.fill = at;
    this.documents++;
    await drained(this.out);
  }

  /** Hand the gathered records to the stream and start a new chunk with room for `need` bytes. */
  private flush(need: number): void {
    if (this.fill > 0) this.out.write(this.chunk.subarray(0, this.fill));
    // the stream keeps the old chunk until written: a new one, never an overwrite
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
    this.fill = 0;
  }

  /**
   * Close the current segment: its tokens go to the vocabulary file, the cache
   * gets a segment mark, and numbering starts again at 0.
   */
  private async endSegment(): Promise<void> {
    if (this.fill + 4 > this.chunk.length) this.flush(4);
    this.chunk.writeUInt32LE(SEGMENT_MARK, this.fill);
    this.fill += 4;
    await drained(this.out);
    await this.writeVocabulary();
  }

  /** The current segment's tokens, in cache-id order, to the vocabulary file; then an empty map. */
  private async writeVocabulary(): Promise<void> {
    if (!this.vocabOut) {
      this.vocabOut = createAtomicWriteStream(this.vocabularyPath);
      // Failures surface through drained() and commit() (stream.errored), not as an unhandled 'error' event.
      this.vocabOut.on('error', () => undefined);
      this.vocabOut.write(VOCAB_MAGIC);
    }
    const out = this.vocabOut;
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(this.vocabulary.size, 0);
    let chunk = [head];
    let bytes = 4;
    // Map iteration order is insertion order, which is cache-id order.
    for (const token of this.vocabulary.keys()) {
      const units = Buffer.from(token, 'utf16le');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32LE(units.length, 0);
      chunk.push(len, units);
      bytes += 4 + units.length;
      if (bytes >= CHUNK_BYTES) {
        out.write(Buffer.concat(chunk));
        await drained(out);
        chunk = [];
        bytes = 0;
      }
    }
    if (chunk.length > 0) out.write(Buffer.concat(chunk));
    await drained(out);
    this.vocabulary = new Map();
    this.segments++;
  }

  /** Finish: the cache and its vocabulary file appear under their names only now. */
  async commit(): Promise<void> {
    if (this.fill > 0) this.out.write(this.chunk.subarray(0, this.fill));
    this.fill = 0;
    await this.writeVocabulary();
    await this.vocabOut!.commit();
    await this.out.commit();
  }

  /** Give up: the temporary files are removed. */
  async abort(): Promise<void> {
    await this.vocabOut?.abort();
    await this.out.abort();
  }
}

/**
 * A token cache's ids mapped to a final dictionary's, segment by segment: per
 * segment, the cache ids of the tokens the dictionary kept and their ids there.
 * Readers expand one segment at a time into a table ({@link CacheRemap.table}).
 */
export class CacheRemap {
  private constructor(private readonly segments: ReadonlyArray<{ size: number; cids: Int32Array; fids: Int32Array }>) {}

  /**
   * Read a cache's vocabulary file and look each token up in the final dictionary.
   * Memory: the kept tokens' pairs, plus one token at a time.
   *
   * @param cachePath the cache file (its vocabulary file is `<cachePath>.vocab`).
   * @param token2id the final dictionary's map.
   */
  static async fromFile(cachePath: string, token2id: ReadonlyMap<string, number>): Promise<CacheRemap> {
    const file = vocabularyPath(cachePath);
    const segments: Array<{ size: number; cids: Int32Array; fids: Int32Array }> = [];
    const reader = await ByteReader.open(file);
    try {
      if (!(await reader.bytes(VOCAB_MAGIC.length)).equals(VOCAB_MAGIC)) throw reader.corrupt('bad magic');
      while (!(await reader.atEnd())) {
        const size = await reader.u32();
        const cids: number[] = [];
        const fids: number[] = [];
        for (let cid = 0; cid < size; cid++) {
          const token = (await reader.bytes(await reader.u32())).toString('utf16le');
          const fid = token2id.get(token);
          if (fid !== undefined) {
            cids.push(cid);
            fids.push(fid);
          }
        }
        segments.push({ size, cids: Int32Array.from(cids), fids: Int32Array.from(fids) });
      }
    } finally {
      await reader.close();
    }
    return new CacheRemap(segments);
  }

  /** Number of segments. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** One more than the largest dictionary id any cache id maps to. */
  get dictionarySize(): number {
    let n = 0;
    for (const s of this.segments) for (let i = 0; i < s.fids.length; i++) if (s.fids[i]! >= n) n = s.fids[i]! + 1;
    return n;
  }

  /**
   * Segment `segment` as a table: cache id → dictionary id, or −1 for a token the dictionary dropped.
   * Written into `into` when it is long enough (a reader reuses one buffer for all segments).
   */
  table(segment: number, into?: Int32Array): Int32Array {
    const s = this.segments[segment];
    if (!s) return new Int32Array(0);
    const table = into && into.length >= s.size ? into.subarray(0, s.size) : new Int32Array(s.size);
    table.fill(-1);
    for (let i = 0; i < s.cids.length; i++) table[s.cids[i]!] = s.fids[i]!;
    return table;
  }

  /** Segment `segment` as cache id → token: dictionary tokens as such, every other token as `stand`. */
  tokens(segment: number, id2token: ReadonlyMap<number, string>, stand: string): string[] {
    const s = this.segments[segment];
    if (!s) return [];
    const out = new Array<string>(s.size).fill(stand);
    for (let i = 0; i < s.cids.length; i++) out[s.cids[i]!] = id2token.get(s.fids[i]!) ?? stand;
    return out;
  }
}

/** Sequential reads of a binary file through a 64 KiB buffer. */
class ByteReader {
  private buf = Buffer.alloc(0);
  private at = 0;
  private offset = 0; // file offset of buf[0]
  private eof = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private readonly size: number,
  ) {}

  static async open(path: string): Promise<ByteReader> {
    try {
      const handle = await open(path, 'r');
      return new ByteReader(handle, path, (await handle.stat()).size);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw code === 'ENOENT'
        ? new CorpusflowError('FILE_NOT_FOUND', 'Token cache vocabulary not found', { position: { file: path }, cause: e })
        : new CorpusflowError('IO_ERROR', `Cannot read the token cache vocabulary: ${e instanceof Error ? e.message : String(e)}`, { position: { file: path }, cause: e });
    }
  }

  corrupt(reason: string): CorpusflowError {
    return new CorpusflowError('CHECKPOINT_CORRUPT', `Token cache vocabulary: ${reason}`, { position: { file: this.path, byte: this.offset + this.at }, hint: 'delete the cache and its .vocab file: a run started without --resume writes them anew' });
  }

  /** Buffer at least `n` unread bytes; false at the end of the file before that. */
  private async fill(n: number): Promise<boolean> {
    // A length field past the end of the file (a corrupt one) is not read into memory.
    if (this.offset + this.at + n > this.size) return false;
    while (this.buf.length - this.at < n && !this.eof) {
      const chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
      const { bytesRead } = await this.handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) this.eof = true;
      this.offset += this.at;
      this.buf = Buffer.concat([this.buf.subarray(this.at), chunk.subarray(0, bytesRead)]);
      this.at = 0;
    }
    return this.buf.length - this.at >= n;
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  async u32(): Promise<number> {
    if (!(await this.fill(4))) throw this.corrupt('truncated file');
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }

  async bytes(n: number): Promise<Buffer> {
    if (!(await this.fill(n))) throw this.corrupt('truncated file');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Options of {@link readTokenCache} and {@link readTokenCacheTokens}. */
export interface ReadTokenCacheOptions {
  /**
   * The flow control of the async stages downstream (as a source's `flow`): reading waits while they
   * hold `highWaterMark` documents, so a slow consumer (an output file) paces the cache.
   */
  flow?: FlowControl;
}

/**
 * Read a token cache as bag-of-words documents under a final dictionary.
 * Each subscription reads the file from the start (one epoch); reading pauses
 * while downstream handles each document, so a synchronous trainer paces it.
 *
 * @param path the cache file.
 * @param remap cache id → final dictionary id, or -1 for tokens the dictionary dropped.
 * @param options flow control.
 * @return a cold Observable of `{id, bow}`, bow sorted by id like `doc2bow`.
 */
export function readTokenCache(path: string, remap: CacheRemap | Int32Array, options: ReadTokenCacheOptions = {}): Observable<BowDocument> {
  let size = 0;
  if (remap instanceof CacheRemap) size = remap.dictionarySize;
  else for (let i = 0; i < remap.length; i++) if (remap[i]! >= size) size = remap[i]! + 1;
  return readRecords(path, options, () => {
    // Per subscription: count with typed arrays, as doc2bow does, not a Map per document (reading the cache
    // has to be cheaper than tokenising again); one table buffer serves all segments.
    const counts = new Int32Array(size);
    const touched = new Int32Array(size);
    let table: Int32Array = new Int32Array(0);
    return {
      enter(segment) {
        table = remap instanceof CacheRemap ? remap.table(segment, table) : segment === 0 ? remap : new Int32Array(0);
      },
      decode(id, buf, from, to, bad) {
        const n = table.length;
        let k = 0;
        for (let p = from; p < to; p += 4) {
          const cid = uint32At(buf, p);
          if (cid >= n) {
            for (let i = 0; i < k; i++) counts[touched[i]!] = 0; // clean for the next document read
            bad(cid, p);
          }
          const fid = table[cid]!;
          if (fid >= 0 && counts[fid]++ === 0) touched[k++] = fid;
        }
        const ids = touched.subarray(0, k).sort();
        const bow = new Array<[number, number]>(k);
        for (let i = 0; i < k; i++) {
          const fid = ids[i]!;
          bow[i] = [fid, counts[fid]!];
          counts[fid] = 0;
        }
        return { id, bow };
      },
    };
  });
}

/**
 * Read a token cache back as the tokenised documents it was written from: the
 * same ids and the same token sequences, in file order (what coherence needs:
 * its sliding windows count every position, dropped tokens included).
 *
 * @param path the cache file.
 * @param tokens cache id → token, per segment (`(segment) => remap.tokens(segment, id2token, stand)`: dictionary
 *   tokens as such, a stand-in for the others, which a coherence measure never looks up), or one array for a
 *   cache of one segment.
 * @param options flow control.
 * @return a cold Observable of `{id, tokens}`.
 */
export function readTokenCacheTokens(
  path: string,
  tokens: readonly string[] | ((segment: number) => readonly string[]),
  options: ReadTokenCacheOptions = {},
): Observable<TokenizedDocument> {
  return readRecords(path, options, () => {
    let table: readonly string[] = [];
    return {
      enter(segment) {
        table = typeof tokens === 'function' ? tokens(segment) : segment === 0 ? tokens : [];
      },
      decode(id, buf, from, to, bad) {
        const out = new Array<string>((to - from) / 4);
        for (let p = from, i = 0; p < to; p += 4, i++) {
          const cid = uint32At(buf, p);
          if (cid >= table.length) bad(cid, p);
          out[i] = table[cid]!;
        }
        return { id, tokens: out };
      },
    };
  });
}

/** The little-endian uint32 at byte `p` (records are not 4-byte aligned, so no Uint32Array view). */
function uint32At(buf: Buffer, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)) + buf[p + 3]! * 0x1000000;
}

/**
 * The record loop both readers share: checks the layout, switches segments at
 * the marks, and hands each record's token ids to the subscription's decoder.
 */
interface RecordDecoder<T> {
  /** The reader reached segment `segment` (0 at the start). */
  enter(segment: number): void;
  /** One record's token ids are bytes `from`..`to` of `buf` (uint32 LE); `bad` reports an id beyond the vocabulary. */
  decode(id: DocId, buf: Buffer, from: number, to: number, bad: (cid: number, p: number) => never): T;
}

function readRecords<T>(path: string, options: ReadTokenCacheOptions, decoder: () => RecordDecoder<T>): Observable<T> {
  const flow = options.flow;
  return new Observable<T>((subscriber) => {
    // Each subscription decodes with its own state: two epochs read at once must not share tables.
    const { enter, decode } = decoder();
    let segment = 0;
    enter(segment);
    let stream: ReadStream | undefined;
    let closed = false;
    const corrupt = (reason: string, byte: number) =>
      new CorpusflowError('CHECKPOINT_CORRUPT', `Token cache: ${reason}`, { position: { file: path, byte }, hint: 'delete the cache file to rebuild it' });
    (async () => {
      // Record lengths are checked against the file's size: a corrupt one fails at once, not after buffering the rest of the file.
      const fileSize = (await stat(path)).size;
      if (closed) return;
      stream = createReadStream(path, { highWaterMark: 1 << 16 });
      let buf: Buffer = Buffer.alloc(0);
      let offset = 0; // file offset of buf[0]
      let magicSeen = false;
      // Chunks of a record longer than what is buffered wait here and are joined once it is complete:
      // concatenating each chunk onto `buf` would copy a long document's bytes once per chunk.
      let need = 0; // bytes `buf` must hold before the record loop can make progress
      let parts: Buffer[] = [];
      let partsBytes = 0;
      const bad = (cid: number, p: number): never => {
        throw corrupt(`token id ${cid} beyond the cache vocabulary`, offset + p);
      };
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (closed) return;
        if (buf.length + partsBytes + chunk.length < need) {
          parts.push(chunk);
          partsBytes += chunk.length;
          continue;
        }
        buf = buf.length || parts.length ? Buffer.concat([buf, ...parts, chunk]) : chunk;
        parts = [];
        partsBytes = 0;
        let at = 0;
        if (!magicSeen) {
          need = MAGIC.length;
          if (buf.length < MAGIC.length) continue;
          if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('bad magic', 0);
          magicSeen = true;
          at = MAGIC.length;
        }
        for (;;) {
          need = at + 4;
          if (buf.length < need) break;
          const idLen = buf.readUInt32LE(at);
          if (idLen === SEGMENT_MARK) {
            enter(++segment);
            at += 4;
            continue;
          }
          need = at + 8 + idLen;
          if (offset + need > fileSize) throw corrupt('truncated file', offset + at);
          if (buf.length < need) break;
          const n = buf.readUInt32LE(at + 4 + idLen);
          const end = at + 8 + idLen + 4 * n;
          need = end;
          if (offset + end > fileSize) throw corrupt('truncated file', offset + at);
          if (buf.length < end) break;
          let id: DocId;
          try {
            id = JSON.parse(buf.toString('utf8', at + 4, at + 4 + idLen));
          } catch {
            throw corrupt('unreadable document id', offset + at);
          }
          const from = at + 8 + idLen;
          const doc = decode(id, buf, from, end, bad);
          at = end;
          if (flow && !flow.hasCredit) {
            await flow.whenCredit();
            if (closed) return;
          }
          subscriber.next(doc);
          if (closed) return;
        }
        offset += at;
        buf = buf.subarray(at);
        need -= at;
      }
      if (!magicSeen || buf.length + partsBytes > 0) throw corrupt('truncated file', offset);
      subscriber.complete();
    })().catch((e) => {
      if (!closed) {
        const code = (e as { code?: string }).code;
        subscriber.error(
          e instanceof CorpusflowError
            ? e
            : code === 'ENOENT'
              ? new CorpusflowError('FILE_NOT_FOUND', `Token cache not found`, { position: { file: path }, cause: e })
              : new CorpusflowError('IO_ERROR', `Cannot read the token cache: ${e instanceof Error ? e.message : String(e)}`, { position: { file: path }, cause: e }),
        );
      }
    });
    return () => {
      closed = true;
      stream?.destroy();
    };
  });
}


