/**
 * Resolved source and preprocess settings -> the library's source and
 * operator. Shared by pipeline runs and the `preprocess` / `dictionary` /
 * `infer` CLI stages, so a flag and a pipeline key mean exactly the same thing.
 */
import type { OperatorFunction } from 'rxjs';
import { ndjsonSource } from '../sources/ndjson.js';
import type { PullSource } from '../sources/pull.js';
import type { Document, TokenizedDocument } from '../sources/types.js';
import { preprocess } from '../preprocess/operator.js';
import { CorpusflowError } from '../errors.js';
import type { FilterName } from './schema.js';
import type { ResolvedSource } from './resolve.js';

/** A source as the CLI uses it: an Observable of documents with stats and the flow control async stages share. */
export type CliSource = PullSource;

/**
 * Create the source a resolved config describes.
 *
 * @param spec Kind, path and options (paths already absolute).
 * @return A cold, re-subscribable source.
 */
export async function createSource(spec: ResolvedSource): Promise<CliSource> {
  const common = {
    text: spec.textField,
    ...(spec.idField !== undefined ? { id: spec.idField } : {}),
    onError: spec.onError,
    ...(spec.deadLetter !== undefined ? { deadLetter: spec.deadLetter } : {}),
    ...(spec.maxLineBytes !== undefined ? { maxLineBytes: spec.maxLineBytes } : {}),
  };
  switch (spec.kind) {
    case 'ndjson':
      return ndjsonSource(spec.path, common);
    case 'csv': {
      const { csvSource } = (await importOptional('../sources/csv.js', 'csv')) as { csvSource: (p: string, o: object) => CliSource };
      return csvSource(spec.path, {
        ...common,
        ...(spec.delimiter !== undefined ? { delimiter: spec.delimiter } : {}),
        ...(spec.header !== undefined ? { columns: spec.header } : {}),
      });
    }
    case 'text':
    case 'files': {
      const { textSource } = (await importOptional('../sources/text.js', spec.kind)) as { textSource: (p: string, o: object) => CliSource };
      const { text: _text, id: _id, ...rest } = common;
      return textSource(spec.path, { ...rest, mode: spec.kind === 'files' ? 'files' : 'lines' });
    }
  }
}

// The csv and text sources are optional at build time; a variable specifier keeps tsc from resolving them.
async function importOptional(specifier: string, kind: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (e) {
    throw new CorpusflowError('INVALID_OPTION', `the ${kind} source is not available in this build`, { cause: e });
  }
}

/**
 * The preprocess operator for a config value: a preset name or a list of gensim filter names.
 *
 * @param spec 'default' | 'simple' | 'none' | filter names.
 */
export function createPreprocess(spec: 'default' | 'simple' | 'none' | readonly FilterName[]): OperatorFunction<Document, TokenizedDocument> {
  return preprocess({ filters: typeof spec === 'string' ? spec : [...spec] });
}
