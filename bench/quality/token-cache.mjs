// What the token-id cache saves per epoch: reading + preprocessing + doc2bow from the source
// against reading the cache written in pass 1. Data pipeline only (no training), CPU time.
//
//   npx tsc -p tsconfig.json --noEmitOnError false
//   node bench/quality/token-cache.mjs [--corpus test/fixtures/corpora/spam-shared.ndjson.gz] [--filters default] [--epochs 3]
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, count, map } from 'rxjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(join(root, 'dist', p));
const { ndjsonSource } = await dist('sources/ndjson.js');
const { preprocess } = await dist('preprocess/operator.js');
const { Dictionary } = await dist('dictionary/dictionary.js');
const { toBow } = await dist('dictionary/to-bow.js');
const { TokenCacheWriter, readTokenCache, CacheRemap } = await dist('train/token-cache.js');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const corpus = join(root, args.corpus ?? 'test/fixtures/corpora/spam-shared.ndjson.gz');
const filters = args.filters ?? 'default';
const epochs = Number(args.epochs ?? 3);
const documents = () => ndjsonSource(corpus).pipe(preprocess({ filters }));

const cpu = async (f) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1000 };
};

const dir = await mkdtemp(join(tmpdir(), 'cf-token-cache-'));
const path = join(dir, 'tokens.bin');
const dictionary = new Dictionary();
const writer = new TokenCacheWriter(path);
const pass1 = await cpu(async () => {
  let chain = Promise.resolve();
  await lastValueFrom(documents().pipe(map((d) => { dictionary.addDocument(d.tokens); chain = chain.then(() => writer.write(d.id, d.tokens)); }), count()));
  await chain;
  await writer.commit();
});
dictionary.filterExtremes({ noBelow: 5, noAbove: 0.5 });
const remap = await CacheRemap.fromFile(path, dictionary.token2id);
const bytes = (await stat(path)).size;

let source = 0, cached = 0, n = 0;
for (let e = 0; e < epochs; e++) {
  const a = await cpu(() => lastValueFrom(documents().pipe(toBow(dictionary), count())));
  const b = await cpu(() => lastValueFrom(readTokenCache(path, remap).pipe(count())));
  if (a.value !== b.value) throw new Error(`document counts differ: ${a.value} vs ${b.value}`);
  n = a.value;
  source += a.cpu;
  cached += b.cpu;
}
console.log(`${corpus.split('/').pop()}, filters ${filters}: ${n} docs, cache ${(bytes / 1e6).toFixed(2)} MB, pass 1 with cache writing ${pass1.cpu.toFixed(2)} s CPU`);
console.log(`per epoch (mean of ${epochs}): source + preprocess + doc2bow ${(source / epochs).toFixed(2)} s CPU (${(n * epochs / source).toFixed(0)} docs/s), token cache ${(cached / epochs).toFixed(2)} s CPU (${(n * epochs / cached).toFixed(0)} docs/s): ${(source / cached).toFixed(1)}x`);
await rm(dir, { recursive: true, force: true });
