/**
 * A small, deterministic glob: `*` and `?` within one path segment, `**` for
 * any number of directories. Results come in a stable order (entries of each
 * directory sorted by code point, depth first), so epochs and runs agree.
 */
import { opendir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { CorpusflowError } from '../errors.js';

/** Whether a pattern has glob characters. */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** Compile one path segment pattern (`*.txt`, `doc-??`) to a RegExp. Hidden names need an explicit leading dot. */
function segmentMatcher(segment: string): RegExp {
  let source = '';
  for (const ch of segment) {
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const dotOk = segment.startsWith('.');
  return new RegExp(`^${dotOk ? '' : '(?!\\.)'}${source}$`, 's');
}

/** One file found: its path to open, and its path relative to the walk's base (with `/` separators, used as the document id). */
export interface FoundFile {
  path: string;
  relative: string;
}

/**
 * Split `pattern` into the directory to start from and the segments to match.
 * `data/**\/*.txt` starts in `data` and matches `**`, `*.txt`.
 */
export function splitGlob(pattern: string): { base: string; segments: string[] } {
  const normalised = pattern.split(sep).join('/');
  const parts = normalised.split('/');
  const firstMagic = parts.findIndex((p) => hasGlobMagic(p));
  const baseParts = parts.slice(0, firstMagic);
  const base = baseParts.length === 0 ? '.' : baseParts.join('/') || '/';
  return { base, segments: parts.slice(firstMagic).filter((p) => p.length > 0) };
}

async function sortedEntries(dir: string): Promise<Array<{ name: string; isDir: boolean; isFile: boolean }>> {
  const entries: Array<{ name: string; isDir: boolean; isFile: boolean }> = [];
  const handle = await opendir(dir);
  for await (const entry of handle) {
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const s = await stat(join(dir, entry.name)).catch(() => undefined);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    entries.push({ name: entry.name, isDir, isFile });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries;
}

/**
 * Walk files matching a glob, lazily, in a deterministic order.
 *
 * @param pattern A glob such as `corpus/**\/*.txt`.
 * @return Matching regular files, relative paths taken from the part before the first wildcard.
 */
export async function* globFiles(pattern: string): AsyncGenerator<FoundFile> {
  const { base, segments } = splitGlob(pattern);
  const matchers = segments.map((s) => (s === '**' ? '**' : segmentMatcher(s)));
  try {
    await stat(base);
  } catch (e) {
    throw new CorpusflowError('FILE_NOT_FOUND', `No such directory for glob "${pattern}"`, { position: { file: base }, cause: e });
  }
  yield* walk(base, '', matchers, 0);
}

/**
 * Walk every regular file under a directory (hidden names skipped), in a deterministic order.
 *
 * @param dir The directory.
 * @return Files with paths relative to `dir`.
 */
export async function* walkDirectory(dir: string): AsyncGenerator<FoundFile> {
  yield* walk(dir, '', ['**', segmentMatcher('*')], 0);
}

async function* walk(dir: string, relative: string, matchers: Array<RegExp | '**'>, index: number): AsyncGenerator<FoundFile> {
  if (index >= matchers.length) return;
  const matcher = matchers[index]!;
  const isLast = index === matchers.length - 1;
  const entries = await sortedEntries(dir);
  if (matcher === '**') {
    // `**` matching zero directories: try the rest of the pattern here.
    // Then descend into every visible subdirectory, keeping `**` active.
    // To keep the order stable and avoid duplicates, interleave per entry.
    const rest = index + 1;
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (rest === matchers.length) {
        if (entry.isFile && !entry.name.startsWith('.')) yield { path, relative: rel };
      } else {
        const next = matchers[rest]!;
        if (next !== '**' && next.test(entry.name)) {
          if (rest === matchers.length - 1) {
            if (entry.isFile) yield { path, relative: rel };
          } else if (entry.isDir) {
            yield* walk(path, rel, matchers, rest + 1);
          }
        }
      }
      if (entry.isDir && !entry.name.startsWith('.')) yield* walk(path, rel, matchers, index);
    }
    return;
  }
  for (const entry of entries) {
    if (!matcher.test(entry.name)) continue;
    const path = join(dir, entry.name);
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (isLast) {
      if (entry.isFile) yield { path, relative: rel };
    } else if (entry.isDir) {
      yield* walk(path, rel, matchers, index + 1);
    }
  }
}
