/** One-line summaries on stderr that stages print when they finish. */
import type { Observable } from 'rxjs';
import type { SourceStats } from '../sources/types.js';
import type { CliContext } from './context.js';

/** Tell the user how many bad records were skipped (stdout is data, so this goes to stderr). */
export function reportSkipped(source: { stats: SourceStats; description: string }, ctx: CliContext): void {
  const s = source.stats;
  if (s.skipped === 0) return;
  const byCode = Object.entries(s.skippedByCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  ctx.stderr.write(`corpusflow: skipped ${s.skipped} of ${s.records} records (${byCode})\n`);
}

/** 12,345 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * Run an observable to completion. Resolves on complete, or early (unsubscribing, which stops the
 * source and closes its file) when `signal` aborts or `stop()` turns true; rejects on error.
 */
export function consume<T>(observable: Observable<T>, signal?: AbortSignal, stop?: () => boolean, onValue?: (v: T) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return resolve();
    let stopped = false;
    let subscription: { unsubscribe(): void } | undefined;
    const finish = (error?: unknown) => {
      if (stopped) return;
      stopped = true;
      signal?.removeEventListener('abort', onAbort);
      subscription?.unsubscribe();
      if (error !== undefined) reject(error);
      else resolve();
    };
    const onAbort = () => finish();
    signal?.addEventListener('abort', onAbort, { once: true });
    subscription = observable.subscribe({
      next: (v) => {
        if (stopped) return;
        onValue?.(v);
        if (stop?.()) finish();
      },
      error: (e) => finish(e ?? new Error('unknown error')),
      complete: () => finish(),
    });
    // it may have finished while subscribing (synchronous sources)
    if (stopped) subscription.unsubscribe();
  });
}
