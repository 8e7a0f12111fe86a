/**
 * The `corpusflow` command line: dispatch to one command per file, turn
 * errors into one-line messages and documented exit codes
 * (0 ok, 1 pipeline error, 2 usage or config error).
 */
import { readFileSync } from 'node:fs';
import { CorpusflowError, isCorpusflowError } from '../errors.js';
import { didYouMean } from '../config/did-you-mean.js';
import { formatHelp, parseArgs } from './args.js';
import { EXIT, type CliContext, type Command } from './context.js';
import { dictionaryCommand } from './dictionary.js';
import { inspectCommand } from './inspect.js';
import { preprocessCommand } from './preprocess.js';
import { runCommand } from './run.js';
import { inferCommand } from './infer.js';
import { evaluateCommand } from './evaluate.js';
import { validateCommand } from './validate.js';

/** Every command, in the order --help lists them. */
export const COMMANDS: readonly Command[] = [runCommand, validateCommand, inspectCommand, preprocessCommand, dictionaryCommand, inferCommand, evaluateCommand];

const USAGE_CODES = new Set(['USAGE', 'CONFIG_INVALID', 'INVALID_OPTION']);

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'Usage: corpusflow <command> [options]',
    '',
    'Stream text corpora through gensim-identical preprocessing and dictionaries into TensorFlow.js topic models.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    'Run `corpusflow <command> --help` for its options and examples.',
    '',
    'Examples:',
    '  corpusflow run pipelines/quickstart.yaml',
    '  corpusflow validate pipelines/quickstart.yaml',
    '  corpusflow preprocess --input corpus.ndjson.gz > tokens.ndjson',
    '',
    'Exit codes: 0 ok, 1 pipeline error, 2 usage or config error.',
    '',
  ].join('\n');
}

/**
 * Run the CLI.
 *
 * @param argv Arguments after `corpusflow` (process.argv.slice(2)).
 * @param ctx Streams, env and cwd; defaults to the process's.
 * @return The exit code.
 */
export async function main(argv: readonly string[], ctx?: Partial<CliContext>): Promise<number> {
  const controller = new AbortController();
  const c: CliContext = {
    stdin: ctx?.stdin ?? process.stdin,
    stdout: ctx?.stdout ?? process.stdout,
    stderr: ctx?.stderr ?? process.stderr,
    env: ctx?.env ?? process.env,
    cwd: ctx?.cwd ?? process.cwd(),
    signal: ctx?.signal ?? controller.signal,
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? c.stderr : c.stdout).write(topHelp());
    return name === undefined ? EXIT.usageError : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    c.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((cmd) => cmd.spec.name === name);
  const verbose = rest.includes('--verbose') || rest.includes('-v');
  try {
    if (!command) {
      const guess = didYouMean(name, COMMANDS.map((cmd) => cmd.spec.name));
      throw new CorpusflowError('USAGE', `unknown command "${name}"`, { hint: guess ? `did you mean "${guess}"?` : 'see: corpusflow --help' });
    }
    const args = parseArgs(rest, command.spec);
    if (args.flags.help) {
      c.stdout.write(formatHelp(command.spec));
      return EXIT.ok;
    }
    return await command.run(args, c);
  } catch (e) {
    return reportError(e, c, verbose, command?.spec.name);
  }
}

/** Print one line (or the stack with --verbose) and pick the exit code. */
export function reportError(e: unknown, ctx: CliContext, verbose: boolean, command?: string): number {
  const prefix = `corpusflow${command ? ` ${command}` : ''}: `;
  if (isCorpusflowError(e)) {
    ctx.stderr.write(prefix + e.message + '\n');
    if (verbose && e.stack) ctx.stderr.write(e.stack + '\n');
    return USAGE_CODES.has(e.code) ? EXIT.usageError : EXIT.pipelineError;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  ctx.stderr.write(prefix + err.message.split('\n')[0] + (verbose ? '' : ' (run with --verbose for details)') + '\n');
  if (verbose && err.stack) ctx.stderr.write(err.stack + '\n');
  return EXIT.pipelineError;
}
