/**
 * Reading pipeline files: YAML or JSON text -> validated config, with every
 * error pointing at the key path, line and column it is about.
 *
 * Why the `yaml` package's Document API instead of a plain parse: the
 * document keeps each node's source range, so a zod issue path such as
 * `dictionary.no_below` can be mapped back to `pipeline.yaml:7:15`.
 * Parsing executes nothing: the core schema has no custom tags, and an
 * unknown tag (`!!js/function`) is an error rather than a silently kept string.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML, { isMap, isPair, isScalar, isSeq, LineCounter, type Document as YamlDocument, type Node as YamlNode } from 'yaml';
import { CorpusflowError, type ErrorPosition } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import { crossFieldIssues, pipelineSchema, type PipelineConfig } from './schema.js';

export interface LoadOptions {
  /** `key.path=value` overrides, applied before validation; values are parsed as YAML scalars. */
  set?: readonly string[];
  /** Variables for `${VAR}` interpolation; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Directory that relative paths from `set` resolve against; defaults to process.cwd(). */
  cwd?: string;
}

/** A validated pipeline: the config with paths made absolute, plus where it came from. */
export interface LoadedPipeline {
  config: PipelineConfig;
  /** The pipeline file as given, for messages. */
  file: string;
  /** Directory that relative paths in the file were resolved against. */
  baseDir: string;
}

/** The outcome of validating a pipeline text: either a config or every problem found (never both). */
export type ValidationResult =
  | { ok: true; pipeline: LoadedPipeline; errors: [] }
  | { ok: false; errors: CorpusflowError[] };

type PathSeg = string | number;

/**
 * Read, interpolate, override and validate a pipeline file.
 *
 * Like a customs check for a job description: every key is checked against
 * the schema before anything runs, and a problem is reported with where it is.
 *
 * ## Example
 * ```ts
 * import { loadPipeline } from 'corpusflow';
 * const { config } = await loadPipeline('pipelines/quickstart.yaml', { set: ['train.epochs=5'] });
 * ```
 *
 * @param file YAML or JSON pipeline file; relative paths inside it resolve against its directory.
 * @param options `set` overrides, `env` for `${VAR}`, `cwd` for paths given with `set`.
 * @return the validated config with absolute paths.
 * @throws CorpusflowError CONFIG_INVALID (the first problem; `validatePipelineFile` lists all), FILE_NOT_FOUND.
 */
export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  const result = await validatePipelineFile(file, options);
  if (!result.ok) throw result.errors[0]!;
  return result.pipeline;
}

/**
 * Like `loadPipeline` but collects every problem instead of throwing the first; a missing file is still thrown.
 *
 * ## Example
 * ```ts
 * import { validatePipelineFile } from 'corpusflow';
 * const result = await validatePipelineFile('pipeline.yaml');
 * if (!result.ok) for (const e of result.errors) console.error(e.message); // p.yaml:4:3, field "dictionary.no_bellow": ...
 * ```
 *
 * @param file the pipeline file.
 * @param options as `loadPipeline`.
 * @return `{ok: true, pipeline}` or `{ok: false, errors}` in file order.
 */
export async function validatePipelineFile(file: string, options: LoadOptions = {}): Promise<ValidationResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR';
    throw new CorpusflowError(code, code === 'FILE_NOT_FOUND' ? 'pipeline file not found' : `cannot read pipeline file: ${(e as Error).message}`, {
      position: { file },
      cause: e,
    });
  }
  return validatePipelineText(text, file, options);
}

/**
 * Validate pipeline text (YAML or JSON) as if read from `file` (used for positions and relative paths).
 *
 * ## Example
 * ```ts
 * import { validatePipelineText } from 'corpusflow';
 * validatePipelineText('source: { ndjson: a.ndjson }\nbatch: { size: "x" }\n', 'p.yaml').errors[0].message;
 * // 'p.yaml:2:16, field "batch.size": expected number, found string "x" [CONFIG_INVALID]'
 * ```
 *
 * @param text the file's contents.
 * @param file the name used in messages and as the base of relative paths.
 * @param options as `loadPipeline`.
 * @return the validation result.
 */
