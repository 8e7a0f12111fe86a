/**
 * Plain-text source: one document per line of a file, or one document per
 * file of a directory or glob.
 */
import { stat } from 'node:fs/promises';
import { CorpusflowError } from '../errors.js';
import { readChunks } from './bytes.js';
import { globFiles, hasGlobMagic, walkDirectory, type FoundFile } from './glob.js';
import { LineSplitter, type Line } from './lines.js';
import { normaliseSourceOptions, type NormalisedSourceOptions, type SourceOptions } from './options.js';
import { PullSource, type ReadContext, type SourceItem } from './pull.js';

/** Options of {@link textSource}. */
export interface TextSourceOptions extends Omit<SourceOptions, 'text' | 'id'> {
  /** `'lines'`: a document per line; `'files'`: a document per file. Default: lines for a file, files for a directory or glob. */
  mode?: 'lines' | 'files';
  /** Blank lines in lines mode: `'ignore'` them (default; they are not records) or treat them as `EMPTY_LINE` errors. */
  emptyLines?: 'ignore' | 'error';
  /** Gunzip `.gz` files. Default true. */
  gzip?: boolean;
}

/**
 * Stream plain text: one document per line of a file (id = line number, or
 * `file:line` over several files), or one document per file over a directory
 * or glob (`*`, `?`, `**`; id = path relative to the directory / the glob's
 * fixed prefix). Files are visited in sorted order, so epochs are identical.
 *
 * Like reading a stack of letters: either every line of one letter is an
 * entry, or every letter is.
 *
 * In files mode a file larger than `maxLineBytes` is a `LINE_TOO_LONG` record
 * error and is never read whole; empty files are `EMPTY_LINE` errors.
 *
 * ## Example
 * ```ts
 * import { textSource } from 'corpusflow';
 * textSource('corpus/**\/*.txt', { mode: 'files' }).subscribe((d) => console.log(d.id));
 * ```
 *
 * @param pathOrGlob A file, a directory or a glob; `'-'` reads lines from stdin.
 * @param options Mode, error policy and limits.
 * @return A `Source<Document>`.
 */
export function textSource(pathOrGlob: string, options: TextSourceOptions = {}): PullSource {
  if (typeof pathOrGlob !== 'string' || pathOrGlob.length === 0) {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option path: expected a file, directory or glob, got ${JSON.stringify(pathOrGlob)}`);
  }
  const normalised = normaliseSourceOptions(options as SourceOptions, ['mode', 'emptyLines', 'gzip']);
  if (options.mode !== undefined && options.mode !== 'lines' && options.mode !== 'files') {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option mode: expected "lines" or "files", got ${JSON.stringify(options.mode)}`);
  }
  const emptyLines = options.emptyLines ?? 'ignore';
  if (emptyLines !== 'ignore' && emptyLines !== 'error') {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option emptyLines: expected "ignore" or "error", got ${JSON.stringify(emptyLines)}`);
  }
  const gzip = options.gzip ?? true;
  const settings: TextSettings = { mode: options.mode, emptyLines, gzip };
  return new PullSource(`text(${pathOrGlob}${options.mode ? `, ${options.mode}` : ''})`, normalised, (context) => readText(pathOrGlob, settings, normalised, context));
}

interface TextSettings {
  mode: 'lines' | 'files' | undefined;
  emptyLines: 'ignore' | 'error';
  gzip: boolean;
}

async function* listInput(pathOrGlob: string): AsyncGenerator<FoundFile> {
  if (pathOrGlob !== '-' && hasGlobMagic(pathOrGlob)) {
    // A real file whose name contains `*` or `?` wins over the glob reading.
    const s = await stat(pathOrGlob).catch(() => undefined);
    if (!s) {
      yield* globFiles(pathOrGlob);
      return;
    }
  }
  if (pathOrGlob === '-') {
    yield { path: '-', relative: '-' };
    return;
  }
  const s = await stat(pathOrGlob).catch(() => undefined);
  if (!s) throw new CorpusflowError('FILE_NOT_FOUND', 'No such file or directory', { position: { file: pathOrGlob } });
  if (s.isDirectory()) yield* walkDirectory(pathOrGlob);
  else yield { path: pathOrGlob, relative: pathOrGlob };
}

async function* readText(pathOrGlob: string, settings: TextSettings, options: NormalisedSourceOptions, context: ReadContext): AsyncGenerator<Iterable<SourceItem>> {
  const single = pathOrGlob === '-' || !(hasGlobMagic(pathOrGlob) || (await isDirectory(pathOrGlob)));
  const mode = settings.mode ?? (single ? 'lines' : 'files');
  let recordNumber = 0;
  for await (const file of listInput(pathOrGlob)) {
    const gzip = settings.gzip && /\.gz$/i.test(file.path);
    if (mode === 'files') {
      recordNumber++;
      yield [await readWholeFile(file, gzip, recordNumber, options, context)];
      continue;
    }
    const splitter = new LineSplitter(file.path, options.maxLineBytes);
    const toItems = (lines: Line[]): SourceItem[] => {
      const items: SourceItem[] = [];
      for (const { line, byte, text, error } of lines) {
        if (text !== undefined && text.trim() === '' && settings.emptyLines === 'ignore') continue;
        recordNumber++;
        const position = { file: file.path, line, record: recordNumber, byte };
        if (error) items.push(new CorpusflowError(error.code, error.reason, { position, ...(error.raw !== undefined ? { raw: error.raw } : {}), ...(error.hint ? { hint: error.hint } : {}) }));
        else if (text!.trim() === '') items.push(new CorpusflowError('EMPTY_LINE', 'Empty line', { position, raw: text! }));
        else items.push({ id: single ? line : `${file.relative}:${line}`, text: text! });
      }
      return items;
    };
    for await (const chunk of readChunks(file.path, options.highWaterMark, gzip, context, { reuseBuffer: true })) {
      const items = toItems(splitter.push(chunk));
      if (items.length > 0) yield items;
    }
    const last = toItems(splitter.end());
    if (last.length > 0) yield last;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  return s?.isDirectory() ?? false;
}

async function readWholeFile(file: FoundFile, gzip: boolean, recordNumber: number, options: NormalisedSourceOptions, context: ReadContext): Promise<SourceItem> {
  const position = { file: file.path, record: recordNumber, byte: 0 };
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const chunk of readChunks(file.path, options.highWaterMark, gzip, context)) {
    size += chunk.length;
    if (size > options.maxLineBytes) {
      // Stop reading: the rest of the file is never buffered.
      return new CorpusflowError('LINE_TOO_LONG', `File is larger than maxLineBytes (${options.maxLineBytes} bytes)`, {
        position,
        raw: Buffer.concat(pieces).subarray(0, 4096).toString('utf8'),
        hint: 'raise maxLineBytes if such documents are expected',
      });
    }
    pieces.push(chunk);
  }
  const bytes = Buffer.concat(pieces, size);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new CorpusflowError('INVALID_UTF8', 'File is not valid UTF-8', { position, raw: bytes.subarray(0, 4096).toString('utf8') });
  }
  if (text.trim() === '') return new CorpusflowError('EMPTY_LINE', 'Empty file', { position, raw: text });
  return { id: file.relative, text };
}
