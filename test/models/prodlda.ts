import t from 'tap';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { from, lastValueFrom, toArray } from 'rxjs';
import { ProdLDA, inferTopics } from '../../src/models/prodlda.js';
import { train } from '../../src/train/train.js';
import { Adam } from '../../src/train/optimizers.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { toDenseBowBatch, toSparseBowBatch } from '../../src/batch/tensors.js';
import { syntheticCorpus, batches } from '../fixtures/train/synthetic.js';

await tf.setBackend('cpu');
const corpus = syntheticCorpus({ docs: 96, topics: 3, wordsPerTopic: 8 });
const sparse = () => toSparseBowBatch(corpus.docs.slice(0, 16), corpus.vocabSize);
const dense = () => toDenseBowBatch(corpus.docs.slice(0, 16), corpus.vocabSize);
const small = (extra = {}) => new ProdLDA({ vocabSize: corpus.vocabSize, topics: 3, hidden: [16, 16], seed: 3, ...extra });
const scalar = (s: tf.Scalar) => {
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
};

t.test('trains on planted topics: loss falls and each topic is one planted topic', async (t) => {
  const base = tf.memory().numTensors;
  const model = small();
  const events = await lastValueFrom(
    batches(corpus, 16).pipe(train(model, { epochs: 40, seed: 1, optimizer: { adam: { learningRate: 0.02, beta1: 0.9 } } }), toArray()),
  );
  const losses = events.flatMap((e) => (e.type === 'epochEnd' ? [e.loss] : []));
  t.ok(losses.at(-1)! < losses[0]! * 0.95, `epoch loss ${losses[0]} -> ${losses.at(-1)}`);
  const topics = model.topics(corpus.id2token, 5);
  t.equal(topics.length, 3);
  t.same(topics.map((x) => x.id), [0, 1, 2]);
  for (const topic of topics) {
    t.equal(topic.words.length, 5);
    t.ok(topic.words.every((w, i) => i === 0 || w.weight <= topic.words[i - 1]!.weight), 'heaviest first');
    const planted = new Set(topic.words.map((w) => w.token.slice(0, 2)));
    t.equal(planted.size, 1, `topic ${topic.id} (${topic.words.map((w) => w.token).join(' ')}) is one planted topic`);
  }
  t.equal(new Set(topics.map((x) => x.words[0]!.token.slice(0, 2))).size, 3, 'the three topics are different');
  model.dispose();
  t.equal(tf.memory().numTensors, base);
});

t.test('transform: a [size, K] distribution per document, deterministic, sparse and dense agree', async (t) => {
  const model = small();
  const s = sparse();
  const d = dense();
  const a = model.transform(s);
  const b = model.transform(s);
  const c = model.transform(d);
  t.same(a.shape, [16, 3]);
  const rows = await a.array();
  for (const r of rows) t.ok(Math.abs(r.reduce((x, y) => x + y, 0) - 1) < 1e-5);
  t.same(await b.array(), rows, 'no randomness in evaluation mode');
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]!);
  t.ok(diff < 1e-5, `sparse and dense batches give the same mixes (max diff ${diff})`);
  tf.dispose([a, b, c]);
  s.dispose();
  d.dispose();
  model.dispose();
});

t.test("encoder input: 'gather' and 'dense' compute the same loss", async (t) => {
  const g = small({ encoderInput: 'gather' });
  const d = small({ encoderInput: 'dense' });
  const s = sparse();
  const lg = scalar(g.lossFn(s, false));
  const ld = scalar(d.lossFn(s, false));
  t.ok(Math.abs(lg - ld) < 1e-3 * Math.abs(ld), `${lg} ≈ ${ld}`);
  s.dispose();
  g.dispose();
  d.dispose();
});

