/**
 * Resolved source and preprocess settings -> the library's source and
 * operator. Shared by pipeline runs and the `preprocess` / `dictionary` /
 * `infer` CLI stages, so a flag and a pipeline key mean exactly the same thing.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { OperatorFunction } from 'rxjs';
import { csvSource } from '../sources/csv.js';
import { ndjsonSource } from '../sources/ndjson.js';
import { textSource } from '../sources/text.js';
import type { PullSource } from '../sources/pull.js';
import type { Document, TokenizedDocument } from '../sources/types.js';
import { preprocess } from '../preprocess/operator.js';
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
  // the dead-letter file is written atomically next to its final name, so its directory must exist
  if (spec.deadLetter !== undefined) await mkdir(path.dirname(path.resolve(spec.deadLetter)), { recursive: true });
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
      // without a header row, columns are numbered: "2" means the third column
      const column = (c: string | undefined) => (c !== undefined && spec.header === false && /^\d+$/.test(c) ? Number(c) : c);
      const text = spec.textFieldGiven === false && spec.header === false ? undefined : column(spec.textField);
      const id = column(spec.idField);
      return csvSource(spec.path, {
        ...common,
        text,
        id,
        ...(spec.delimiter !== undefined ? { delimiter: spec.delimiter } : {}),
        ...(spec.header !== undefined ? { columns: spec.header } : {}),
      });
    }
    case 'text':
    case 'files': {
      const { text: _text, id: _id, ...rest } = common;
      return textSource(spec.path, { ...rest, mode: spec.kind === 'files' ? 'files' : 'lines' });
    }
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
