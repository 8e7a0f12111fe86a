#!/usr/bin/env node
// corpusflow side of the ProdLDA training benchmark; peer: bench/peers/prodlda.py.
//
// Same data and settings as the peer: a pre-tokenised NDJSON corpus (bbc-news:
// text split on spaces), an unfiltered Dictionary, ProdLDA with its defaults
// (2x100 softplus encoder, dropout 0.2, Laplace-approximated Dirichlet prior,
// batch norm on mu/logvar/decoder, Adam 2e-3 beta1 0.99), batch 64, the
// documents reshuffled every epoch. `seconds` covers the training epochs only
// (batch building included, file reading and the dictionary not), as on the peer.
//
// Usage (after `npx tsc -p tsconfig.json --noEmitOnError false`):
//   node bench/train/prodlda.mjs --input bench/data/bbc-news.ndjson --epochs 10 [--backend wasm|cpu|tensorflow|auto]
//        [--topics 20] [--batch 64] [--seed 1] [--format sparse|dense]
// Prints one JSON line last: {"docs", "seconds", "docs_per_s", "backend", ...}.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { defer, from, lastValueFrom, filter, tap, toArray } from 'rxjs';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

function parseArgs(argv) {
  const out = { input: 'bench/data/bbc-news.ndjson', textField: 'text', epochs: 10, topics: 20, batch: 64, seed: 1, backend: 'wasm', format: 'sparse' };
  const names = { '--input': 'input', '--text-field': 'textField', '--epochs': 'epochs', '--topics': 'topics', '--batch': 'batch', '--seed': 'seed', '--backend': 'backend', '--format': 'format' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || argv[i + 1] === undefined) {
      console.error(`prodlda.mjs: unknown or incomplete option ${argv[i]}`);
      process.exit(2);
    }
    out[key] = typeof out[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return out;
}

async function readTokenised(path, field) {
  let stream = createReadStream(path);
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const texts = [];
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (line.trim() !== '') texts.push(String(JSON.parse(line)[field]).split(/\s+/).filter((t) => t !== ''));
  }
  return texts;
}

/** Seeded mulberry32, for the per-epoch shuffle when the library's shuffle operator is absent. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const args = parseArgs(process.argv.slice(2));
const { initBackend, backendInfo } = await load('backend.js');
const { Dictionary } = await load('dictionary/dictionary.js');
const { batchBow } = await load('batch/bow.js');
const { ProdLDA } = await load('models/prodlda.js');
const { train } = await load('train/train.js');
let shuffleOperator = null;
try {
  shuffleOperator = (await load('batch/shuffle.js')).shuffle;
} catch {
  // Older builds: fall back to a seeded Fisher-Yates per epoch below.
}

const backend = await initBackend(args.backend, { log: false });
const texts = await readTokenised(args.input, args.textField);
const dictionary = new Dictionary(texts); // unfiltered, as the peer
const docs = texts.map((tokens, i) => ({ id: i, bow: dictionary.doc2bow(tokens) }));

let epoch = 0;
const documents$ = shuffleOperator
  ? from(docs).pipe(shuffleOperator({ bufferSize: docs.length, seed: args.seed }))
  : defer(() => {
      const order = docs.slice();
      const random = mulberry32(args.seed + epoch++);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      return from(order);
    });

const model = new ProdLDA({ vocabSize: dictionary.size, topics: args.topics, seed: args.seed });
let firstEpochEnd = null;
const events = await lastValueFrom(
  documents$.pipe(
    batchBow({ batchSize: args.batch, vocabSize: dictionary.size, format: args.format }),
    train(model, { epochs: args.epochs, seed: args.seed, logEvery: 50 }),
    // The first epoch's end, for the throughput after warm-up (JIT, wasm tier-up, heap growth).
    tap((e) => {
      if (e.type === 'epochEnd' && firstEpochEnd === null) firstEpochEnd = performance.now();
    }),
    filter((e) => e.type === 'epochEnd' || e.type === 'done'),
    toArray(),
  ),
);
const done = events.at(-1);
const endedAt = performance.now();
// Every epoch sees the whole corpus: the epochs after the first trained done.docs · (1 − 1/epochs) documents.
const steady = firstEpochEnd !== null && done.epochs > 1
  ? Number(((done.docs * (1 - 1 / done.epochs)) / ((endedAt - firstEpochEnd) / 1000)).toFixed(2))
  : null;
const lastEpoch = events.filter((e) => e.type === 'epochEnd').at(-1);
model.dispose?.();
const info = backendInfo();
process.stdout.write(`${JSON.stringify({
  docs: done.docs,
  seconds: Number(done.seconds.toFixed(4)),
  docs_per_s: Number((done.docs / done.seconds).toFixed(2)),
  steady_docs_per_s: steady,
  epochs: done.epochs,
  corpus_docs: docs.length,
  vocab: dictionary.size,
  topics: args.topics,
  batch: args.batch,
  format: args.format,
  seed: args.seed,
  backend,
  wasm_variant: info?.wasmVariant ?? null,
  shuffle: shuffleOperator ? 'corpusflow shuffle operator' : 'bench Fisher-Yates',
  final_epoch_loss: lastEpoch ? Number(lastEpoch.loss.toFixed(4)) : null,
  peak_rss_mb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
})}\n`);
