/**
 * What a command runs against: its streams, environment and working
 * directory. Passing these in (instead of reaching for `process`) lets tests
 * run commands in-process and keeps commands honest about their I/O.
 */
import type { Readable, Writable } from 'node:stream';
import type { CommandSpec, ParsedArgs } from './args.js';

export interface CliContext {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT / SIGTERM; long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
}

/** A command: its declaration (flags, help) and what it does. Resolves to the exit code. */
export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, ctx: CliContext): Promise<number>;
}

/** Exit codes, as documented in every --help. */
export const EXIT = { ok: 0, pipelineError: 1, usageError: 2 } as const;