export function validatePipelineText(text: string, file: string, options: LoadOptions = {}): ValidationResult {
  // yaml composes nested flow collections recursively: a hostile file nested thousands deep can exhaust
  // the stack (seen as a V8 abort, not an exception), so refuse it before parsing. No real pipeline nests past a few levels.
  const tooDeep = flowNestingBeyond(text, MAX_FLOW_DEPTH);
  if (tooDeep !== -1) {
    const before = text.slice(0, tooDeep);
    const line = before.split('\n').length;
    const column = tooDeep - before.lastIndexOf('\n');
    const error = new CorpusflowError('CONFIG_INVALID', `invalid YAML: collections nested more than ${MAX_FLOW_DEPTH} deep`, { position: { file, line, column } });
    return { ok: false, errors: [error] };
  }
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, schema: 'core', uniqueKeys: true, prettyErrors: false, strict: true });
  const errors: CorpusflowError[] = [];
  const at = (offset: number | undefined, field?: string): ErrorPosition => {
    const pos: ErrorPosition = { file };
    if (offset !== undefined) {
      const lp = lineCounter.linePos(offset);
      pos.line = lp.line;
      pos.column = lp.col;
    }
    if (field !== undefined && field !== '') pos.field = field;
    return pos;
  };

  // only the first syntax error: the parser's later ones are mostly echoes of it
  for (const e of [...doc.errors, ...doc.warnings].slice(0, 1)) {
    const reason = e.code === 'TAG_RESOLVE_FAILED' ? `unsupported YAML tag: ${firstLine(e.message)}` : `invalid YAML: ${firstLine(e.message)}`;
    errors.push(new CorpusflowError('CONFIG_INVALID', reason, { position: at(e.pos[0]) }));
  }
  if (errors.length) return { ok: false, errors };
  if (doc.contents !== null && !isMap(doc.contents)) {
    errors.push(new CorpusflowError('CONFIG_INVALID', `expected a mapping of pipeline keys at the top level, found ${describeNode(doc.contents)}`, { position: at(doc.contents.range?.[0]) }));
    return { ok: false, errors };
  }

  interpolateEnv(doc, options.env ?? process.env, (reason, node, hint) =>
    errors.push(new CorpusflowError('CONFIG_INVALID', reason, { position: at(node.range?.[0], keyPathOf(doc, node)), ...(hint ? { hint } : {}) })),
  );

  const fromSet = new Set<string>();
  for (const assignment of options.set ?? []) {
    const applied = applySet(doc, assignment);
    if (typeof applied === 'string') fromSet.add(applied);
    else errors.push(applied);
  }

  // yaml throws (not reports) when aliases would expand past the cap: a billion-laughs file.
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    const reason = `invalid YAML: ${firstLine(e instanceof Error ? e.message : String(e))}`;
    errors.push(new CorpusflowError('CONFIG_INVALID', reason, { position: at(doc.contents?.range?.[0]), hint: 'aliases may expand to at most 100 nodes' }));
    return { ok: false, errors };
  }
  const parsed = pipelineSchema.safeParse(data);
  const located = (p: readonly PathSeg[], reason: string, hint?: string, onKey = false): CorpusflowError => {
    const key = formatKeyPath(p);
    const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + '.') || inner.startsWith(outer + '[');
    const origin = [...fromSet].some((s) => within(key, s) || within(s, key));
    const node = locate(doc, p, onKey);
    const pos = origin ? { file: `--set ${key}`, field: key } : at(node?.range?.[0], key);
    return new CorpusflowError('CONFIG_INVALID', reason, { position: pos, ...(hint ? { hint } : {}) });
  };
  if (!parsed.success) {
    for (const issue of parsed.error.issues) for (const d of describeIssue(issue as unknown as AnyIssue, data)) errors.push(located(d.path, d.reason, d.hint, d.onKey));
    return { ok: false, errors: sortByPosition(errors) };
  }
  for (const c of crossFieldIssues(parsed.data)) errors.push(located(c.path, c.reason, c.hint));
  if (errors.length) return { ok: false, errors: sortByPosition(errors) };

  const baseDir = path.dirname(path.resolve(file));
  const config = resolvePaths(parsed.data, baseDir, options.cwd ?? process.cwd(), fromSet);
  return { ok: true, pipeline: { config, file, baseDir }, errors: [] };
}

