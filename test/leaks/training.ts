// Leaks (issue 6 §4): 10,000 ProdLDA training steps leave tf.memory().numTensors and the JS heap flat.
// The run goes through every path a long training touches: an epoch re-subscription every 8 steps,
// dropout and batch norm, gradient clipping, step events, and checkpoints written along the way.
// CI runs fewer steps (CI=true: 2,000; CORPUSFLOW_LEAK_STEPS overrides either).
import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defer, lastValueFrom, tap } from 'rxjs';
import { train } from '../../src/train/train.js';
import { ProdLDA } from '../../src/models/prodlda.js';
import { syntheticCorpus, batches } from '../fixtures/train/synthetic.js';

// The cpu backend: for tensors this small it beats wasm's per-call overhead, and needs no init.
await tf.setBackend('cpu');

// A real collector makes the heap comparison tight; without it (flag refused) a loose bound is used.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (() => void) | undefined;

const STEPS = Number(process.env.CORPUSFLOW_LEAK_STEPS ?? (process.env.CI ? 2_000 : 10_000));
const BATCH = 8;
const corpus = syntheticCorpus({ docs: 64, topics: 4, wordsPerTopic: 10 });
const STEPS_PER_EPOCH = corpus.docs.length / BATCH;
const WARM_UP = Math.min(1_000, STEPS / 5);
const SAMPLE_EVERY = 500;
// A step takes ~10 ms of CPU here, several times that on a loaded machine: allow 100 ms per step (at least tap's 300 s).
t.setTimeout(Math.max(300_000, STEPS * 100));

t.test(`${STEPS} training steps keep tensors and heap flat`, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-leak-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const baseline = tf.memory().numTensors;
  const model = new ProdLDA({ vocabSize: corpus.vocabSize, topics: 4, hidden: [16, 16], dropout: 0.2, seed: 3 });
  const samples: Array<{ step: number; tensors: number; bytes: number; heap: number }> = [];
  const sample = (step: number) => {
    gc?.();
    samples.push({ step, tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: process.memoryUsage().heapUsed });
  };

  const events = defer(() => batches(corpus, BATCH)).pipe(
    train(model, {
      epochs: Math.ceil(STEPS / STEPS_PER_EPOCH),
      maxSteps: STEPS,
      clipNorm: 50,
      logEvery: 100,
      seed: 3,
      checkpoint: { dir, every: 2_500, keep: 1 },
    }),
    tap((e) => {
      // Step events come between two steps, when only the model's and optimizer's tensors are alive.
      if (e.type === 'step' && e.step >= WARM_UP && e.step % SAMPLE_EVERY === 0) sample(e.step);
    }),
  );
  const done = await lastValueFrom(events);
  t.match(done, { type: 'done', steps: STEPS });

  const first = samples[0]!;
  const last = samples.at(-1)!;
  t.ok(samples.length >= 3, `${samples.length} samples`);
  t.same(new Set(samples.map((s) => s.tensors)), new Set([first.tensors]), `numTensors stays ${first.tensors} from step ${first.step} to ${last.step}`);
  t.same(new Set(samples.map((s) => s.bytes)), new Set([first.bytes]), 'tensor bytes stay flat');
  const growth = Math.max(...samples.map((s) => s.heap)) - first.heap;
  const bound = gc ? 2 * 2 ** 20 : 32 * 2 ** 20;
  t.comment(
    `steps ${STEPS}: tensors ${first.tensors} at step ${first.step} → ${last.tensors} at ${last.step}; ` +
      `heap ${(first.heap / 2 ** 20).toFixed(2)} MB → ${(last.heap / 2 ** 20).toFixed(2)} MB (max growth ${(growth / 2 ** 10).toFixed(0)} kB, gc ${gc ? 'on' : 'off'})`,
  );
  t.ok(growth < bound, `heap grows less than ${bound / 2 ** 20} MB after warm-up (grew ${(growth / 2 ** 10).toFixed(0)} kB)`);

  model.dispose();
  t.equal(tf.memory().numTensors, baseline, 'nothing left once the model is disposed');
});
