// Every example pipeline shipped in pipelines/ validates, and its input exists in the repository.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../../src/config/load.js';
import { describePipeline, resolvePipeline } from '../../src/config/resolve.js';

const dir = fileURLToPath(new URL('../../pipelines/', import.meta.url));
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));

t.ok(files.includes('quickstart.yaml'), 'the quickstart pipeline exists');
const kinds = new Set<string>();
for (const f of files) {
  t.test(f, async (t) => {
    const loaded = await loadPipeline(path.join(dir, f), { env: {} });
    const p = resolvePipeline(loaded.config, f);
    kinds.add(p.source.kind);
    t.ok(existsSync(p.source.path), `input ${p.source.path} is in the repository`);
    t.match(describePipeline(p), /^\w+\(.*\) -> preprocess\(.*\) -> dictionary\(/);
  });
}
t.test('one example per source kind', async (t) => {
  for (const k of ['ndjson', 'csv', 'files']) t.ok(kinds.has(k), k);
});