// ---------------------------------------------------------------------------
// zod issues -> (path, reason, hint)

interface Described {
  path: PathSeg[];
  reason: string;
  hint?: string;
  /** Point at the key rather than the value (unknown keys). */
  onKey?: boolean;
}

// zod/v4's issue type is a wide union; the fields we read are checked at run time.
type AnyIssue = { code: string; path: PropertyKey[]; message: string; [k: string]: unknown };

function describeIssue(issue: AnyIssue, root: unknown, prefix: PathSeg[] = []): Described[] {
  const p = [...prefix, ...(issue.path as PathSeg[])];
  const found = valueAt(root, p);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(p);
      return (issue.keys as string[]).map((k) => {
        const guess = didYouMean(k, allowed);
        return {
          path: [...p, k],
          reason: `unknown key "${k}"${allowed.length ? `: expected one of ${allowed.join(' | ')}` : ''}`,
          ...(guess ? { hint: `did you mean "${guess}"?` } : {}),
          onKey: true,
        };
      });
    }
    case 'invalid_type': {
      if (found.present === false) return [{ path: p, reason: `missing required key "${String(p[p.length - 1])}": expected ${article(issue.expected as string)}, found nothing` }];
      return [{ path: p, reason: `expected ${issue.expected as string}, found ${describeValue(found.value)}` }];
    }
    case 'invalid_value': {
      const values = (issue.values as unknown[]).map((v) => String(v));
      const what = p.length >= 1 && (p[0] === 'preprocess') && typeof p[p.length - 1] === 'number' ? 'unknown filter' : 'invalid value';
      const guess = typeof found.value === 'string' ? didYouMean(found.value, values) : undefined;
      return [{ path: p, reason: `${what} ${typeof found.value === 'string' ? JSON.stringify(found.value) : describeValue(found.value)}: expected one of ${values.join(' | ')}`, ...(guess ? { hint: `did you mean "${guess}"?` } : {}) }];
    }
    case 'too_small':
    case 'too_big': {
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const origin = issue.origin as string;
      const bound = String(issue.minimum ?? issue.maximum);
      const expected =
        origin === 'array' ? `a list with ${op} ${bound} items` : origin === 'string' ? `a string of length ${op} ${bound}` : `a number ${op} ${bound}`;
      return [{ path: p, reason: `expected ${expected}, found ${describeValue(found.value)}` }];
    }
    case 'invalid_format':
    case 'not_multiple_of':
      return [{ path: p, reason: `${issue.message}, found ${describeValue(found.value)}` }];
    case 'invalid_union': {
      // Report the branch whose type matches what was written (a list of filters vs a preset name);
      // when no branch's type matches, say which types were expected.
      const branches = issue.errors as AnyIssue[][];
      // the type a branch wanted at the union's own level, when what was written isn't of that type
      const typeMiss = (i: AnyIssue): string | undefined => {
        if (i.path.length !== 0) return undefined;
        if (i.code === 'invalid_type') return i.expected as string;
        const values = i.code === 'invalid_value' ? (i.values as unknown[]) : [];
        return values.length && !values.some((v) => typeof v === typeof found.value) ? typeof values[0] : undefined;
      };
      const matching = branches.filter((b) => !b.some((i) => typeMiss(i) !== undefined));
      if (matching.length > 0) {
        const best = matching.reduce((a, b) => (depth(b) > depth(a) ? b : a));
        return best.flatMap((i) => describeIssue(i, root, p));
      }
      const types = [...new Set(branches.flatMap((b) => b.map(typeMiss).filter((x): x is string => x !== undefined)))];
      if (found.present === false) return [{ path: p, reason: `missing required key "${String(p[p.length - 1])}": expected ${types.join(' or ')}` }];
      return [{ path: p, reason: `expected ${types.join(' or ')}, found ${describeValue(found.value)}` }];
    }
    default:
      return [{ path: p, reason: issue.message }];
  }
}

function depth(issues: AnyIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function valueAt(root: unknown, p: readonly PathSeg[]): { present: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object' || !(seg in (cur as object))) return { present: false };
    cur = (cur as Record<PathSeg, unknown>)[seg];
  }
  return { present: cur !== undefined, value: cur };
}

