/**
 * A source over any iterable or async iterable, for library users whose
 * documents come from code rather than files.
 */
import { CorpusflowError } from '../errors.js';
import { normaliseSourceOptions, recordToDocument, type NormalisedSourceOptions, type SourceOptions } from './options.js';
import { PullSource, type SourceItem } from './pull.js';

/** What {@link fromDocuments} accepts as items: documents, plain strings (the text), or records with text/id fields. */
export type DocumentInput = string | Record<string, unknown>;

/** An iterable, an async iterable, or a function returning a fresh one per subscription. */
export type DocumentsInput<T extends DocumentInput = DocumentInput> =
  | Iterable<T>
  | AsyncIterable<T>
  | (() => Iterable<T> | AsyncIterable<T>);

/** Options of {@link fromDocuments}: the common source options (`maxLineBytes` and `highWaterMark` do not apply). */
export type FromDocumentsOptions = SourceOptions;

/** Items pulled from a synchronous iterable per batch; the core still pulls them one at a time, only when it has credit. */
const SYNC_BATCH = 256;

/**
 * Make a source from documents produced by code.
 *
 * Like a tap on a barrel: the iterable is only asked for the next document
 * when the pipeline is ready for it, so a generator over a database cursor or
 * an API never runs ahead of the consumer.
 *
 * Pass a function returning a fresh iterable to be able to subscribe again
 * (each subscription calls it once). Arrays are re-iterable as they are; a
 * generator object can be consumed only once. Strings become `{ id: n, text }`;
 * objects go through the same `text`/`id` field paths and error policy as file
 * sources (bad items are `MISSING_FIELD` / `INVALID_FIELD_TYPE` with their
 * record number). Objects are copied, never modified.
 *
 * ## Example
 * ```ts
 * import { fromDocuments } from 'corpusflow';
 * const docs = fromDocuments(() => db.cursor('SELECT id, body FROM posts'), { text: 'body' });
 * docs.subscribe((d) => console.log(d.id));
 * ```
 *
 * @param input Iterable, async iterable, or a factory of either.
 * @param options Field paths and error policy.
 * @return A `Source<Document>`.
 */
export function fromDocuments<T extends DocumentInput>(input: DocumentsInput<T>, options: FromDocumentsOptions = {}): PullSource {
  const isFactory = typeof input === 'function';
  if (!isFactory && !isIterable(input) && !isAsyncIterable(input)) {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option input: expected an iterable, an async iterable or a function returning one, got ${typeof input}`);
  }
  const normalised = normaliseSourceOptions(options);
  const description = isFactory ? 'documents(factory)' : Array.isArray(input) ? `documents(array of ${input.length})` : 'documents(iterable)';
  return new PullSource(description, normalised, () => readDocuments(input, normalised));
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

async function* readDocuments<T extends DocumentInput>(input: DocumentsInput<T>, options: NormalisedSourceOptions): AsyncGenerator<Iterable<SourceItem>> {
  const iterable = typeof input === 'function' ? input() : input;
  let recordNumber = 0;
  const convert = (item: unknown): SourceItem => {
    recordNumber++;
    if (typeof item === 'string') return { id: recordNumber, text: item };
    const copy = typeof item === 'object' && item !== null && !Array.isArray(item) ? { ...item } : item;
    return recordToDocument(copy, recordNumber, options, { record: recordNumber }, typeof item === 'object' ? safeStringify(item) : String(item));
  };
  if (isAsyncIterable(iterable)) {
    const iterator = iterable[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield [convert(next.value)];
      }
    } finally {
      await iterator.return?.();
    }
  }
  if (!isIterable(iterable)) {
    throw new CorpusflowError('INVALID_OPTION', `Invalid option input: the factory returned ${typeof iterable}, expected an iterable or async iterable`);
  }
  const iterator = iterable[Symbol.iterator]();
  let finished = false;
  // Lazy batches: an item is taken from the user's iterator only when the core asks for it.
  function* batch(): Generator<SourceItem> {
    for (let i = 0; i < SYNC_BATCH; i++) {
      const next = iterator.next();
      if (next.done) {
        finished = true;
        return;
      }
      yield convert(next.value);
    }
  }
  try {
    while (!finished) yield batch();
  } finally {
    if (!finished) iterator.return?.();
  }
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
