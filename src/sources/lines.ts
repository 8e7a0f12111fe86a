/**
 * A line splitter over Buffers that knows where every line starts (line
 * number and byte offset), validates UTF-8 and refuses lines longer than a
 * limit without ever buffering them whole.
 */
import { CorpusflowError } from '../errors.js';

/** One complete line: its text (without `\n` / `\r\n`), or the error that made it unreadable. */
export interface Line {
  /** 1-based line number. */
  line: number;
  /** 0-based byte offset of the line's first byte in the (decompressed) input. */
  byte: number;
  text?: string;
  error?: CorpusflowError;
}

const NEWLINE = 0x0a;
const RAW_KEEP = 4096;

/**
 * Feed it chunks with `push`, get back the lines they complete; call `end`
 * for a last line without a trailing newline. It copies what it keeps of a
 * chunk, so the caller may reuse the chunk's memory after `push` returns.
 *
 * Like a tape measure that only remembers where the current piece started:
 * a partial line is carried over to the next chunk, and once it is longer
 * than the limit the splitter stops keeping its bytes and just counts.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  /** Bytes of the unfinished line, in pieces (never more than maxLineBytes in total). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while skipping the rest of an over-long line; holds its first bytes for the error's raw text. */
  private overlong: Buffer | undefined;
  private lineNumber = 0;
  /** Byte offset of the start of the unfinished line. */
  private lineStart = 0;
  /** All bytes of the unfinished line seen so far, including those dropped from an over-long one. */
  private partialBytes = 0;

  constructor(
    private readonly file: string,
    private readonly maxLineBytes: number,
  ) {}

  /**
   * Split a chunk.
   *
   * @param chunk The next bytes of the input.
   * @return Lines completed by this chunk, in order.
   */
  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let nl = chunk.indexOf(NEWLINE);
    if (nl === -1) {
      this.carry(chunk);
      return lines;
    }
    // The line that began in an earlier chunk.
    this.finishCarried(chunk.subarray(0, nl), lines);
    let start = nl + 1;
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      this.splitRegion(chunk.subarray(start, last + 1), lines);
      start = last + 1;
    }
    if (start < chunk.length) this.carry(chunk.subarray(start));
    return lines;
  }

  /** @return The final line when the input did not end with a newline. */
  end(): Line[] {
    const lines: Line[] = [];
    if (this.partialBytes > 0) this.finishCarried(Buffer.alloc(0), lines);
    return lines;
  }

  private carry(piece: Buffer): void {
    this.partialBytes += piece.length;
    if (this.overlong) {
      // Keep only the first bytes (for the error's raw text); the rest is dropped as it arrives.
      if (this.overlong.length < RAW_KEEP) this.overlong = Buffer.concat([this.overlong, piece.subarray(0, RAW_KEEP - this.overlong.length)]);
      return;
    }
    if (this.pendingBytes + piece.length > this.maxLineBytes) {
      const kept = Buffer.concat([...this.pending, piece.subarray(0, Math.max(0, RAW_KEEP - this.pendingBytes))]);
      this.overlong = kept.subarray(0, RAW_KEEP);
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // Always copy: the reader may reuse the chunk's memory for the next read.
    this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
  }

  /** Complete the carried line with `tail` (the bytes up to, not including, its newline). */
  private finishCarried(tail: Buffer, lines: Line[]): void {
    const byte = this.lineStart;
    const length = this.partialBytes + tail.length;
    this.partialBytes = 0;
    this.lineNumber++;
    this.lineStart += length + 1;
    if (this.overlong || length > this.maxLineBytes) {
      const raw = this.overlong
        ? Buffer.concat([this.overlong, tail.subarray(0, Math.max(0, RAW_KEEP - this.overlong.length))])
        : Buffer.concat([...this.pending, tail]).subarray(0, RAW_KEEP);
      this.overlong = undefined;
      this.pending = [];
      this.pendingBytes = 0;
      lines.push({ line: this.lineNumber, byte, error: this.tooLong(raw, byte, this.lineNumber) });
      return;
    }
    const bytes = this.pendingBytes === 0 ? tail : Buffer.concat([...this.pending, tail], length);
    this.pending = [];
    this.pendingBytes = 0;
    lines.push(this.decodeLine(bytes, this.lineNumber, byte));
  }

  /** Split a run of complete lines (ending with a newline) that all lie in one chunk. */
  private splitRegion(region: Buffer, lines: Line[]): void {
    const regionStart = this.lineStart;
    let text: string | undefined;
    try {
      // One decode for the whole run is much cheaper than one per line; a
      // newline byte can only be a newline in valid UTF-8, so splitting the
      // string and the bytes agree.
      text = this.decoder.decode(region);
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const parts = text.split('\n');
      let byte = regionStart;
      let from = 0;
      // parts ends with '' (the region ends with a newline).
      for (let i = 0; i < parts.length - 1; i++) {
        const nl = region.indexOf(NEWLINE, from);
        const length = nl - from;
        this.lineNumber++;
        if (length > this.maxLineBytes) {
          lines.push({ line: this.lineNumber, byte, error: this.tooLong(region.subarray(from, from + RAW_KEEP), byte, this.lineNumber) });
        } else {
          lines.push({ line: this.lineNumber, byte, text: stripLineEnd(parts[i]!, byte === 0) });
        }
        byte += length + 1;
        from = nl + 1;
      }
      this.lineStart = byte;
      return;
    }
    // Some line in the run is not UTF-8: go line by line to find which.
    let from = 0;
    let byte = regionStart;
    while (from < region.length) {
      const nl = region.indexOf(NEWLINE, from);
      const length = nl - from;
      this.lineNumber++;
      if (length > this.maxLineBytes) {
        lines.push({ line: this.lineNumber, byte, error: this.tooLong(region.subarray(from, from + RAW_KEEP), byte, this.lineNumber) });
      } else {
        lines.push(this.decodeLine(region.subarray(from, nl), this.lineNumber, byte));
      }
      byte += length + 1;
      from = nl + 1;
    }
    this.lineStart = byte;
  }

  private decodeLine(bytes: Buffer, line: number, byte: number): Line {
    try {
      return { line, byte, text: stripLineEnd(this.decoder.decode(bytes), byte === 0) };
    } catch {
      return {
        line,
        byte,
        error: new CorpusflowError('INVALID_UTF8', `Line is not valid UTF-8 (at byte ${byte + firstInvalidByte(bytes)})`, {
          position: { file: this.file, line, record: line, byte },
          raw: bytes.toString('utf8'),
        }),
      };
    }
  }

  private tooLong(raw: Buffer, byte: number, line: number): CorpusflowError {
    return new CorpusflowError('LINE_TOO_LONG', `Line is longer than maxLineBytes (${this.maxLineBytes} bytes)`, {
      position: { file: this.file, line, record: line, byte },
      raw: raw.toString('utf8'),
      hint: 'raise maxLineBytes if such records are expected',
    });
  }
}

function stripLineEnd(text: string, atStart: boolean): string {
  if (atStart && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.charCodeAt(text.length - 1) === 0x0d ? text.slice(0, -1) : text;
}

/** Offset of the first byte where UTF-8 decoding fails (for a precise message). */
function firstInvalidByte(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  // Binary search on the longest valid prefix (a prefix may end mid-character, so allow 3 bytes of slack).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
}