/** `expected number, found string "abc"`: the type and a short rendering of what the user wrote. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)}`;
  return `${typeof v} ${String(v)}`;
}

function describeNode(n: YamlNode): string {
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return describeValue(n.value);
  return 'a value';
}

/** `preprocess[1]`, `dictionary.no_below`: the key path as users write it in --set. */
export function formatKeyPath(p: readonly PathSeg[]): string {
  let s = '';
  for (const seg of p) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}

/** The keys the schema allows at an object path, for did-you-mean. */
function allowedKeysAt(p: readonly PathSeg[]): string[] {
  let schemas: any[] = [pipelineSchema];
  for (const seg of p) {
    const next: any[] = [];
    for (const s of schemas.flatMap(unwrap)) {
      const def = s._zod.def;
      if (def.type === 'object' && typeof seg === 'string' && def.shape[seg]) next.push(def.shape[seg]);
      if (def.type === 'array' && typeof seg === 'number') next.push(def.element);
    }
    schemas = next;
  }
  const keys = new Set<string>();
  for (const s of schemas.flatMap(unwrap)) if (s._zod.def.type === 'object') for (const k of Object.keys(s._zod.def.shape)) keys.add(k);
  keys.delete('$schema');
  return [...keys];
}

function unwrap(s: any): any[] {
  const def = s._zod.def;
  if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') return unwrap(def.innerType);
  if (def.type === 'union') return def.options.flatMap(unwrap);
  if (def.type === 'pipe') return unwrap(def.in);
  return [s];
}

// ---------------------------------------------------------------------------
// positions

/** The YAML node a key path refers to: the value node, or the key node when `onKey`; the nearest existing ancestor when the path is missing. */
function locate(doc: YamlDocument, p: readonly PathSeg[], onKey: boolean): YamlNode | undefined {
  let node: unknown = doc.contents;
  let keyNode: YamlNode | undefined;
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && (isScalar(it.key) ? it.key.value : it.key) === seg);
      if (!pair) return keyNode ?? (node as YamlNode);
      keyNode = isScalar(pair.key) ? pair.key : (node as YamlNode);
      node = pair.value ?? keyNode;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      keyNode = node.items[seg] as YamlNode;
      node = node.items[seg];
    } else {
      return (node as YamlNode | undefined) ?? keyNode;
    }
  }
  return onKey ? keyNode : ((node as YamlNode | undefined) ?? keyNode);
}

function keyPathOf(doc: YamlDocument, target: YamlNode): string {
  const found: PathSeg[] = [];
  const walk = (node: unknown, trail: PathSeg[]): boolean => {
    if (node === target) {
      found.push(...trail);
      return true;
    }
    if (isMap(node)) return node.items.some((it) => walk(it.value, [...trail, String(isScalar(it.key) ? it.key.value : it.key)]));
    if (isSeq(node)) return node.items.some((it, i) => walk(it, [...trail, i]));
    return false;
  };
  walk(doc.contents, []);
  return formatKeyPath(found);
}

function sortByPosition(errors: CorpusflowError[]): CorpusflowError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.position.line ?? Infinity) - (b.e.position.line ?? Infinity) || (a.e.position.column ?? 0) - (b.e.position.column ?? 0) || a.i - b.i)
    .map((x) => x.e);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

// ---------------------------------------------------------------------------
// ${ENV} interpolation and --set

const ENV_PATTERN = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replace `${VAR}` / `${VAR:-default}` in string values (never keys, never
 * YAML syntax: interpolation happens after parsing, so a variable can't inject
 * structure). `$$` is a literal `$`.
 */
export function interpolateString(s: string, env: Record<string, string | undefined>, onMissing: (name: string) => void): string {
  return s.replace(ENV_PATTERN, (m, name: string | undefined, fallback: string | undefined) => {
    if (m === '$$') return '$';
    const v = env[name!];
    // like the shell: `:-` also replaces an empty value
    if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
    if (v !== undefined) return v;
    onMissing(name!);
    return m;
  });
}

