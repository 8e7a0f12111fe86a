// Topic quality of corpusflow's ProdLDA on bbc-news (issue 4's quality bar), against the dist build.
//
//   npx tsc -p tsconfig.json --noEmitOnError false
//   node bench/quality/bbc.mjs [--seeds 1,2,3] [--parallel 1] [--evalEvery 20] [--epochs 100] [--backend wasm|cpu] [--topics 20] [--batch 64] [--json out.json]
//
// The corpus is already tokenised: text split on spaces, no filtering, dictionary unfiltered.
// NPMI is gensim-identical c_npmi (top 10, window 10) over the corpus itself; diversity is the
// unique share of the top-10 and top-25 words. Everything else is ProdLDA's defaults.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(join(root, 'dist', p));
const { initBackend } = await dist('backend.js');
const { ndjsonSource } = await dist('sources/ndjson.js');
const { Dictionary } = await dist('dictionary/dictionary.js');
const { shuffle } = await dist('batch/shuffle.js');
const { batchBow } = await dist('batch/bow.js');
const { ProdLDA } = await dist('models/prodlda.js');
const { train } = await dist('train/train.js');
const { coherence } = await dist('eval/coherence.js');
const { topicDiversity } = await dist('eval/diversity.js');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const seeds = (args.seeds ?? '1,2,3').split(',').map(Number);
const epochs = Number(args.epochs ?? 100);
const topicsK = Number(args.topics ?? 20);
const batchSize = Number(args.batch ?? 64);
const corpusPath = [join(root, 'test/fixtures/corpora/bbc-news.ndjson.gz'), '/work/shared/corpora/bbc-news.ndjson.gz'].find(existsSync);

// --parallel: one child process per seed (the machine has 2 cores), then the same summary.
if (args.parallel && seeds.length > 1) {
  const { spawn } = await import('node:child_process');
  const self = fileURLToPath(import.meta.url);
  const rest = process.argv.slice(2).filter((a, i, all) => !['--seeds', '--parallel', '--json'].includes(a) && !['--seeds', '--parallel', '--json'].includes(all[i - 1]));
  const results = await Promise.all(
    seeds.map(
      (seed) =>
        new Promise((resolve, reject) => {
          const out = join(tmpdir(), `bbc-quality-${process.pid}-${seed}.json`);
          const child = spawn(process.execPath, [self, '--seeds', String(seed), '--json', out, ...rest], { stdio: ['ignore', 'inherit', 'inherit'] });
          child.on('exit', (code) => (code === 0 ? readFile(out, 'utf8').then((t) => resolve(JSON.parse(t))) : reject(new Error(`seed ${seed} exited ${code}`))));
        }),
    ),
  );
  const rows = results.flatMap((r) => r.rows);
  summarize(rows, results[0].backend);
  if (args.json) await writeFile(args.json, JSON.stringify({ ...results[0], rows }, null, 1));
  process.exit(0);
}

const backend = await initBackend(args.backend ?? 'wasm', { log: false });
// Read the corpus once through corpusflow's own source; 2,225 short documents fit in memory.
const texts = await lastValueFrom(ndjsonSource(corpusPath).pipe(toArray()));
const tokens = texts.map((d) => d.text.split(' ').filter((t) => t.length > 0));
const dictionary = new Dictionary(tokens);
const bows = tokens.map((t, i) => ({ id: texts[i].id, bow: dictionary.doc2bow(t) }));
console.log(`bbc-news: ${bows.length} docs, vocabulary ${dictionary.size}, backend ${backend}, K=${topicsK}, ${epochs} epochs, batch ${batchSize}`);

const rows = [];
for (const seed of seeds) {
  const model = new ProdLDA({ vocabSize: dictionary.size, topics: topicsK, seed });
  const batches = from(bows).pipe(shuffle({ bufferSize: bows.length, seed }), batchBow({ batchSize, vocabSize: dictionary.size }));
  let last;
  const started = performance.now();
  await lastValueFrom(
    batches.pipe(
      train(model, { epochs, seed, logEvery: 50 }),
      tap((e) => {
        if (e.type === 'epochEnd' && (e.epoch % 20 === 0 || e.epoch === 1)) console.log(`  seed ${seed} epoch ${e.epoch} loss ${e.loss.toFixed(2)}`);
        if (e.type === 'epochEnd' && args.evalEvery && e.epoch % Number(args.evalEvery) === 0 && e.epoch < epochs) {
          // Interim figures (not awaited by the trainer: the scores are computed from a copy of the topics).
          const top10 = model.topics(dictionary, 10).map((t) => t.words.map((w) => w.token));
          void coherence(top10, tokens, { measure: 'c_npmi', topn: 10 }).then((r) =>
            console.log(`  seed ${seed} epoch ${e.epoch}: NPMI ${r.mean.toFixed(4)}, diversity top-10 ${topicDiversity(top10, 10).toFixed(3)}`),
          );
        }
        last = e;
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const top25 = model.topics(dictionary, 25).map((t) => t.words.map((w) => w.token));
  const top10 = top25.map((t) => t.slice(0, 10));
  const npmi = await coherence(top10, tokens, { measure: 'c_npmi', topn: 10 });
  const row = {
    seed,
    npmi: npmi.mean,
    diversity10: topicDiversity(top10, 10),
    diversity25: topicDiversity(top25, 25),
    docsPerSecond: last.docs / seconds,
    seconds,
  };
  rows.push({ ...row, topics: top10 });
  console.log(`seed ${seed}: NPMI ${row.npmi.toFixed(4)}, diversity top-10 ${row.diversity10.toFixed(3)}, top-25 ${row.diversity25.toFixed(3)}, ${row.docsPerSecond.toFixed(0)} docs/s (${seconds.toFixed(1)} s)`);
  model.dispose();
}
summarize(rows, backend);

function summarize(rows, backend) {
  const mean = (k) => rows.reduce((s, r) => s + r[k], 0) / rows.length;
  console.log(`mean of seeds ${rows.map((r) => r.seed).join(',')}: NPMI ${mean('npmi').toFixed(4)}, diversity top-10 ${mean('diversity10').toFixed(3)}, top-25 ${mean('diversity25').toFixed(3)}, ${mean('docsPerSecond').toFixed(0)} docs/s on ${backend}`);
  for (const t of rows[0].topics) console.log(`  ${t.join(' ')}`);
}
if (args.json) await writeFile(args.json, JSON.stringify({ backend, epochs, topics: topicsK, batchSize, rows, numTensors: tf.memory().numTensors }, null, 1));
