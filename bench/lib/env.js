// What the bench needs to know about where it runs: the repository root, the
// machine (for RESULTS.md), the corpora (bench/data/ holds plain copies, so
// both sides read the same uncompressed file), and whether dist/ is current.

import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA_DIR = join(ROOT, 'bench/data');

/** Cores, memory, CPU model, Node and OS, as RESULTS.md prints them. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/**
 * Finds a shared corpus: the project's test fixture first, then the shared
 * folder beside the repository (a developer's layout).
 * @param {string} name e.g. 'bbc-news'
 * @return {string|null} path of `<name>.ndjson.gz`
 */
export function findCorpus(name) {
  const candidates = [
    join(ROOT, 'test/fixtures/corpora', `${name}.ndjson.gz`),
    join(ROOT, '../shared/corpora', `${name}.ndjson.gz`),
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/**
 * Makes an uncompressed copy of a corpus in bench/data/ (once), so that
 * neither side pays for gunzip inside its timing.
 * @param {string} name
 * @return {Promise<string>} path of bench/data/<name>.ndjson
 */
export async function plainCorpus(name) {
  const gz = findCorpus(name);
  const out = join(DATA_DIR, `${name}.ndjson`);
  if (existsSync(out) && (!gz || statSync(out).mtimeMs >= statSync(gz).mtimeMs)) return out;
  if (!gz) throw new Error(`bench: corpus ${name} not found in test/fixtures/corpora or ../shared/corpora`);
  mkdirSync(DATA_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await pipeline(createReadStream(gz), createGunzip(), createWriteStream(tmp));
  renameSync(tmp, out);
  return out;
}

function newestMtime(dir, ext) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    const m = statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs;
    if (m > newest) newest = m;
  }
  return newest;
}

/** True when dist/ is missing or older than some src/ file. */
export function distIsStale() {
  const dist = newestMtime(join(ROOT, 'dist'), '.js');
  return dist === 0 || newestMtime(join(ROOT, 'src'), '.ts') > dist;
}

/** Builds dist/ with tsc, emitting even when another area has type errors. */
export function buildDist(log) {
  log('building dist/: npx tsc -p tsconfig.json --noEmitOnError false');
  const run = spawnSync('npx', ['tsc', '-p', 'tsconfig.json', '--noEmitOnError', 'false'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) {
    const errors = (run.stdout.match(/error TS/g) ?? []).length;
    log(`tsc reported ${errors} type error(s); dist/ was emitted anyway`);
  }
  return run.status;
}
