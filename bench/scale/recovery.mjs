#!/usr/bin/env node
// Topic recovery of a trained ProdLDA against a generated corpus's truth:
// the mean best-match (Hungarian, one-to-one) cosine similarity between the
// model's topic-word distributions and the generator's φ_k, word for word.
// A topic's distribution is what the model's decoder emits for a document of
// that topic alone (β_k through the decoder's bias and eval-mode batch norm,
// softmaxed over the live vocabulary); the plain softmax(β_k) figure, which
// ignores the batch norm, is printed beside it.
//
// Usage (after `npx tsc -p tsconfig.json --noEmitOnError false`):
//   node bench/scale/recovery.mjs --model OUTPUT_DIR|MODEL_DIR --truth CORPUS.truth.json
// OUTPUT_DIR is a `corpusflow run` output (its model/ and dictionary.txt are used).
// Prints one JSON line last: {"recovery", "matching", "topics", "true_topics", "worst", "shared_words"}.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

function option(name) {
  const at = process.argv.indexOf(name);
  if (at < 0 || !process.argv[at + 1]) {
    console.error('usage: node bench/scale/recovery.mjs --model OUTPUT_DIR|MODEL_DIR --truth CORPUS.truth.json');
    process.exit(2);
  }
  return process.argv[at + 1];
}

const given = option('--model');
const truthPath = option('--truth');
const modelDir = existsSync(join(given, 'model', 'model.json')) ? join(given, 'model') : given;
const dictionaryPath = [join(modelDir, 'dictionary.txt'), join(given, 'dictionary.txt')].find((p) => existsSync(p));
if (!dictionaryPath) {
  console.error(`recovery: no dictionary.txt in ${modelDir} or ${given}`);
  process.exit(1);
}

const { initBackend } = await load('backend.js');
const { Dictionary } = await load('dictionary/dictionary.js');
const { ProdLDA } = await load('models/prodlda.js');
const { topicRecovery } = await load('eval/topic-recovery.js');

await initBackend('cpu', { log: false }); // only reading weights: no need for wasm
const model = await ProdLDA.load(modelDir);
const dictionary = await Dictionary.loadFromText(dictionaryPath);
const weights = model.topicWordWeights();
const beta = weights.arraySync(); // [K, capacity] logits
weights.dispose();
const live = model.live;
model.dispose();

/**
 * The model's own word distribution for a document made of topic k alone:
 * the eval-mode decoder applied to a one-hot topic mix, i.e. β_k plus the
 * decoder bias through the decoder batch norm's running statistics. Read
 * from the saved weights; null when the model has no decoder batch norm.
 */
function decoderLogits() {
  const manifest = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).weightsManifest[0];
  const bytes = readFileSync(join(modelDir, manifest.paths[0]));
  const offsets = new Map();
  let offset = 0;
  for (const w of manifest.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    offsets.set(w.name, new Float32Array(bytes.buffer, bytes.byteOffset + offset, size));
    offset += size * 4;
  }
  const bias = offsets.get('decoder/bias');
  const shift = offsets.get('decoder_bn/beta');
  const mean = offsets.get('decoder_bn/running_mean');
  const variance = offsets.get('decoder_bn/running_var');
  if (!bias || !shift || !mean || !variance) return null;
  return beta.map((row) => row.map((b, j) => (b + bias[j] - mean[j]) / Math.sqrt(variance[j] + 1e-5) + shift[j]));
}

// Free (dead) rows of an online model have no word, so they are ignored.
const vocabulary = Array.from({ length: beta[0].length }, (_, j) => (live[j] ? dictionary.id2token.get(j) : undefined));
const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
const byBeta = topicRecovery({ vocabulary, topics: beta }, truth, { softmax: true, matching: 'hungarian' });
const decoded = decoderLogits();
const byDecoder = decoded ? topicRecovery({ vocabulary, topics: decoded }, truth, { softmax: true, matching: 'hungarian' }) : null;
const result = byDecoder ?? byBeta;
// Each true topic's nearest learned topic, not one-to-one: beside the headline, it shows whether a low
// figure comes from two learned topics sharing one true topic (then some true topic is left unmatched).
const best = topicRecovery({ vocabulary, topics: decoded ?? beta }, truth, { softmax: true, matching: 'best' });
const known = new Set(vocabulary.filter((w) => w !== undefined));
process.stdout.write(`${JSON.stringify({
  recovery: Number(result.mean.toFixed(4)),
  measured_on: byDecoder ? 'decoder (one-hot topic mix, eval-mode batch norm)' : 'softmax(beta)',
  recovery_softmax_beta: Number(byBeta.mean.toFixed(4)),
  matching: 'hungarian',
  topics: beta.length,
  true_topics: truth.topics.length,
  recovery_best_match: Number(best.mean.toFixed(4)),
  worst: Number(Math.min(...result.matches.map((m) => m.similarity)).toFixed(4)),
  per_topic: result.matches.map((m) => Number(m.similarity.toFixed(3))),
  shared_words: truth.vocabulary.filter((w) => known.has(w)).length,
  truth_words: truth.vocabulary.length,
})}\n`);
