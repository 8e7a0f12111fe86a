// bench/scale/recovery.mjs (the scale benchmark's topic-recovery figure) on a
// hand-made model whose decoder emits the true topics exactly, in another
// topic order and another word order: recovery must come out as 1. Spawns the
// script, which reads dist/ (CI builds it before the tests).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ProdLDA } from '../../src/models/prodlda.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';

const words = ['pihon', 'foposoz', 'vedemam', 'nemorap', 'hidotam', 'zapud'];
const truthTopics = [
  [0.5, 0.3, 0.1, 0.05, 0.03, 0.02],
  [0.02, 0.03, 0.05, 0.1, 0.3, 0.5],
  [0.1, 0.1, 0.4, 0.3, 0.05, 0.05],
];

/** Overwrites named float32 weights in a saved model's weights.bin. */
function patchWeights(modelDir: string, values: Record<string, (index: number, shape: number[]) => number>) {
  const manifest = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).weightsManifest[0];
  const path = join(modelDir, manifest.paths[0]);
  const bytes = readFileSync(path);
  let offset = 0;
  for (const w of manifest.weights as Array<{ name: string; shape: number[] }>) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const fill = values[w.name];
    if (fill) {
      const view = new Float32Array(bytes.buffer, bytes.byteOffset + offset, size);
      for (let i = 0; i < size; i++) view[i] = fill(i, w.shape);
    }
    offset += size * 4;
  }
  writeFileSync(path, bytes);
}

function run(modelDir: string, truthPath: string) {
  const child = spawnSync(process.execPath, ['bench/scale/recovery.mjs', '--model', modelDir, '--truth', truthPath], { encoding: 'utf8' });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  return { code: child.status, stderr: child.stderr, result: line ? JSON.parse(line) : null };
}

t.test('a decoder that emits the true topics scores 1; plain noise scores less', async (t) => {
  const base = tf.memory().numTensors;
  const dir = mkdtempSync(join(tmpdir(), 'cf-recovery-'));
  // Dictionary ids in a different order from the truth's vocabulary.
  const dictionary = new Dictionary([[...words].reverse()]);
  const model = new ProdLDA({ vocabSize: words.length, topics: 3, seed: 1 });
  await model.save(join(dir, 'model'), dictionary);
  model.dispose();
  t.equal(tf.memory().numTensors, base, 'no tensors left behind');
  await dictionary.saveAsText(join(dir, 'dictionary.txt'));
  const truthPath = join(dir, 'truth.json');
  writeFileSync(truthPath, JSON.stringify({ vocabulary: words, topics: truthTopics }));

  const noisy = run(dir, truthPath);
  t.equal(noisy.code, 0, noisy.stderr);
  t.ok(noisy.result.recovery < 0.99, `a random model does not recover the topics (${noisy.result.recovery})`);

  // Learned topic k is true topic (k + 1) mod 3; word id j is dictionary.id2token(j).
  const trueOf = (k: number) => (k + 1) % 3;
  const wordOf = (id: number) => words.indexOf(dictionary.id2token.get(id)!);
  // β is stored either [K, vocab] or [vocab, K]; K = 3 and vocab = 6 tell them apart.
  const beta = (i: number, [rows, cols]: number[]) => (rows === 3
    ? Math.log(truthTopics[trueOf(Math.floor(i / cols!))]![wordOf(i % cols!)]!)
    : Math.log(truthTopics[trueOf(i % cols!)]![wordOf(Math.floor(i / cols!))]!));
  patchWeights(join(dir, 'model'), {
    'decoder/kernel': beta,
    'decoder/bias': () => 0,
    'decoder_bn/beta': () => 0,
    'decoder_bn/running_mean': () => 0,
    'decoder_bn/running_var': () => 1 - 1e-5,
  });
  const exact = run(dir, truthPath);
  t.equal(exact.code, 0, exact.stderr);
  t.equal(exact.result.topics, 3);
  t.equal(exact.result.shared_words, words.length);
  t.ok(Math.abs(exact.result.recovery - 1) < 1e-4, `recovery ${exact.result.recovery} is 1`);
  t.ok(Math.abs(exact.result.worst - 1) < 1e-4);
});
