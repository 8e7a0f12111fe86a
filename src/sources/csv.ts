/**
 * CSV/TSV source through csv-parse: header row or not, any delimiter, quoted
 * multi-line fields, the text and id columns picked by name or index.
 */
import { Parser, type CsvError, type Info, type Options as CsvParseOptions } from 'csv-parse';
import { CorpusflowError, type ErrorPosition } from '../errors.js';
import { readChunks } from './bytes.js';
import { normaliseSourceOptions, recordToDocument, type NormalisedSourceOptions, type SourceOptions } from './options.js';
import { PullSource, type ReadContext, type SourceItem } from './pull.js';

/** Options of {@link csvSource}. */
export interface CsvSourceOptions extends Omit<SourceOptions, 'text' | 'id'> {
  /** Column with the text: header name, or 0-based index. Default `'text'` with a header row, column 0 without. */
  text?: string | number;
  /** Column with the id: header name or 0-based index. Default `'id'`; rows without one get their record number. */
  id?: string | number;
  /** `true`: the first row names the columns (default); `false`: no header, rows are arrays; an array: these column names. */
  columns?: boolean | string[];
  /** Field delimiter. Default tab for `.tsv` / `.tsv.gz` files, comma otherwise. */
  delimiter?: string;
  /** Quote character. Default `"`. */
  quote?: string;
  /** Gunzip the input. Default: when the file name ends in `.gz`. */
  gzip?: boolean;
}

/** The part of csv-parse's parser we drive directly, so records and skipped rows arrive in order. */
interface CsvApi {
  parse(buffer: Buffer | undefined, end: boolean, push: (record: ParsedRecord) => void, close: () => void): CsvError | undefined;
}

interface ParsedRecord {
  record: unknown;
  raw: string;
  info: Info;
}

/**
 * Stream documents from a CSV or TSV file (or stdin with `'-'`).
 *
 * Like a clerk reading a register row by row: multi-line quoted cells are one
 * row, and every row's position (line, record, byte) is noted for errors.
 *
 * Rows csv-parse rejects (wrong number of columns, bad quoting) are
 * `CSV_PARSE` record errors, empty lines `EMPTY_LINE`, rows with invalid UTF-8
 * `INVALID_UTF8`; all follow `onError`. A row longer than `maxLineBytes` stops
 * the stream with `LINE_TOO_LONG` whatever the policy, because csv-parse cannot
 * resume after it.
 *
 * ## Example
 * ```ts
 * import { csvSource } from 'corpusflow';
 * csvSource('reviews.tsv', { text: 'review', id: 'review_id' }).subscribe((d) => console.log(d.id));
 * csvSource('raw.csv', { columns: false, text: 2 }); // third column, no header
 * ```
 *
 * @param path File path, or `'-'` for stdin.
 * @param options Columns, delimiter, quote, field choice, error policy.
 * @return A `Source<Document>`; documents carry the row's other columns too (header mode).
 */
export function csvSource(path: string, options: CsvSourceOptions = {}): PullSource {
  if (typeof path !== 'string' || path.length === 0) throw new CorpusflowError('INVALID_OPTION', `Invalid option path: expected a file path or "-", got ${JSON.stringify(path)}`);
  const columns = options.columns ?? true;
  if (typeof columns !== 'boolean' && !(Array.isArray(columns) && columns.every((c) => typeof c === 'string'))) {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option columns: expected true, false or an array of names, got ${JSON.stringify(columns)}`);
  }
  const fieldOption = (name: 'text' | 'id', value: unknown, fallback: string) => {
    if (value === undefined) return fallback;
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0) throw new CorpusflowError('INVALID_OPTION', `Invalid option ${name}: expected a column name or 0-based index, got ${JSON.stringify(value)}`);
      if (columns === true || Array.isArray(columns)) {
        throw new CorpusflowError('INVALID_OPTION', `Invalid option ${name}: a column index needs columns: false, got ${value}`, { hint: 'name the column instead, or set columns: false' });
      }
      return String(value);
    }
    return value as string;
  };
  const common = normaliseSourceOptions(
    { ...options, text: fieldOption('text', options.text, columns === false ? '0' : 'text'), id: fieldOption('id', options.id, 'id') } as SourceOptions,
    ['columns', 'delimiter', 'quote', 'gzip'],
  );
  for (const key of ['delimiter', 'quote'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) {
      throw new CorpusflowError('INVALID_OPTION', `Invalid option ${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
    }
  }
  const gzip = options.gzip ?? /\.gz$/i.test(path);
  const delimiter = options.delimiter ?? (/\.tsv(\.gz)?$/i.test(path) ? '\t' : ',');
  const parseOptions: CsvParseOptions = {
    columns,
    delimiter,
    quote: options.quote ?? '"',
    bom: true,
    info: true,
    raw: true,
    skip_empty_lines: false,
    skip_records_with_error: true,
    max_record_size: common.maxLineBytes,
  };
  // Validate csv-parse's own options now rather than at the first subscription.
  makeParser(parseOptions, () => undefined, path);
  return new PullSource(`csv(${path})`, common, (context) => readCsv(path, gzip, parseOptions, common, context));
}

