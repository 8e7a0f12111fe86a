import type { Observable } from 'rxjs';
import type { ErrorCode } from '../errors.js';

/** A document id: the record's id field, or its 1-based running record number when it has none. */
export type DocId = string | number;

/** What every source emits: an id, the text, and the record's other fields (when the format has any). */
export interface Document {
  id: DocId;
  text: string;
  [field: string]: unknown;
}

/** What preprocessing emits: the document's id and other fields, with `tokens` in place of `text`. */
export interface TokenizedDocument {
  id: DocId;
  tokens: string[];
  [field: string]: unknown;
}

/** What to do with a bad record: stop with its error (default), or count it, dead-letter it and go on. */
export type OnError = 'fail' | 'skip';

/** Running counters of one subscription (one epoch) of a source. */
export interface SourceStats {
  /** Records read, good or bad. */
  records: number;
  /** Documents emitted downstream. */
  emitted: number;
  /** Records skipped under on_error: skip. */
  skipped: number;
  /** Skipped records per error code. */
  skippedByCode: Partial<Record<ErrorCode, number>>;
  /** Bytes consumed from the underlying file (compressed bytes for .gz), for progress and ETA. */
  bytesRead: number;
  /** Total bytes of the underlying file(s) when known. */
  bytesTotal?: number;
}

/** A cold, re-subscribable Observable of documents; each subscription reads from the start (one epoch). */
export interface Source<T = Document> extends Observable<T> {
  /** Counters of the most recent subscription. */
  readonly stats: SourceStats;
  /** One-line description for `inspect` / summaries, e.g. `ndjson(data/x.ndjson.gz)`. */
  readonly description: string;
}
