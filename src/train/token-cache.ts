/**
 * A compact binary cache of a tokenised corpus as token ids, written during
 * the dictionary pass so that training epochs read ids instead of re-reading
 * and re-tokenising the text.
 *
 * Layout: the magic `CFTOKS01`, then one record per document: uint32 id
 * length, the document id as UTF-8 JSON, uint32 token count, the token ids as
 * uint32 (all little-endian). Ids are the cache's own (first-seen order); the
 * reader maps them to the final dictionary's ids.
 */
import { createReadStream } from 'node:fs';
import { Observable } from 'rxjs';
import { CorpusflowError } from '../errors.js';
import { createAtomicWriteStream, type AtomicWriteStream } from '../io/atomic.js';
import { detach } from '../preprocess/porter.js';
import type { FlowControl } from '../sources/flow.js';
import type { DocId, TokenizedDocument } from '../sources/types.js';
import type { BowDocument } from '../batch/types.js';

const MAGIC = Buffer.from('CFTOKS01', 'latin1');
const CHUNK_BYTES = 1 << 16;

/**
 * Writes the cache, one document at a time.
 *
 * **Warning:** it keeps a map of every distinct token it has seen (cache ids
 * are never pruned), like a dictionary without `pruneAt`.
 */
export class TokenCacheWriter {
  /** Token → cache id, in first-seen order. */
  readonly vocabulary = new Map<string, number>();
  documents = 0;
  private readonly out: AtomicWriteStream;
  /** Records are gathered here and handed to the stream a chunk at a time (one small write per document cost more than encoding it). */
  private chunk: Buffer;
  private fill: number;

  constructor(readonly path: string) {
    this.out = createAtomicWriteStream(path);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    MAGIC.copy(this.chunk, 0);
    this.fill = MAGIC.length;
  }

  /** Append one document. Resolves when the stream can take more (backpressure). */
  async write(id: DocId, tokens: readonly string[]): Promise<void> {
    const idBytes = Buffer.from(JSON.stringify(id), 'utf8');
    const size = 8 + idBytes.length + 4 * tokens.length;
    let ready = true;
    if (this.fill + size > this.chunk.length) ready = this.flush(size);
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
    if (!ready) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }

  /** Hand the gathered records to the stream and start a new chunk with room for `need` bytes; false when the stream is full. */
  private flush(need: number): boolean {
    const ready = this.fill > 0 ? this.out.write(this.chunk.subarray(0, this.fill)) : true;
    // the stream keeps the old chunk until written: a new one, never an overwrite
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
    this.fill = 0;
    return ready;
  }

  /** Finish: the file appears under `path` only now. */
  async commit(): Promise<void> {
    if (this.fill > 0) this.out.write(this.chunk.subarray(0, this.fill));
    this.fill = 0;
    await this.out.commit();
  }

  /** Give up: the temporary file is removed. */
  abort(): Promise<void> {
    return this.out.abort();
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
export function readTokenCache(path: string, remap: Int32Array, options: ReadTokenCacheOptions = {}): Observable<BowDocument> {
  const n = remap.length;
  let size = 0;
  for (let i = 0; i < n; i++) if (remap[i]! >= size) size = remap[i]! + 1;
  // Count with typed arrays, as doc2bow does, not a Map per document: reading the cache has to be
  // cheaper than tokenising again, even for text that tokenises fast.
  const counts = new Int32Array(size);
  const touched = new Int32Array(size);
  return readRecords(path, options, (id, buf, from, to, bad) => {
    let k = 0;
    for (let p = from; p < to; p += 4) {
      const cid = uint32At(buf, p);
      if (cid >= n) {
        for (let i = 0; i < k; i++) counts[touched[i]!] = 0; // clean for the next document read
        bad(cid, p);
      }
      const fid = remap[cid]!;
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
  });
}

/**
 * Read a token cache back as the tokenised documents it was written from: the
 * same ids and the same token sequences, in file order (what coherence needs:
 * its sliding windows count every position, dropped tokens included).
 *
 * @param path the cache file.
 * @param tokens cache id → token: the writer's `vocabulary` keys in order (`[...writer.vocabulary.keys()]`),
 *   or any stand-in for tokens that do not matter to the reader (a coherence measure only looks up topic words).
 * @param options flow control.
 * @return a cold Observable of `{id, tokens}`.
 */
export function readTokenCacheTokens(path: string, tokens: readonly string[], options: ReadTokenCacheOptions = {}): Observable<TokenizedDocument> {
  const n = tokens.length;
  return readRecords(path, options, (id, buf, from, to, bad) => {
    const out = new Array<string>((to - from) / 4);
    for (let p = from, i = 0; p < to; p += 4, i++) {
      const cid = uint32At(buf, p);
      if (cid >= n) bad(cid, p);
      out[i] = tokens[cid]!;
    }
    return { id, tokens: out };
  });
}

/** The little-endian uint32 at byte `p` (records are not 4-byte aligned, so no Uint32Array view). */
function uint32At(buf: Buffer, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)) + buf[p + 3]! * 0x1000000;
}

/**
 * The record loop both readers share: checks the layout, then hands each
 * record's token ids (bytes `from`..`to` of `buf`, uint32 LE) to `decode`,
 * which calls `bad` on an id beyond the cache vocabulary.
 */
function readRecords<T>(
  path: string,
  options: ReadTokenCacheOptions,
  decode: (id: DocId, buf: Buffer, from: number, to: number, bad: (cid: number, p: number) => never) => T,
): Observable<T> {
  const flow = options.flow;
  return new Observable<T>((subscriber) => {
    const stream = createReadStream(path, { highWaterMark: 1 << 16 });
    let closed = false;
    const corrupt = (reason: string, byte: number) =>
      new CorpusflowError('CHECKPOINT_CORRUPT', `Token cache: ${reason}`, { position: { file: path, byte }, hint: 'delete the cache file to rebuild it' });
    (async () => {
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
          need = at + 8 + idLen;
          if (buf.length < need) break;
          const n = buf.readUInt32LE(at + 4 + idLen);
          const end = at + 8 + idLen + 4 * n;
          need = end;
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
      stream.destroy();
    };
  });
}

/**
 * Map cache ids to a final dictionary's ids (after filterExtremes / compactify).
 * @param vocabulary the writer's token → cache id map.
 * @param token2id the final dictionary's map.
 */
export function cacheRemap(vocabulary: ReadonlyMap<string, number>, token2id: ReadonlyMap<string, number>): Int32Array {
  const remap = new Int32Array(vocabulary.size).fill(-1);
  for (const [tok, cid] of vocabulary) remap[cid] = token2id.get(tok) ?? -1;
  return remap;
}