function makeParser(parseOptions: CsvParseOptions, onSkip: (err: CsvError, chunk: string) => void, path: string): CsvApi {
  let parser: Parser;
  try {
    parser = new Parser({ ...parseOptions, on_skip: onSkip } as CsvParseOptions);
  } catch (e) {
    throw new CorpusflowError('INVALID_OPTION', `Invalid CSV options: ${(e as Error).message}`, { position: { file: path }, cause: e });
  }
  const api = (parser as unknown as { api?: CsvApi }).api;
  if (!api || typeof api.parse !== 'function') {
    throw new CorpusflowError('IO_ERROR', 'This csv-parse version does not expose its parser core (parser.api); corpusflow needs csv-parse 5', { position: { file: path } });
  }
  return api;
}

/** Line where a record starts: csv-parse reports the line it ended on. */
function startLine(endLine: number, raw: string): number {
  let newlines = 0;
  for (let i = raw.indexOf('\n'); i !== -1; i = raw.indexOf('\n', i + 1)) newlines++;
  return endLine - newlines + (raw.endsWith('\n') ? 1 : 0);
}

async function* readCsv(
  path: string,
  gzip: boolean,
  parseOptions: CsvParseOptions,
  options: NormalisedSourceOptions,
  context: ReadContext,
): AsyncGenerator<SourceItem[]> {
  let items: SourceItem[] = [];
  let recordNumber = 0;
  let fatal: CorpusflowError | undefined;
  let sawInvalidUtf8 = false;
  let validator = new TextDecoder('utf-8', { fatal: true });

  /** Where the previous record ended: the next one cannot start before it. */
  let lastEnd = 0;
  const positionOf = (endLine: number, endByte: number, raw: string): ErrorPosition => {
    // csv-parse reports where a record ended; for some errors (an unclosed
    // quote) its offset is not the end, so fall back to the previous record's end.
    const start = endByte - Buffer.byteLength(raw);
    const byte = start >= lastEnd ? start : lastEnd;
    lastEnd = Math.max(lastEnd, endByte);
    return { file: path, line: startLine(endLine, raw), record: recordNumber, byte };
  };

  const onSkip = (err: CsvError, chunk: string) => {
    recordNumber++;
    const e = err as CsvError & { lines?: number; bytes?: number };
    const raw = typeof chunk === 'string' ? chunk : '';
    const position = positionOf(e.lines ?? 0, e.bytes ?? 0, raw);
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      // Name where the record starts, not where the limit was hit: an unclosed quote thousands of lines
      // earlier is the usual cause, and that is the line to look at.
      fatal ??= new CorpusflowError('LINE_TOO_LONG', `Record is longer than maxLineBytes (${options.maxLineBytes} bytes)`, {
        position,
        raw,
        hint: 'an unclosed quote where the record starts makes the rest of the file one record; otherwise raise maxLineBytes',
      });
      return;
    }
    if (raw.trim() === '') {
      items.push(new CorpusflowError('EMPTY_LINE', 'Empty line', { position, raw }));
      return;
    }
    items.push(new CorpusflowError('CSV_PARSE', `${err.message} (${err.code})`, { position, raw, cause: err }));
  };

  const push = ({ record, raw, info }: ParsedRecord) => {
    recordNumber++;
    const position = positionOf(info.lines, info.bytes, raw);
    if (raw.trim() === '') {
      items.push(new CorpusflowError('EMPTY_LINE', 'Empty line', { position, raw }));
      return;
    }
    if (sawInvalidUtf8 && raw.includes('\uFFFD')) {
      // csv-parse decodes leniently; the chunk check told us the input has invalid bytes, and this row holds replacements.
      items.push(new CorpusflowError('INVALID_UTF8', 'Record is not valid UTF-8', { position, raw }));
      return;
    }
    items.push(recordToDocument(record, recordNumber, options, position, raw));
  };

  const api = makeParser(parseOptions, onSkip, path);
  const feed = (chunk: Buffer | undefined, end: boolean) => {
    const error = api.parse(chunk, end, push, () => undefined);
    if (error) {
      const e = error as CsvError & { lines?: number };
      fatal ??= new CorpusflowError('CSV_PARSE', `${error.message} (${error.code})`, { position: { file: path, line: e.lines }, cause: error });
    }
  };

  for await (const chunk of readChunks(path, options.highWaterMark, gzip, context)) {
    if (!sawInvalidUtf8) {
      try {
        validator.decode(chunk, { stream: true });
      } catch {
        sawInvalidUtf8 = true;
        validator = new TextDecoder('utf-8', { fatal: true });
      }
    }
    feed(chunk, false);
    if (items.length > 0) {
      const out = items;
      items = [];
      yield out;
    }
    if (fatal) throw fatal;
  }
  feed(undefined, true);
  if (items.length > 0) yield items;
  if (fatal) throw fatal;
}
