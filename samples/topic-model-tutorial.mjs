// The Gensim + PyTorch tutorials' "TopicModel" (an embedding bag plus a linear layer that
// predicts a document's topic label), written with corpusflow: gensim-style dictionary,
// sparse bag-of-words batches, and the `train` operator.
//
//   npx tsc -p tsconfig.json && node samples/topic-model-tutorial.mjs
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, map, tap, toArray } from 'rxjs';
import { initBackend, ndjsonSource, preprocess, Dictionary, toBow, shuffle, batchBow, train } from 'corpusflow';

await initBackend('auto');
const corpus = new URL('../test/fixtures/corpora/bbc-news.ndjson.gz', import.meta.url).pathname;
const docs = () => ndjsonSource(corpus).pipe(preprocess({ filters: 'none' })); // already tokenised

// Pass 1: dictionary and labels (like `Dictionary(texts)` and a label encoder).
const dictionary = new Dictionary();
const labelOf = new Map();
const classes = [];
await lastValueFrom(docs().pipe(tap((d) => {
  dictionary.addDocument(d.tokens);
  if (!classes.includes(d.label)) classes.push(d.label);
  labelOf.set(d.id, classes.indexOf(d.label));
}), toArray()));
dictionary.filterExtremes({ noBelow: 2, noAbove: 0.5 });

// The model: mean of word embeddings (nn.EmbeddingBag) -> linear -> class logits.
const V = dictionary.size, D = 32;
const embedding = tf.variable(tf.randomUniform([V, D], -0.5, 0.5, 'float32', 1));
const fcW = tf.variable(tf.randomUniform([D, classes.length], -0.5, 0.5, 'float32', 2));
const fcB = tf.variable(tf.zeros([classes.length]));
const logits = (b) => {
  const sum = tf.unsortedSegmentSum(tf.mul(tf.gather(embedding, b.ids), tf.expandDims(b.counts, 1)), b.rows, b.size);
  const bag = tf.div(sum, tf.maximum(tf.expandDims(tf.unsortedSegmentSum(b.counts, b.rows, b.size), 1), 1));
  return tf.add(tf.matMul(bag, fcW), fcB);
};
const labels = (b) => tf.oneHot(tf.tensor1d(b.docIds.map((id) => labelOf.get(id)), 'int32'), classes.length);
const model = {
  trainableVariables: () => [embedding, fcW, fcB],
  lossFn: (b) => tf.losses.softmaxCrossEntropy(labels(b), logits(b)),
};

// Pass 2..: train; every epoch re-reads the file.
const batches = docs().pipe(toBow(dictionary), shuffle({ bufferSize: 3000, seed: 1 }), batchBow({ batchSize: 64, vocabSize: V }));
await lastValueFrom(batches.pipe(
  train(model, { epochs: 5, optimizer: { adam: { learningRate: 0.01 } } }),
  tap((e) => e.type === 'epochEnd' && console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(3)}`)),
));

// Accuracy on the training corpus.
let right = 0, total = 0;
await lastValueFrom(docs().pipe(toBow(dictionary), batchBow({ batchSize: 256, vocabSize: V }), map((b) => {
  const predicted = tf.tidy(() => tf.argMax(logits(b), 1).dataSync());
  b.docIds.forEach((id, i) => { right += predicted[i] === labelOf.get(id) ? 1 : 0; total++; });
  b.dispose();
})), { defaultValue: undefined });
console.log(`accuracy ${(right / total).toFixed(3)} over ${total} documents, ${classes.length} classes: ${classes.join(', ')}`);
