/**
 * NDJSON source: one JSON object per line, from a file, a .gz file or stdin.
 */
import { CorpusflowError } from '../errors.js';
import { readChunks } from './bytes.js';
import { LineSplitter, type Line } from './lines.js';
import { normaliseSourceOptions, recordToDocument, type NormalisedSourceOptions, type SourceOptions } from './options.js';
import { PullSource, type ReadContext, type SourceItem } from './pull.js';

/** Options of {@link ndjsonSource}. */
export interface NdjsonSourceOptions extends SourceOptions {
  /** Gunzip the input. Default: when the file name ends in `.gz`. */
  gzip?: boolean;
}

/**
 * Stream documents from an NDJSON file (or stdin with `'-'`), one JSON object
 * per line; `.gz` files are decompressed on the fly.
 *
 * Like reading a ledger one line at a time and turning the page only when the
 * last line was dealt with: the file is read in small chunks, and only as fast
 * as the pipeline consumes documents.
 *
 * Each subscription reads the file again from the start (one epoch). Bad lines
 * (invalid JSON or UTF-8, empty, longer than `maxLineBytes`, without a string
 * text field) fail the stream, or with `onError: 'skip'` are counted in
 * `source.stats` and written to `deadLetter`.
 *
 * ## Example
 * ```ts
 * import { ndjsonSource } from 'corpusflow';
 * import { take } from 'rxjs';
 * const docs = ndjsonSource('corpus.ndjson.gz', { text: 'payload.body', onError: 'skip', deadLetter: 'bad.ndjson' });
 * docs.pipe(take(3)).subscribe((d) => console.log(d.id, d.text.slice(0, 40)));
 * ```
 *
 * @param path File path, or `'-'` for stdin (stdin can be read only once).
 * @param options Field paths, error policy, limits; see {@link NdjsonSourceOptions}.
 * @return A re-subscribable `Source<Document>` with live `stats`.
 */
export function ndjsonSource(path: string, options: NdjsonSourceOptions = {}): PullSource {
  if (typeof path !== 'string' || path.length === 0) throw new CorpusflowError('INVALID_OPTION', `Invalid option path: expected a file path or "-", got ${JSON.stringify(path)}`);
  const normalised = normaliseSourceOptions(options, ['gzip']);
  if (options.gzip !== undefined && typeof options.gzip !== 'boolean') {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option gzip: expected a boolean, got ${JSON.stringify(options.gzip)}`);
  }
  const gzip = options.gzip ?? /\.gz$/i.test(path);
  return new PullSource(`ndjson(${path})`, normalised, (context) => readNdjson(path, gzip, normalised, context));
}

async function* readNdjson(path: string, gzip: boolean, options: NormalisedSourceOptions, context: ReadContext): AsyncGenerator<SourceItem[]> {
  const splitter = new LineSplitter(path, options.maxLineBytes);
  for await (const chunk of readChunks(path, options.highWaterMark, gzip, context, { reuseBuffer: true })) {
    const lines = splitter.push(chunk);
    if (lines.length > 0) yield parseLines(lines, path, options);
  }
  const last = splitter.end();
  if (last.length > 0) yield parseLines(last, path, options);
}

function parseLines(lines: Line[], file: string, options: NormalisedSourceOptions): SourceItem[] {
  const items: SourceItem[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const { line, byte, text, error } = lines[i]!;
    if (error) {
      items[i] = error;
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(text!);
    } catch (e) {
      const blank = text!.trim() === '';
      items[i] = new CorpusflowError(blank ? 'EMPTY_LINE' : 'INVALID_JSON', blank ? 'Empty line' : `Invalid JSON: ${(e as Error).message}`, {
        position: { file, line, record: line, byte },
        raw: text,
      });
      continue;
    }
    items[i] = recordToDocument(record, line, options, { file, line, record: line, byte }, text);
  }
  return items;
}
