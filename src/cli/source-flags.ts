/**
 * The source and filter flags shared by `preprocess`, `dictionary`, `infer`
 * and `evaluate`, turned into the same resolved settings a pipeline file gives.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { CorpusflowError } from '../errors.js';
import { didYouMean } from '../config/did-you-mean.js';
import { FILTER_NAMES, type FilterName } from '../config/schema.js';
import type { ResolvedSource } from '../config/resolve.js';
import type { FlagSpec, ParsedArgs } from './args.js';

export const SOURCE_FLAGS: Record<string, FlagSpec> = {
  input: { type: 'string', value: 'FILE|-', describe: 'input file, directory (text files) or - for stdin' },
  format: { type: 'string', choices: ['ndjson', 'csv', 'text', 'files'], describe: 'input format (default: from the file name; ndjson)' },
  'text-field': { type: 'string', value: 'F', describe: 'dotted path (or CSV column) of the text, default "text"' },
  'id-field': { type: 'string', value: 'F', describe: 'dotted path (or CSV column) of the id, default "id"' },
  delimiter: { type: 'string', value: 'C', describe: 'CSV delimiter (default "," or tab for .tsv)' },
  'no-header': { type: 'boolean', describe: 'CSV has no header row (columns are then named by index: 0, 1, ...)' },
  'on-error': { type: 'string', choices: ['fail', 'skip'], describe: 'bad records: stop (default) or skip them' },
  'dead-letter': { type: 'string', value: 'FILE', describe: 'write skipped records and reasons to this NDJSON file' },
};

export const FILTER_FLAG: Record<string, FlagSpec> = {
  filters: { type: 'string', value: 'default|simple|none|NAME,...', describe: 'tokenisation: gensim DEFAULT_FILTERS (default), simple_preprocess, whitespace split, or filter names' },
};

/** Guess the format from the name: .csv/.tsv -> csv, .txt -> text, a directory -> files, otherwise ndjson. */
export function inferFormat(input: string): ResolvedSource['kind'] {
  if (input === '-') return 'ndjson';
  const name = input.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return 'csv';
  if (name.endsWith('.txt')) return 'text';
  if (/[*?]/.test(input)) return 'files';
  try {
    if (statSync(input).isDirectory()) return 'files';
  } catch {
    // missing files are reported by the source, with its own message
  }
  return 'ndjson';
}

/** The resolved source that `--input` and friends describe. */
export function sourceFromFlags(args: ParsedArgs, cwd: string, command: string): ResolvedSource {
  const f = args.flags;
  const input = f.input as string | undefined;
  if (input === undefined) throw new CorpusflowError('USAGE', 'missing --input FILE|-', { hint: `see: corpusflow ${command} --help` });
  const kind = (f.format as ResolvedSource['kind'] | undefined) ?? inferFormat(input);
  // keep the path as typed when it already resolves from the process's directory, so messages show it as given
  const abs = (p: string) => (p === '-' || path.isAbsolute(p) || cwd === process.cwd() ? p : path.resolve(cwd, p));
  if (kind !== 'csv' && (f.delimiter !== undefined || f['no-header'] !== undefined)) {
    throw new CorpusflowError('USAGE', `--delimiter and --no-header apply to csv input, not ${kind}`, { hint: 'add --format csv if the input is CSV' });
  }
  const delimiter = (f.delimiter as string | undefined) ?? (kind === 'csv' && /\.tsv(\.gz)?$/i.test(input) ? '\t' : undefined);
  return {
    kind,
    path: abs(input),
    textField: (f['text-field'] as string | undefined) ?? 'text',
    textFieldGiven: f['text-field'] !== undefined,
    ...(f['id-field'] !== undefined ? { idField: f['id-field'] as string } : {}),
    onError: (f['on-error'] as 'fail' | 'skip' | undefined) ?? 'fail',
    ...(f['dead-letter'] !== undefined ? { deadLetter: abs(f['dead-letter'] as string) } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(f['no-header'] ? { header: false } : {}),
  };
}

/** `--filters default|simple|none|NAME,NAME` -> a preprocess spec; unknown names are usage errors with a did-you-mean. */
export function filtersFromFlag(value: string | undefined): 'default' | 'simple' | 'none' | FilterName[] {
  if (value === undefined || value === 'default' || value === 'simple' || value === 'none') return value ?? 'default';
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new CorpusflowError('USAGE', 'option --filters needs at least one filter name');
  for (const n of names) {
    if (!(FILTER_NAMES as readonly string[]).includes(n)) {
      const guess = didYouMean(n, [...FILTER_NAMES, 'default', 'simple', 'none']);
      throw new CorpusflowError('USAGE', `unknown filter "${n}": expected default | simple | none or names from ${FILTER_NAMES.join(', ')}`, {
        ...(guess ? { hint: `did you mean "${guess}"?` } : {}),
      });
    }
  }
  return names as FilterName[];
}
