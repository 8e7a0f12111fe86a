/**
 * Dotted-path field access (`payload.body`), the way users name the text and
 * id fields of nested records.
 */

/** A parsed dotted path: its segments, kept with the original spelling for messages. */
export interface FieldPath {
  /** As the user wrote it, e.g. `payload.body`. */
  readonly path: string;
  readonly segments: readonly string[];
}

/**
 * Split a dotted path into segments. An exact top-level key wins over the
 * dotted reading (`{"a.b": 1}` is found by `a.b`), so flat records whose keys
 * contain dots still work.
 *
 * @param path Field name or dotted path; must be non-empty with no empty segment.
 * @return The parsed path, or `undefined` when it is malformed.
 */
export function parseFieldPath(path: string): FieldPath | undefined {
  if (typeof path !== 'string' || path.length === 0) return undefined;
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0)) return undefined;
  return { path, segments };
}

/**
 * Read a field by dotted path.
 *
 * ## Example
 * ```ts
 * import { getField, parseFieldPath } from 'corpusflow';
 * getField({ payload: { body: 'hi' } }, parseFieldPath('payload.body')!); // 'hi'
 * ```
 *
 * @param record Any parsed value; non-objects have no fields.
 * @param field The parsed path.
 * @return The value, or `undefined` when any segment is missing.
 */
export function getField(record: unknown, field: FieldPath): unknown {
  if (typeof record !== 'object' || record === null) return undefined;
  // Own properties only: `toString` must not find Object.prototype.toString.
  const own = Object.prototype.hasOwnProperty;
  const flat = own.call(record, field.path) ? (record as Record<string, unknown>)[field.path] : undefined;
  if (flat !== undefined || field.segments.length === 1) return flat;
  let value: unknown = record;
  for (const segment of field.segments) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!own.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
