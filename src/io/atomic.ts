/**
 * Atomic file writes: write everything to a temporary file next to the
 * target, flush it to disk, then rename it over the target. Readers see either
 * the old file or the complete new one, never a half-written file, even when
 * the process is killed mid-write.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { CorpusflowError } from '../errors.js';

/** The temporary sibling a write goes to first: `<path>.tmp-<pid>-<random>` in the same directory (rename is only atomic within one file system). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function ioError(path: string, action: string, cause: unknown): CorpusflowError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR';
  return new CorpusflowError(code, `Cannot ${action}: ${reason}`, { position: { file: path }, cause });
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // Already gone (or never created): nothing to clean up.
  }
}

/**
 * Write a whole file atomically.
 *
 * Like saving a document under a draft name and renaming it once it is
 * complete: nobody ever opens a half-saved file.
 *
 * ## Example
 * ```ts
 * import { writeFileAtomic } from 'corpusflow';
 * await writeFileAtomic('out/dictionary.txt', dictText);
 * ```
 *
 * @param path Target file; its directory must exist.
 * @param data Contents (strings are written as UTF-8).
 * @return Resolves once the new contents are on disk under `path`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await removeQuietly(temp);
    throw ioError(path, `write ${path}`, e);
  }
}

/**
 * A writable stream whose data only appears under its target path once it
 * ends successfully. `end()` / `commit()` flushes and renames; `destroy()` or
 * `abort()` removes the temporary file and leaves any old target untouched.
 */
export class AtomicWriteStream extends Writable {
  /** The final file name. */
  readonly path: string;
  /** Where the bytes go until commit. */
  readonly tempPath: string;
  /** Bytes accepted so far. */
  bytesWritten = 0;
  private handle: FileHandle | undefined;
  private committed = false;
  private cleanup: Promise<void> | undefined;

  constructor(path: string) {
    super({ decodeStrings: true });
    this.path = path;
    this.tempPath = tempPathFor(path);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.tempPath, 'wx').then(
      (h) => {
        this.handle = h;
        callback();
      },
      (e) => callback(ioError(this.path, `create ${this.tempPath}`, e)),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    try {
      // writev may write fewer bytes than asked; loop until everything is out.
      let pending = buffers;
      while (pending.length > 0) {
        const { bytesWritten } = await this.handle!.writev(pending);
        this.bytesWritten += bytesWritten;
        pending = dropBytes(pending, bytesWritten);
      }
    } catch (e) {
      throw ioError(this.path, `write ${this.tempPath}`, e);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.handle!;
    (async () => {
      try {
        await handle.sync();
        await handle.close();
        this.handle = undefined;
        await rename(this.tempPath, this.path);
        this.committed = true;
      } catch (e) {
        throw ioError(this.path, `finalise ${this.path}`, e);
      }
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.cleanup = (async () => {
      if (this.handle) {
        await this.handle.close().catch(() => undefined);
        this.handle = undefined;
      }
      if (!this.committed) await removeQuietly(this.tempPath);
    })();
    this.cleanup.then(() => callback(error), () => callback(error));
  }

  /** End the stream and resolve once the file is renamed into place (rejects with the write error otherwise). */
  commit(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.committed) return resolve();
      if (this.destroyed) {
        return reject(this.errored ?? new CorpusflowError('IO_ERROR', `Cannot commit ${this.path}: the stream was aborted`, { position: { file: this.path } }));
      }
      const onError = (e: Error) => {
        this.off('finish', onFinish);
        reject(e);
      };
      const onFinish = () => {
        this.off('error', onError);
        resolve();
      };
      this.once('error', onError);
      this.once('finish', onFinish);
      this.end();
    });
  }

  /** Throw the written data away: close and delete the temporary file; the target is left as it was. */
  async abort(): Promise<void> {
    if (this.committed) return;
    if (!this.destroyed) this.destroy();
    // _destroy may run after the pending open finishes; wait for it.
    await new Promise<void>((resolve) => (this.closed ? resolve() : this.once('close', () => resolve())));
    await this.cleanup;
  }
}

function dropBytes(buffers: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && n >= buffers[i]!.length) {
    n -= buffers[i]!.length;
    i++;
  }
  const rest = buffers.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

/**
 * Open a stream that writes `path` atomically: bytes go to a temporary
 * sibling, which is fsynced and renamed over `path` when the stream finishes.
 *
 * Like writing a letter on a draft pad and only putting it in the tray once
 * it is finished; tear it up (`abort()`) and the tray is unchanged.
 *
 * ## Example
 * ```ts
 * import { createAtomicWriteStream } from 'corpusflow';
 * const out = createAtomicWriteStream('out/dead-letter.ndjson');
 * out.write(JSON.stringify(record) + '\n');
 * await out.commit(); // or: await out.abort();
 * ```
 *
 * @param path Target file; its directory must exist.
 * @return An {@link AtomicWriteStream}: a Node Writable with `commit()` and `abort()`.
 */
export function createAtomicWriteStream(path: string): AtomicWriteStream {
  return new AtomicWriteStream(path);
}
