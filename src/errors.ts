/**
 * One error class for the whole library. Errors are data: a stable `code`
 * from the union below plus the position they refer to. Formatting into a
 * one-line message is separate (`formatError`), so callers and tests can
 * match on `code` and `position` instead of parsing text.
 */

/** Every error corpusflow raises has one of these codes. Never rename one: users match on them. */
export type ErrorCode =
  // bad records (sources): subject to on_error
  | 'INVALID_JSON'
  | 'INVALID_UTF8'
  | 'EMPTY_LINE'
  | 'LINE_TOO_LONG'
  | 'MISSING_FIELD'
  | 'INVALID_FIELD_TYPE'
  | 'CSV_PARSE'
  // files and I/O
  | 'FILE_NOT_FOUND'
  | 'IO_ERROR'
  // options, config and usage
  | 'INVALID_OPTION'
  | 'CONFIG_INVALID'
  | 'USAGE'
  // formats we read back
  | 'DICTIONARY_FORMAT'
  | 'MODEL_FORMAT'
  | 'CHECKPOINT_CORRUPT'
  // runtime
  | 'BACKEND_UNAVAILABLE'
  | 'TRAINING_DIVERGED'
  | 'INTERRUPTED';

/** Codes that describe one bad input record; `on_error: skip` may skip these and only these. */
export const RECORD_ERROR_CODES: readonly ErrorCode[] = [
  'INVALID_JSON',
  'INVALID_UTF8',
  'EMPTY_LINE',
  'LINE_TOO_LONG',
  'MISSING_FIELD',
  'INVALID_FIELD_TYPE',
  'CSV_PARSE',
];

/** Where an error happened. Every field is optional; give as many as are known. */
export interface ErrorPosition {
  /** File path as the user gave it, or '-' for stdin. */
  file?: string;
  /** 1-based line number in the file. */
  line?: number;
  /** 1-based column. */
  column?: number;
  /** 1-based record number (differs from line for multi-line CSV records). */
  record?: number;
  /** 0-based byte offset of the start of the record in the (decompressed) input. */
  byte?: number;
  /** Field name or dotted path (`payload.body`) or config key path (`train.epochs`). */
  field?: string;
}

export interface CorpusflowErrorOptions {
  position?: ErrorPosition;
  /** The raw offending input (a line, a record), kept for dead-letter files. Truncated when long. */
  raw?: string;
  /** A suggestion of how to fix it ("did you mean 'no_below'?"). */
  hint?: string;
  cause?: unknown;
}

const RAW_LIMIT = 4096;

export class CorpusflowError extends Error {
  override readonly name = 'CorpusflowError';
  readonly code: ErrorCode;
  readonly position: ErrorPosition;
  readonly raw?: string;
  readonly hint?: string;
  /** The bare reason, without position; `message` is the formatted one-liner. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, options: CorpusflowErrorOptions = {}) {
    const position = options.position ?? {};
    super(formatMessage(code, reason, position, options.hint), { cause: options.cause });
    this.code = code;
    this.reason = reason;
    this.position = position;
    if (options.raw !== undefined) {
      this.raw = options.raw.length > RAW_LIMIT ? options.raw.slice(0, RAW_LIMIT) + '…' : options.raw;
    }
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** Whether this error is about one input record (and so may be skipped under on_error: skip). */
  get isRecordError(): boolean {
    return RECORD_ERROR_CODES.includes(this.code);
  }

  toJSON(): { code: ErrorCode; reason: string; position: ErrorPosition; hint?: string } {
    return { code: this.code, reason: this.reason, position: this.position, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** `file:line:column` style location text, or '' when nothing is known. */
export function formatPosition(p: ErrorPosition): string {
  const parts: string[] = [];
  let loc = p.file ?? '';
  if (p.line !== undefined) loc += `${loc ? ':' : 'line '}${p.line}`;
  if (p.line !== undefined && p.column !== undefined) loc += `:${p.column}`;
  if (loc) parts.push(loc);
  if (p.record !== undefined) parts.push(`record ${p.record}`);
  if (p.byte !== undefined) parts.push(`byte ${p.byte}`);
  if (p.field !== undefined) parts.push(`field "${p.field}"`);
  return parts.join(', ');
}

function formatMessage(code: ErrorCode, reason: string, position: ErrorPosition, hint?: string): string {
  const where = formatPosition(position);
  return `${where ? where + ': ' : ''}${reason} [${code}]${hint ? ` (${hint})` : ''}`;
}

/** Narrowing helper that also works across duplicated module copies. */
export function isCorpusflowError(e: unknown): e is CorpusflowError {
  return e instanceof CorpusflowError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'CorpusflowError' && typeof (e as { code?: unknown }).code === 'string');
}

/** Validate an option up front with csv-parse's message pattern: `Invalid option x: expected ..., got "y"`. */
export function invalidOption(name: string, expected: string, got: unknown): CorpusflowError {
  return new CorpusflowError('INVALID_OPTION', `Invalid option ${name}: expected ${expected}, got ${JSON.stringify(got)}`);
}