t.test('save and load: same weights, same mixes, dictionary in gensim text format', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cf-prodlda-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const texts = corpus.docs.map((d) => d.bow.flatMap(([id, n]) => Array<string>(n).fill(corpus.id2token.get(id)!)));
  const dictionary = new Dictionary(texts);
  const model = small();
  await lastValueFrom(batches(corpus, 32).pipe(train(model, { epochs: 2 })));
  await model.save(dir, dictionary);
  for (const f of ['model.json', 'weights.bin', 'dictionary.txt']) t.ok(existsSync(join(dir, f)), f);
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  t.equal(json.format, 'corpusflow-prodlda');
  t.match(json.weightsManifest[0], { paths: ['weights.bin'] });

  const loaded = await ProdLDA.load(dir, { loadDictionary: (p) => Dictionary.loadFromText(p) });
  t.same(loaded.options, model.options);
  t.equal((loaded.dictionary as Dictionary).size, dictionary.size);
  const s = sparse();
  const [a, b] = [model.transform(s), loaded.transform(s)];
  t.same(await b.array(), await a.array());
  t.same(loaded.topics(corpus.id2token, 4), model.topics(corpus.id2token, 4));
  tf.dispose([a, b]);
  s.dispose();
  loaded.dispose();

  await writeFile(join(dir, 'weights.bin'), new Uint8Array(12));
  await t.rejects(ProdLDA.load(dir), { code: 'MODEL_FORMAT' });
  await t.rejects(ProdLDA.load(join(dir, 'missing')), { code: 'FILE_NOT_FOUND' });
  model.dispose();
});

t.test('capacity and live rows: free rows never appear, reset rows restart with zero optimizer state', async (t) => {
  const model = small({ capacity: corpus.vocabSize + 8 });
  t.equal(model.live.filter((x) => x === 1).length, corpus.vocabSize);
  const s = sparse();
  t.ok(Number.isFinite(scalar(model.lossFn(s, true))), 'loss with free rows is finite');
  const topics = model.topics(corpus.id2token, 100);
  t.ok(topics.every((x) => x.words.length === corpus.vocabSize), 'only live rows are ranked');

  const opt = new Adam({ learningRate: 0.01 });
  await lastValueFrom(batches(corpus, 32).pipe(train(model, { optimizer: opt })));
  model.setLive([0, 1], false);
  t.ok(model.topics(corpus.id2token, 100).every((x) => x.words.every((w) => w.token !== corpus.id2token.get(0))), 'a freed row leaves the topics');
  model.resetRows([0, 1], opt);
  t.equal(model.live[0], 1, 'reset rows are live again');
  const [m1] = opt.getSlots(model.trainableVariables()).filter((x) => x.variable === 0 && x.slot === 'm');
  const rows = (await m1!.tensor.array()) as number[][];
  t.ok(rows[0]!.every((x) => x === 0) && rows[1]!.every((x) => x === 0), 'Adam moments of the reset rows are zero');
  t.ok(rows[2]!.some((x) => x !== 0), 'other rows keep theirs');
  s.dispose();
  opt.dispose();
  model.dispose();
});

t.test('inferTopics streams {id, topics} per document and frees the batches', async (t) => {
  const model = small();
  const base = tf.memory().numTensors;
  const out = await lastValueFrom(batches(corpus, 40).pipe(inferTopics(model), toArray()));
  t.equal(out.length, corpus.docs.length);
  t.same(out.map((x) => x.id), corpus.docs.map((d) => d.id));
  t.ok(out.every((x) => x.topics.length === 3));
  t.equal(tf.memory().numTensors, base);
  const empty = await lastValueFrom(from([]).pipe(inferTopics(model), toArray()));
  t.same(empty, []);
  model.dispose();
});

t.test('options are validated', async (t) => {
  const cases: Array<[object, RegExp]> = [
    [{ vocabSize: 0 }, /Invalid option vocabSize/],
    [{ vocabSize: 10, capacity: 5 }, /Invalid option capacity/],
    [{ vocabSize: 10, topics: 1 }, /Invalid option topics/],
    [{ vocabSize: 10, dropout: 1 }, /Invalid option dropout/],
    [{ vocabSize: 10, alpha: 0 }, /Invalid option alpha/],
    [{ vocabSize: 10, hidden: [] }, /Invalid option hidden/],
    [{ vocabSize: 10, encoderInput: 'magic' }, /Invalid option encoderInput/],
  ];
  for (const [options, message] of cases) t.throws(() => new ProdLDA(options as never), { code: 'INVALID_OPTION', message });
  const model = small();
  const wide = toSparseBowBatch(corpus.docs.slice(0, 2), corpus.vocabSize + 1);
  t.throws(() => model.lossFn(wide, true), { code: 'INVALID_OPTION', message: /batch.vocabSize/ });
  wide.dispose();
  model.dispose();
});
