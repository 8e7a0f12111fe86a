/**
 * A small argv parser and help formatter shared by every command: each
 * command declares its flags once, and parsing, validation and `--help` all
 * come from that declaration.
 *
 * Deliberately plain: `--flag value`, `--flag=value`, `-h`, `--` ends flags.
 * There is no `--no-<flag>` negation because `--no-below` is a real flag.
 */
import { CorpusflowError } from '../errors.js';
import { didYouMean } from '../config/did-you-mean.js';

export interface FlagSpec {
  type: 'string' | 'number' | 'integer' | 'boolean';
  /** One line for --help. */
  describe: string;
  /** Placeholder shown in --help (`--input FILE`). */
  value?: string;
  /** Allowed values for string flags. */
  choices?: readonly string[];
  /** May be given several times; the values collect into an array. */
  multiple?: boolean;
  /** One-letter alias, without the dash. */
  short?: string;
}

export interface CommandSpec {
  name: string;
  /** One line, shown in the command list. */
  summary: string;
  /** Usage line after `corpusflow <name>`, e.g. `PIPELINE [--set key=value]...`. */
  usage: string;
  /** Paragraphs after the usage line. */
  description?: string;
  flags: Record<string, FlagSpec>;
  /** Names of positional arguments, in order; a trailing `?` marks one optional. */
  positionals: readonly string[];
  examples: readonly string[];
}

export type FlagValue = string | number | boolean | Array<string | number>;

export interface ParsedArgs {
  flags: Record<string, FlagValue | undefined>;
  positionals: string[];
}

/** Flags every command takes. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', short: 'h', describe: 'show this help' },
  verbose: { type: 'boolean', short: 'v', describe: 'print stack traces and more detail' },
};

function usageError(command: string, reason: string, hint?: string): CorpusflowError {
  return new CorpusflowError('USAGE', reason, { hint: hint ?? `see: corpusflow ${command} --help` });
}

/**
 * Parse `argv` (the words after the command name) against a command's spec.
 *
 * @param argv Arguments after the command name.
 * @param spec The command's flags and positionals.
 * @return Flag values by name (absent flags are undefined) and positionals.
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const flags: Record<string, FlagValue | undefined> = {};
  const positionals: string[] = [];
  const all = { ...COMMON_FLAGS, ...spec.flags };
  const byShort = new Map(Object.entries(all).flatMap(([name, f]) => (f.short ? [[f.short, name] as const] : [])));
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (onlyPositionals || word === '-' || !word.startsWith('-')) {
      positionals.push(word);
      continue;
    }
    if (word === '--') {
      onlyPositionals = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      if (eq !== -1) inline = word.slice(eq + 1);
    } else {
      const long = byShort.get(word.slice(1));
      if (!long) throw usageError(spec.name, `unknown option ${word}`);
      name = long;
    }
    const flag = all[name];
    if (!flag) {
      const guess = didYouMean(name, Object.keys(all));
      throw usageError(spec.name, `unknown option --${name}`, guess ? `did you mean --${guess}?` : undefined);
    }
    let value: FlagValue;
    if (flag.type === 'boolean') {
      if (inline === undefined) value = true;
      else if (inline === 'true' || inline === 'false') value = inline === 'true';
      else throw usageError(spec.name, `option --${name} takes no value, got "${inline}"`);
    } else {
      const text = inline ?? argv[++i];
      if (text === undefined) throw usageError(spec.name, `option --${name} needs a value${flag.value ? ` (${flag.value})` : ''}`);
      value = convert(spec.name, name, flag, text);
    }
    if (flag.multiple) flags[name] = [...((flags[name] as Array<string | number> | undefined) ?? []), value as string | number];
    else if (flags[name] !== undefined) throw usageError(spec.name, `option --${name} given twice`);
    else flags[name] = value;
  }
  if (flags.help) return { flags, positionals };
  const required = spec.positionals.filter((p) => !p.endsWith('?'));
  if (positionals.length < required.length) throw usageError(spec.name, `missing ${required[positionals.length]}`);
  if (positionals.length > spec.positionals.length) throw usageError(spec.name, `unexpected argument "${positionals[spec.positionals.length]}"`);
  return { flags, positionals };
}

function convert(command: string, name: string, flag: FlagSpec, text: string): string | number {
  if (flag.type === 'number' || flag.type === 'integer') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || (flag.type === 'integer' && !Number.isInteger(n))) {
      throw usageError(command, `option --${name} expects ${flag.type === 'integer' ? 'an integer' : 'a number'}, got "${text}"`);
    }
    return n;
  }
  if (flag.choices && !flag.choices.includes(text)) {
    const guess = didYouMean(text, flag.choices);
    throw usageError(command, `option --${name} expects one of ${flag.choices.join(' | ')}, got "${text}"`, guess ? `did you mean "${guess}"?` : undefined);
  }
  return text;
}

/** The `--help` text of one command. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`Usage: corpusflow ${spec.name} ${spec.usage}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const all = { ...spec.flags, ...COMMON_FLAGS };
  const rows = Object.entries(all).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.type === 'boolean' ? '' : ` ${f.value ?? (f.choices ? f.choices.join('|') : 'VALUE')}`}`;
    return [left, f.describe + (f.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.min(36, Math.max(...rows.map(([l]) => l.length)) + 2);
  lines.push('', 'Options:');
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}${left.length >= width ? '\n  ' + ' '.repeat(width) : ''}${right}`);
  if (spec.examples.length) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${e}`);
  }
  lines.push('', 'Exit codes: 0 ok, 1 pipeline error, 2 usage or config error.');
  return lines.join('\n') + '\n';
}
