/**
 * Options every source shares, normalised and validated once, up front, and
 * the conversion of one parsed record into a Document.
 */
import { CorpusflowError, invalidOption, type ErrorPosition } from '../errors.js';
import { getField, parseFieldPath, type FieldPath } from './fields.js';
import { FlowControl } from './flow.js';
import type { Document, OnError } from './types.js';

/** Options shared by all sources. */
export interface SourceOptions {
  /** Field (dotted path) holding the document text. Default `'text'`. */
  text?: string;
  /** Field (dotted path) holding the document id. Default `'id'`; records without one get their 1-based record number. */
  id?: string;
  /** What to do with a bad record. Default `'fail'`. */
  onError?: OnError;
  /** NDJSON file receiving one line per skipped record (`onError: 'skip'`); rewritten atomically per subscription. */
  deadLetter?: string;
  /** Longest accepted line in bytes; longer lines are LINE_TOO_LONG and are never buffered whole. Default 16 MiB. */
  maxLineBytes?: number;
  /** Bytes per read from the file. Default 64 KiB. */
  highWaterMark?: number;
  /** Flow control shared with async stages downstream; by default each source has its own (`source.flow`). */
  flow?: FlowControl;
  /** Bound on documents in flight for the source's own flow control (ignored when `flow` is given). Default 64. */
  maxInFlight?: number;
}

export interface NormalisedSourceOptions {
  text: FieldPath;
  id: FieldPath;
  onError: OnError;
  deadLetter: string | undefined;
  maxLineBytes: number;
  highWaterMark: number;
  flow: FlowControl;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

const COMMON_KEYS = ['text', 'id', 'onError', 'deadLetter', 'maxLineBytes', 'highWaterMark', 'flow', 'maxInFlight'];

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalidOption(name, 'a positive integer', value);
  return value;
}

function fieldPath(name: string, value: unknown, fallback: string): FieldPath {
  const parsed = parseFieldPath(value === undefined ? fallback : (value as string));
  if (!parsed) throw invalidOption(name, 'a field name or dotted path like "payload.body"', value);
  return parsed;
}

/**
 * Validate the common options and reject unknown keys (with a suggestion).
 *
 * @param options What the user passed.
 * @param extraKeys Option names the particular source adds.
 */
export function normaliseSourceOptions(options: SourceOptions | undefined, extraKeys: readonly string[] = []): NormalisedSourceOptions {
  const o = (options ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw invalidOption('options', 'an object', options);
  const known = [...COMMON_KEYS, ...extraKeys];
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      const close = known.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
      throw new CorpusflowError('INVALID_OPTION', `Invalid option ${key}: unknown option`, {
        hint: close ? `did you mean "${close}"?` : `known options: ${known.join(', ')}`,
      });
    }
  }
  const onError = o.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'skip') throw invalidOption('onError', '"fail" or "skip"', onError);
  if (o.deadLetter !== undefined && (typeof o.deadLetter !== 'string' || o.deadLetter.length === 0)) {
    throw invalidOption('deadLetter', 'a file path', o.deadLetter);
  }
  if (o.flow !== undefined && !(o.flow instanceof FlowControl)) throw invalidOption('flow', 'a FlowControl', typeof o.flow);
  const maxInFlight = positiveInteger('maxInFlight', o.maxInFlight, 64);
  return {
    text: fieldPath('text', o.text, 'text'),
    id: fieldPath('id', o.id, 'id'),
    onError,
    deadLetter: o.deadLetter as string | undefined,
    maxLineBytes: positiveInteger('maxLineBytes', o.maxLineBytes, DEFAULT_MAX_LINE_BYTES),
    highWaterMark: positiveInteger('highWaterMark', o.highWaterMark, DEFAULT_HIGH_WATER_MARK),
    flow: (o.flow as FlowControl | undefined) ?? new FlowControl({ highWaterMark: maxInFlight }),
  };
}

/**
 * Turn one parsed record into a Document, or the record error explaining why
 * not. The record object is reused (it was just parsed and nobody else holds
 * it), so its other fields travel along without a copy.
 *
 * @param record The parsed record (object from JSON, CSV row object, ...).
 * @param recordNumber 1-based running record number, the id when the record has none.
 * @param options Normalised options (text and id paths).
 * @param position Where the record is, for errors.
 * @param raw The raw record text, for errors and dead letters.
 */
export function recordToDocument(
  record: unknown,
  recordNumber: number,
  options: Pick<NormalisedSourceOptions, 'text' | 'id'>,
  position: ErrorPosition,
  raw: string | undefined,
): Document | CorpusflowError {
  const text = getField(record, options.text);
  if (text === undefined) {
    return new CorpusflowError('MISSING_FIELD', `Record has no text field "${options.text.path}"`, {
      position: { ...position, field: options.text.path },
      raw,
      ...(typeof record !== 'object' || record === null ? { hint: 'each record must be a JSON object' } : {}),
    });
  }
  if (typeof text !== 'string') {
    return new CorpusflowError('INVALID_FIELD_TYPE', `Text field "${options.text.path}" must be a string, got ${describeType(text)}`, {
      position: { ...position, field: options.text.path },
      raw,
    });
  }
  const rawId = getField(record, options.id);
  let id: string | number;
  if (rawId === undefined || rawId === null) id = recordNumber;
  else if (typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId))) id = rawId;
  else {
    return new CorpusflowError('INVALID_FIELD_TYPE', `Id field "${options.id.path}" must be a string or number, got ${describeType(rawId)}`, {
      position: { ...position, field: options.id.path },
      raw,
    });
  }
  if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
    const doc = record as Document;
    doc.id = id;
    doc.text = text;
    return doc;
  }
  return { id, text };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
