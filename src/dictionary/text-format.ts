/**
 * gensim's plain-text dictionary format (`Dictionary.save_as_text` /
 * `load_from_text`), as pure string functions: no files, no Dictionary class.
 *
 * ```
 * num_docs
 * id<TAB>token<TAB>document_frequency
 * ...
 * ```
 * Lines end in `\n`; the file is UTF-8.
 */
import { CorpusflowError } from '../errors.js';
import { compareCodePoints } from './compare.js';

/** The parts of a dictionary the text format stores. */
export interface TextFormatSource {
  readonly numDocs: number;
  readonly token2id: ReadonlyMap<string, number>;
  readonly dfs: ReadonlyMap<number, number>;
  readonly id2token: ReadonlyMap<number, string>;
}

/** What a parsed text file holds, in file order. */
export interface ParsedDictionaryText {
  /** From the first line; 0 when the file has no num_docs line (very old gensim files). */
  numDocs: number;
  /** `[id, token, documentFrequency]` per entry line, in file order. */
  entries: Array<[number, string, number]>;
}

export interface TextFormatOptions {
  /**
   * `true` (gensim's default): one line per token, sorted by token in code point order.
   * `false`: lines in decreasing document frequency (ties in the order ids got their first df).
   */
  sortByWord?: boolean;
}

function checkToken(token: string, id: number): void {
  // The format has no escaping: a tab or newline in a token makes a file that
  // neither gensim nor we can read back, so refuse to write it.
  if (token.includes('\t') || token.includes('\n')) {
    throw new CorpusflowError('DICTIONARY_FORMAT', `Token ${JSON.stringify(token)} (id ${id}) contains a tab or newline, which gensim's text format cannot store`, {
      hint: 'save it as JSON with dictionary.save(path) instead',
    });
  }
}

/**
 * Render a dictionary in gensim's text format.
 *
 * @param dict The dictionary (anything with numDocs, token2id, dfs, id2token).
 * @param options `sortByWord` (default true).
 * @return The file contents, `\n` line endings, ending in a newline.
 */
export function formatDictionaryText(dict: TextFormatSource, options: TextFormatOptions = {}): string {
  const sortByWord = options.sortByWord ?? true;
  const lines: string[] = [`${dict.numDocs}\n`];
  if (sortByWord) {
    const tokens = Array.from(dict.token2id.keys()).sort(compareCodePoints);
    for (const token of tokens) {
      const id = dict.token2id.get(token)!;
      checkToken(token, id);
      lines.push(`${id}\t${token}\t${dict.dfs.get(id) ?? 0}\n`);
    }
  } else {
    // Array.prototype.sort is stable, as Python's sorted() is: equal dfs keep dfs insertion order.
    const byDf = Array.from(dict.dfs.entries()).sort((a, b) => b[1] - a[1]);
    const id2token = dict.id2token;
    for (const [id, df] of byDf) {
      const token = id2token.get(id);
      if (token === undefined) {
        throw new CorpusflowError('DICTIONARY_FORMAT', `Document frequency recorded for id ${id}, which has no token`);
      }
      checkToken(token, id);
      lines.push(`${id}\t${token}\t${df}\n`);
    }
  }
  return lines.join('');
}

// Python's int() accepts surrounding whitespace and a sign; gensim reads the
// fields with int(), so we accept the same (ASCII digits only).
const INTEGER = /^[ \t\r\f\v]*([+-]?\d+)[ \t\r\f\v]*$/;

/**
 * Parse gensim's text format.
 *
 * Follows gensim's `load_from_text`: a first line of only digits is num_docs,
 * otherwise it is read as an entry; every other line must be exactly
 * `id<TAB>token<TAB>df`; a token defined twice is an error. One deliberate
 * difference: gensim drops the last character of every line assuming it is a
 * newline, which corrupts a final line without one; we only drop a real `\n`.
 *
 * @param text File contents (already decoded).
 * @param file File name for error positions.
 * @return num_docs and the entries in file order.
 */
export function parseDictionaryText(text: string, file?: string): ParsedDictionaryText {
  const result: ParsedDictionaryText = { numDocs: 0, entries: [] };
  const seen = new Map<string, number>();
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    lineNo++;
    if (lineNo === 1 && /^\s*\d+\s*$/.test(line)) {
      result.numDocs = Number(line.trim());
      continue;
    }
    const position = { ...(file !== undefined ? { file } : {}), line: lineNo };
    const fields = line.split('\t');
    const idMatch = fields.length === 3 ? INTEGER.exec(fields[0]!) : null;
    const dfMatch = fields.length === 3 ? INTEGER.exec(fields[2]!) : null;
    if (!idMatch || !dfMatch) {
      throw new CorpusflowError('DICTIONARY_FORMAT', 'Invalid line in dictionary file: expected "id<TAB>token<TAB>document_frequency"', {
        position,
        raw: line,
        hint: lineNo === 1 ? 'the first line should be the number of documents' : undefined,
      });
    }
    const id = Number(idMatch[1]);
    const token = fields[1]!;
    const previous = seen.get(token);
    if (previous !== undefined) {
      throw new CorpusflowError('DICTIONARY_FORMAT', `Token ${JSON.stringify(token)} is defined as id ${id} and as id ${previous}`, { position, raw: line });
    }
    seen.set(token, id);
    result.entries.push([id, token, Number(dfMatch[1])]);
  }
  return result;
}