function interpolateEnv(doc: YamlDocument, env: Record<string, string | undefined>, report: (reason: string, node: YamlNode, hint?: string) => void): void {
  YAML.visit(doc, {
    Pair(_, pair) {
      const v = pair.value;
      if (isScalar(v) && typeof v.value === 'string' && v.value.includes('$')) {
        v.value = interpolateString(v.value, env, (name) =>
          report(`environment variable ${name} is not set`, v, `set it, or give a default: \${${name}:-value}`),
        );
      }
    },
    Seq(_, seq) {
      for (const v of seq.items) {
        if (isScalar(v) && typeof v.value === 'string' && v.value.includes('$')) {
          v.value = interpolateString(v.value, env, (name) => report(`environment variable ${name} is not set`, v, `set it, or give a default: \${${name}:-value}`));
        }
      }
    },
  });
}

/** Apply one `a.b[0]=value` (or `a.b.0=value`) override; returns the normalised key path, or an error. */
function applySet(doc: YamlDocument, assignment: string): string | CorpusflowError {
  const eq = assignment.indexOf('=');
  const usage = (reason: string) => new CorpusflowError('USAGE', reason, { position: { field: assignment.slice(0, Math.max(0, eq)) || assignment }, hint: 'use --set key.path=value, e.g. --set train.epochs=5' });
  if (eq <= 0) return usage(`invalid --set "${assignment}": expected key.path=value`);
  const keyText = assignment.slice(0, eq).trim();
  const segs: PathSeg[] = [];
  for (const part of keyText.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && !m[2])) return usage(`invalid --set key "${keyText}"`);
    if (m[1]) segs.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) segs.push(Number(idx[1]));
  }
  let value: unknown;
  try {
    value = YAML.parse(assignment.slice(eq + 1), { schema: 'core', strict: true });
  } catch (e) {
    return usage(`invalid --set value for ${keyText}: ${firstLine((e as Error).message)}`);
  }
  // numeric segments index lists; on a mapping they're keys named by digits
  const normalised: PathSeg[] = [];
  let parent: unknown = doc.contents;
  for (const seg of segs) {
    const asKey = typeof seg === 'number' && !isSeq(parent) ? String(seg) : seg;
    normalised.push(asKey);
    parent = isMap(parent) || isSeq(parent) ? parent.get(asKey as never, true) : undefined;
  }
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  try {
    doc.setIn(normalised, doc.createNode(value));
  } catch (e) {
    return usage(`cannot set ${keyText}: ${firstLine((e as Error).message)}`);
  }
  return formatKeyPath(normalised);
}

// ---------------------------------------------------------------------------
// relative paths

function resolvePaths(cfg: PipelineConfig, baseDir: string, cwd: string, fromSet: Set<string>): PipelineConfig {
  const abs = (key: string, p: string): string => {
    if (p === '-' || path.isAbsolute(p)) return p;
    return path.resolve(fromSet.has(key) ? cwd : baseDir, p);
  };
  const source = { ...cfg.source };
  for (const k of ['ndjson', 'csv', 'files', 'dead_letter'] as const) {
    const v = source[k];
    if (v !== undefined) source[k] = abs(`source.${k}`, v);
  }
  // `text` is a file only when it is the source itself (no ndjson/csv/files)
  if (source.text !== undefined && source.ndjson === undefined && source.csv === undefined && source.files === undefined) {
    source.text = abs('source.text', source.text);
  }
  let output = cfg.output;
  if (typeof output === 'string') output = abs('output', output);
  else if (output) output = { ...output, dir: fromSet.has('output') ? abs('output', output.dir) : abs('output.dir', output.dir) };
  return { ...cfg, source, ...(output !== undefined ? { output } : {}) };
}

const MAX_FLOW_DEPTH = 1000;

/** Offset of the first `[`/`{` that opens a flow collection deeper than `limit`, or -1. Skips quoted scalars and comments. */
function flowNestingBeyond(text: string, limit: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x22 || c === 0x27) {
      // a quoted scalar: skip to its closing quote ('' escapes ' in single quotes, \ escapes in double quotes)
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (c === 0x22 && d === 0x5c) i++;
        else if (d === c) {
          if (c === 0x27 && text.charCodeAt(i + 1) === 0x27) i++;
          else break;
        }
      }
    } else if (c === 0x23 && (i === 0 || text.charCodeAt(i - 1) === 0x20 || text.charCodeAt(i - 1) === 0x0a || text.charCodeAt(i - 1) === 0x09)) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    }
  }
  return -1;
}
