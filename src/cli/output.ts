/**
 * Writing NDJSON to stdout without outrunning it. Lines are gathered into
 * chunks (one write per ~64 KiB, not per document), and when the stream says
 * "enough" (write() returned false) the caller gets a promise that settles on
 * 'drain', which an async stage holding a flow-control credit can await so
 * the source stops reading until the consumer catches up.
 */
import type { Writable } from 'node:stream';

const CHUNK_CHARS = 64 * 1024;

export class LineWriter {
  private buffer = '';
  private waiting: Promise<void> | undefined;
  /** Set once the reader went away (EPIPE, e.g. `| head`): further output is dropped. */
  closed = false;

  constructor(private readonly stream: Writable) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') this.closed = true;
    });
  }

  /**
   * Queue one line (a newline is added).
   *
   * @return undefined when more may be written now, or a promise to await before writing more.
   */
  write(line: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    this.buffer += line + '\n';
    if (this.buffer.length < CHUNK_CHARS) return this.waiting;
    return this.flush();
  }

  /** Hand the gathered lines to the stream; resolves on 'drain' when the stream is full. */
  flush(): Promise<void> | undefined {
    if (this.closed || this.buffer.length === 0) return this.waiting;
    const chunk = this.buffer;
    this.buffer = '';
    if (this.stream.write(chunk)) return this.waiting;
    this.waiting ??= new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        this.waiting = undefined;
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
    return this.waiting;
  }

  /** Write what is left and wait until the stream has taken it. */
  async end(): Promise<void> {
    await this.flush();
    await this.waiting;
  }
}
