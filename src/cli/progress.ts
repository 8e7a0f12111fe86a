/**
 * Progress for long runs: on a terminal, one line redrawn in place (a bar,
 * docs/s, loss, epoch, ETA); anywhere else (CI logs, files), plain
 * timestamped lines now and then, because carriage returns make logs unreadable.
 */
import type { Writable } from 'node:stream';
import { formatCount } from './summary.js';

export interface ProgressState {
  phase: string;
  /** 0..1 of the whole phase, when known. */
  fraction?: number;
  epoch?: number;
  epochs?: number;
  docsPerSecond?: number;
  loss?: number;
  /** Seconds left, when known. */
  eta?: number;
  /** Extra words, e.g. "1,200 docs". */
  detail?: string;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

function parts(s: ProgressState): string[] {
  const out: string[] = [];
  if (s.epoch !== undefined && s.epochs !== undefined) out.push(`epoch ${s.epoch}/${s.epochs}`);
  if (s.docsPerSecond !== undefined && s.docsPerSecond > 0) out.push(`${formatCount(s.docsPerSecond)} docs/s`);
  if (s.loss !== undefined && Number.isFinite(s.loss)) out.push(`loss ${s.loss.toFixed(2)}`);
  if (s.detail) out.push(s.detail);
  if (s.eta !== undefined && Number.isFinite(s.eta)) out.push(`ETA ${formatDuration(s.eta)}`);
  return out;
}

export class Progress {
  private last = 0;
  private drawn = false;
  private readonly started = Date.now();

  /**
   * @param stream where progress goes (stderr, so stdout stays data).
   * @param tty redraw one line in place (true) or print log lines (false).
   * @param intervalMs least time between two outputs (log lines or redraws).
   */
  constructor(
    private readonly stream: Writable & { columns?: number },
    readonly tty: boolean,
    private readonly intervalMs = tty ? 100 : 10_000,
  ) {}

  /** Show the state, unless the previous output was less than the interval ago (`force` shows it anyway). */
  update(state: ProgressState, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    if (this.tty) {
      // a pseudo-terminal may report 0 columns: treat it as unknown
      const cols = this.stream.columns || 120;
      const info = `${parts(state).join(' · ')}`;
      const room = cols - 1 - state.phase.length - info.length - 8;
      let bar = '';
      if (state.fraction !== undefined && room >= 5) {
        const width = Math.min(30, room);
        const f = Math.min(1, Math.max(0, state.fraction));
        const full = Math.round(f * width);
        bar = `[${'█'.repeat(full)}${'░'.repeat(width - full)}] `;
      }
      const pct = state.fraction !== undefined ? `${String(Math.floor(Math.min(1, Math.max(0, state.fraction)) * 100)).padStart(3)}% ` : '';
      let line = `${state.phase} ${bar}${pct}${info}`.trimEnd();
      if (line.length > cols - 1) line = line.slice(0, Math.max(1, cols - 2)) + '…';
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      const pct = state.fraction !== undefined ? ` ${Math.floor(Math.min(1, state.fraction) * 100)}%` : '';
      this.stream.write(`[${formatDuration((now - this.started) / 1000)}] ${state.phase}${pct}${parts(state).length ? ': ' + parts(state).join(', ') : ''}\n`);
    }
  }

  /** Print a line of its own (clearing the progress line first on a terminal). */
  log(line: string): void {
    this.clear();
    this.stream.write(line + '\n');
  }

  /** Remove the progress line (terminal) before other output. */
  clear(): void {
    if (this.tty && this.drawn) {
      this.stream.write('\r\x1b[2K');
      this.drawn = false;
    }
  }
}
