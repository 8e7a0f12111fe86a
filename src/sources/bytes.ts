/**
 * Bounded byte readers for files, gzip files and stdin. Each is an async
 * generator of Buffers of at most `highWaterMark` bytes (decompressed chunks
 * for gzip) that reads only when asked and closes its file in `finally`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { CorpusflowError } from '../errors.js';
import type { ReadContext } from './pull.js';

/** Open a file for reading, mapping ENOENT and friends to corpusflow errors. */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new CorpusflowError('FILE_NOT_FOUND', `No such file`, { position: { file: path }, cause: e });
    if (code === 'EISDIR') throw new CorpusflowError('IO_ERROR', `Is a directory, expected a file`, { position: { file: path }, cause: e });
    throw new CorpusflowError('IO_ERROR', `Cannot open: ${(e as Error).message}`, { position: { file: path }, cause: e });
  }
}

function readError(path: string, e: unknown): CorpusflowError {
  if (e instanceof CorpusflowError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CorpusflowError('IO_ERROR', `Cannot read: ${msg}`, { position: { file: path }, cause: e });
}

/**
 * Read `path` ('-' for stdin) in chunks, gunzipping when `gunzip` is set.
 * With `reuseBuffer`, each chunk is only valid until the next one is requested.
 * `context.stats.bytesRead` counts bytes taken from the file itself
 * (compressed bytes for gzip), which is what progress and ETA need.
 */
export async function* readChunks(
  path: string,
  highWaterMark: number,
  gunzip: boolean,
  context: ReadContext,
  { reuseBuffer = false }: { reuseBuffer?: boolean } = {},
): AsyncGenerator<Buffer> {
  if (path === '-') {
    yield* readStream(process.stdin, path, gunzip, context, () => (process.stdin as { bytesRead?: number }).bytesRead ?? 0);
    return;
  }
  const handle = await openForReading(path);
  try {
    const { size } = await handle.stat();
    // Summed so a source over several files reports the total of those opened so far.
    context.stats.bytesTotal = (context.stats.bytesTotal ?? 0) + size;
    if (gunzip) {
      const raw = handle.createReadStream({ highWaterMark, autoClose: false });
      try {
        yield* readStream(raw, path, true, context, () => raw.bytesRead);
      } finally {
        raw.destroy();
      }
      return;
    }
    // With reuseBuffer the caller promises to copy whatever it keeps of a
    // chunk before asking for the next one; one buffer then serves the whole
    // file instead of a new one per read waiting for the garbage collector.
    const shared = reuseBuffer ? Buffer.allocUnsafe(highWaterMark) : undefined;
    for (;;) {
      const buffer = shared ?? Buffer.allocUnsafe(highWaterMark);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, highWaterMark, null));
      } catch (e) {
        throw readError(path, e);
      }
      if (bytesRead === 0) return;
      context.stats.bytesRead += bytesRead;
      yield bytesRead === highWaterMark ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function* readStream(
  input: Readable,
  path: string,
  gunzip: boolean,
  context: ReadContext,
  consumed: () => number,
): AsyncGenerator<Buffer> {
  const gunzipper = gunzip ? createGunzip() : undefined;
  const stream: Readable = gunzipper ? input.pipe(gunzipper) : input;
  // A paused stream's async iterator reads one chunk per request, so this stays pull-driven.
  const iterator = stream.iterator({ destroyOnReturn: gunzip || path !== '-' });
  const onAbort = () => {
    // Stdin may wait forever for input; end the wait when the subscriber leaves.
    stream.destroy();
  };
  context.signal.addEventListener('abort', onAbort, { once: true });
  let before = 0;
  try {
    for await (const chunk of iterator) {
      const now = consumed();
      context.stats.bytesRead += gunzip ? now - before : (chunk as Buffer).length;
      before = now;
      yield chunk as Buffer;
    }
  } catch (e) {
    if (context.signal.aborted) return;
    const code = (e as { code?: string }).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') {
      throw new CorpusflowError('IO_ERROR', `Not valid gzip data: ${(e as Error).message}`, { position: { file: path }, cause: e });
    }
    throw readError(path, e);
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    if (gunzipper) {
      gunzipper.destroy();
      input.unpipe(gunzipper);
      if (!input.destroyed && path !== '-') {
        input.destroy();
        await once(input, 'close').catch(() => undefined);
      }
    }
  }
}
