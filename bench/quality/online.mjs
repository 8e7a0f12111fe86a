// Online single-pass mode on bbc-news (issue 4's quality bar for the online mode), against the dist build.
//
//   npx tsc -p tsconfig.json --noEmitOnError false
//   node bench/quality/online.mjs [--copies 100] [--seed 1] [--capacity 4096] [--prune-every 10000] [--no-below 5]
//                                 [--topics 20] [--batch 64] [--backend wasm|cpu] [--every 10] [--json out.json]
//   CORPUSFLOW_DIST=/tmp/other-build node bench/quality/online.mjs ...   (another build directory)
//
// The stream: `copies` copies of the corpus, each in its own seeded random order, one after the
// other, read once by fitOnlineTopicModel with the vocabulary starting empty. The corpus is already
// tokenised (split on spaces, no filtering). NPMI is gensim-identical c_npmi (top 10, window 10)
// over the corpus itself; diversity is the unique share of the top-10 / top-25 words.
//
// Measured 2026-11-29 after the CTM decoder (commit 873d181) and the fused training kernels (wasm, 2 shared
// cores at load 6-12, seed 1, capacity 4096, defaults otherwise; nothing pruned: the corpus has 2,949 tokens):
//   --copies 100: NPMI 0.0964, diversity@10 0.875, @25 0.828 (940 s, 237 docs/s under that load)
//     along the way: copy 20 0.066, copy 40 0.083, copy 60 0.081.
// (2026-11-28, with the earlier biased decoder: 0.0712 at 100 copies.) Through the harness:
//   node bench/run.js --only quality-online

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Observable, lastValueFrom, tap, toArray } from 'rxjs';
import * as tf from '@tensorflow/tfjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const distDir = process.env.CORPUSFLOW_DIST ?? join(root, 'dist');
const dist = (p) => import(join(distDir, p));
const { initBackend } = await dist('backend.js');
const { ndjsonSource } = await dist('sources/ndjson.js');
const { fitOnlineTopicModel } = await dist('train/online.js');
const { createRandom } = await dist('batch/random.js');
const { coherence } = await dist('eval/coherence.js');
const { topicDiversity } = await dist('eval/diversity.js');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const copies = Number(args.copies ?? 100);
const seed = Number(args.seed ?? 1);
const capacity = Number(args.capacity ?? 4096);
const pruneEvery = Number(args['prune-every'] ?? 10_000);
const noBelow = Number(args['no-below'] ?? 5);
const topicsK = Number(args.topics ?? 20);
const batchSize = Number(args.batch ?? 64);
const every = Number(args.every ?? 10);
const corpusPath = join(root, 'test/fixtures/corpora/bbc-news.ndjson.gz');
if (!existsSync(corpusPath)) throw new Error(`online.mjs: ${corpusPath} is missing`);

const backend = await initBackend(args.backend ?? 'wasm', { log: false });
const texts = await lastValueFrom(ndjsonSource(corpusPath).pipe(toArray()));
const tokens = texts.map((d) => d.text.split(' ').filter((t) => t.length > 0));
const n = tokens.length;
console.log(`bbc-news online: ${n} docs × ${copies} copies, capacity ${capacity}, prune every ${pruneEvery} (no_below ${noBelow}), K=${topicsK}, batch ${batchSize}, seed ${seed}, backend ${backend}`);

// The stream, generated lazily (one copy's order at a time): nothing but the corpus is held. Between
// copies it yields to the event loop, so that progress lines (and Ctrl-C) get through.
let subscriptions = 0;
const stream = () =>
  new Observable((subscriber) => {
    subscriptions++;
    const rng = createRandom(seed * 1000 + 17);
    const order = Array.from({ length: n }, (_, i) => i);
    let c = 0;
    const copy = () => {
      if (subscriber.closed) return;
      if (c === copies) return subscriber.complete();
      for (let i = n - 1; i > 0; i--) {
        const j = rng.nextInt(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const i of order) {
        if (subscriber.closed) return;
        subscriber.next({ id: `${c}:${texts[i].id}`, tokens: tokens[i] });
      }
      c++;
      setImmediate(copy);
    };
    copy();
  });

const fit = fitOnlineTopicModel({
  documents: stream,
  vocabulary: { capacity, pruneEvery, noBelow },
  batch: { size: batchSize },
  model: { topics: topicsK, seed },
  train: { seed, logEvery: 100 },
});
const started = performance.now();
const progress = [];
let copyReported = 0;
let last;
await lastValueFrom(
  fit.pipe(
    tap((e) => {
      last = e;
      if (e.type !== 'step') return;
      const copy = Math.floor(e.docs / n);
      if (copy > copyReported && copy % every === 0) {
        copyReported = copy;
        const model = fit.model;
        const dictionary = fit.dictionary;
        const top10 = model.topics(dictionary, 10).map((t) => t.words.map((w) => w.token));
        const v = fit.vocabulary.stats;
        const line = { copy, loss: e.loss, live: v.live, pruned: v.pruned, top10 };
        progress.push(line);
        void coherence(top10, tokens, { measure: 'c_npmi', topn: 10 }).then((r) => {
          line.npmi = r.mean;
          console.log(`  copy ${copy}: loss ${e.loss.toFixed(1)}, live ${v.live}, pruned ${v.pruned}, NPMI ${r.mean.toFixed(4)}, diversity ${topicDiversity(top10, 10).toFixed(2)}, ${e.docsPerSecond.toFixed(0)} docs/s`);
        });
      }
    }),
  ),
);
const seconds = (performance.now() - started) / 1000;
const model = fit.model;
const dictionary = fit.dictionary;
const top25 = model.topics(dictionary, 25).map((t) => t.words.map((w) => w.token));
const top10 = top25.map((t) => t.slice(0, 10));
const npmi = await coherence(top10, tokens, { measure: 'c_npmi', topn: 10 });
const row = {
  copies,
  seed,
  subscriptions,
  docs: last.docs,
  npmi: npmi.mean,
  diversity10: topicDiversity(top10, 10),
  diversity25: topicDiversity(top25, 25),
  vocabulary: fit.vocabulary.stats,
  seconds,
  docsPerSecond: last.docs / seconds,
};
console.log(
  `copies ${copies}, seed ${seed}: NPMI ${row.npmi.toFixed(4)}, diversity top-10 ${row.diversity10.toFixed(3)}, top-25 ${row.diversity25.toFixed(3)}, ` +
    `live vocabulary ${row.vocabulary.live} (pruned ${row.vocabulary.pruned}), source subscribed ${subscriptions}×, ${row.docsPerSecond.toFixed(0)} docs/s (${seconds.toFixed(0)} s) on ${backend}`,
);
for (const t of top10) console.log(`  ${t.join(' ')}`);
model.dispose();
if (args.json) await writeFile(args.json, JSON.stringify({ backend, capacity, pruneEvery, noBelow, topics: topicsK, batchSize, ...row, progress, final: top10, numTensors: tf.memory().numTensors }, null, 1));
