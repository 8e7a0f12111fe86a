import t from 'tap';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defer, firstValueFrom, from, lastValueFrom, NEVER, Observable, throwError, toArray, concat } from 'rxjs';
import { train, type TrainEvent, type TrainOptions } from '../../src/train/train.js';
import { ProdLDA } from '../../src/models/prodlda.js';
import { Sgd } from '../../src/train/optimizers.js';
import type { TrainableModel } from '../../src/models/types.js';
import type { BowBatch } from '../../src/batch/types.js';
import { syntheticCorpus, batches } from '../fixtures/train/synthetic.js';

await tf.setBackend('cpu');
const corpus = syntheticCorpus({ docs: 48 });

const tiny = (seed = 1) => new ProdLDA({ vocabSize: corpus.vocabSize, topics: 3, hidden: [8], seed });
const run = (source: Observable<BowBatch>, model: TrainableModel<BowBatch>, options: TrainOptions) =>
  lastValueFrom(source.pipe(train(model, options), toArray()));
const types = (events: TrainEvent[]) => events.map((e) => e.type);
const weights = (m: TrainableModel<BowBatch>) => [...m.trainableVariables(), ...(m.stateVariables?.() ?? [])].map((v) => Array.from(v.dataSync()));

t.test('events come in order: steps, epochEnd per epoch, done last; each epoch re-subscribes', async (t) => {
  let subscriptions = 0;
  const source = defer(() => {
    subscriptions++;
    return batches(corpus, 16);
  });
  const model = tiny();
  const events = await run(source, model, { epochs: 3, logEvery: 2 });
  t.equal(subscriptions, 3);
  // 48 docs / 16 = 3 batches per epoch: step events at steps 2, 4, 6, 8 plus flushes at each epoch end.
  t.same(types(events), ['step', 'step', 'epochEnd', 'step', 'step', 'epochEnd', 'step', 'step', 'epochEnd', 'done']);
  const steps = events.filter((e) => e.type === 'step');
  t.same(steps.map((e) => e.step), [2, 3, 4, 6, 8, 9]);
  t.same(steps.map((e) => e.epoch), [1, 1, 2, 2, 3, 3]);
  t.same(steps.map((e) => e.docs), [32, 48, 64, 96, 128, 144]);
  for (const e of steps) t.ok(Number.isFinite(e.loss) && e.docsPerSecond > 0);
  const done = events.at(-1)!;
  t.match(done, { type: 'done', steps: 9, epochs: 3, docs: 144, reason: 'epochs' });
  model.dispose();
});

t.test('maxSteps stops mid-epoch, unsubscribes the source and emits no epochEnd for the cut epoch', async (t) => {
  let unsubscribed = 0;
  const source = new Observable<BowBatch>((sub) => {
    const inner = batches(corpus, 8).subscribe(sub);
    return () => {
      unsubscribed++;
      inner.unsubscribe();
    };
  });
  const model = tiny();
  const base = tf.memory().numTensors;
  const events = await run(source, model, { epochs: 5, maxSteps: 8, logEvery: 100 });
  t.same(types(events), ['step', 'epochEnd', 'step', 'done']);
  t.match(events.at(-1), { steps: 8, epochs: 2, reason: 'maxSteps' });
  t.equal(unsubscribed, 2);
  t.equal(tf.memory().numTensors, base, 'batches after the stop are disposed');
  model.dispose();
});

t.test('maxSteps at an epoch boundary still ends that epoch', async (t) => {
  const model = tiny();
  const events = await run(batches(corpus, 16), model, { epochs: 5, maxSteps: 3, logEvery: 100 });
  t.same(types(events), ['step', 'epochEnd', 'done']);
  t.match(events.at(-1), { reason: 'maxSteps', steps: 3 });
  model.dispose();
});

t.test('early stopping: patience epochs without improvement, then stop', async (t) => {
  const cases = [
    { name: 'monitor never improves', monitor: () => 1, patience: 2, epochs: 3 },
    { name: 'patience 0 stops at the first epoch without improvement', monitor: () => 1, patience: 0, epochs: 2 },
    { name: 'monitor improves then stalls', monitor: ({ epoch }: { epoch: number }) => (epoch <= 3 ? 10 - epoch : 7), patience: 1, epochs: 4 },
    { name: 'minDelta makes small gains count as none', monitor: ({ epoch }: { epoch: number }) => 10 - epoch * 0.001, patience: 0, epochs: 2, minDelta: 0.01 },
  ];
  for (const c of cases) {
    const model = tiny();
    const events = await run(batches(corpus, 48), model, {
      epochs: 20,
      earlyStopping: { monitor: c.monitor, patience: c.patience, ...(c.minDelta ? { minDelta: c.minDelta } : {}) },
    });
    t.match(events.at(-1), { type: 'done', reason: 'earlyStopping', epochs: c.epochs }, c.name);
    model.dispose();
  }
});

t.test('gradient clipping bounds the global norm of an update', async (t) => {
  // A linear model with a huge gradient: w·x with loss = 1000 * sum(w).
  const w = tf.variable(tf.zeros([4]));
  const model: TrainableModel<BowBatch> = { lossFn: () => tf.mul(1000, tf.sum(w)) as tf.Scalar, trainableVariables: () => [w] };
  const cases = [
    { clipNorm: undefined, expected: 0.1 * 1000 * 2 /* |g| = 1000·sqrt(4) */ },
    { clipNorm: 1, expected: 0.1 },
    { clipNorm: 1e6, expected: 0.1 * 2000 },
  ];
  for (const c of cases) {
    w.assign(tf.zeros([4]));
    await run(batches(corpus, 48), model, { optimizer: { sgd: { learningRate: 0.1 } }, ...(c.clipNorm ? { clipNorm: c.clipNorm } : {}) });
    const norm = tf.tidy(() => tf.norm(w).dataSync()[0]!);
    t.ok(Math.abs(norm - c.expected) < 1e-3 * c.expected, `clipNorm ${c.clipNorm}: update norm ${norm} ≈ ${c.expected}`);
  }
  w.dispose();
});

t.test('the same seed gives the same weights; another seed does not', async (t) => {
  const go = async (seed: number) => {
    const m = tiny(1);
    await run(batches(corpus, 16), m, { epochs: 2, seed });
    const w = weights(m);
    m.dispose();
    return w;
  };
  const a = await go(5);
  t.same(await go(5), a);
  t.notSame(await go(6), a);
});

t.test('checkpoint and resume: a resumed run ends with the same weights as an uninterrupted one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cf-ckpt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const options: TrainOptions = { epochs: 3, seed: 9, logEvery: 100 };
  const full = tiny(2);
  const fullEvents = await run(batches(corpus, 16), full, options);

  // Interrupted run: stop at step 4 (mid epoch 2), checkpointing every 2 steps.
  const first = tiny(2);
  const ckEvents = await run(batches(corpus, 16), first, { ...options, maxSteps: 4, checkpoint: { dir, every: 2, keep: 1 } });
  const cks = ckEvents.filter((e) => e.type === 'checkpoint');
  t.same(cks.map((e) => e.step), [2, 4]);
  first.dispose();

  // A fresh model (different init seed on purpose: everything must come from the checkpoint).
  const resumed = tiny(77);
  const resumedEvents = await run(batches(corpus, 16), resumed, { ...options, resume: dir });
  t.same(weights(resumed), weights(full));
  const epochLoss = (es: TrainEvent[]) => es.filter((e) => e.type === 'epochEnd').map((e) => [e.epoch, e.loss]);
  // Same losses; the sum is only grouped differently (float32 partial sums), hence the tolerance.
  const got = epochLoss(resumedEvents);
  const want = epochLoss(fullEvents).slice(1);
  t.same(got.map(([e]) => e), [2, 3]);
  got.forEach(([, l], i) => t.ok(Math.abs(l! - want[i]![1]!) < 1e-5 * Math.abs(want[i]![1]!), `epoch ${i + 2} mean loss ${l} ≈ ${want[i]![1]}`));
  t.match(resumedEvents.at(-1), { type: 'done', steps: 9, docs: 144 });
  full.dispose();
  resumed.dispose();
});

t.test('a corrupt checkpoint is refused with CHECKPOINT_CORRUPT', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cf-ckpt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const m = tiny();
  const events = await run(batches(corpus, 16), m, { checkpoint: { dir, every: 3 } });
  const path = (events.find((e) => e.type === 'checkpoint') as { path: string }).path;
  const bytes = await readFile(path);
  bytes[bytes.length - 5]! ^= 0xff;
  await writeFile(path, bytes);
  await t.rejects(run(batches(corpus, 16), m, { resume: path }), { code: 'CHECKPOINT_CORRUPT' });
  m.dispose();
});

t.test('tensors are back to baseline after 1,000 steps', async (t) => {
  const model = new ProdLDA({ vocabSize: corpus.vocabSize, topics: 2, hidden: [4], seed: 1 });
  const base = tf.memory().numTensors;
  const events = await run(batches(syntheticCorpus({ docs: 400, docLength: 5 }), 4), model, { epochs: 10, logEvery: 50, clipNorm: 5 });
  t.match(events.at(-1), { type: 'done', steps: 1000 });
  t.equal(tf.memory().numTensors, base);
  model.dispose();
});

t.test('errors: from the source, from the model, and a diverging loss; batches still freed', async (t) => {
  const base = tf.memory().numTensors;
  const m = tiny();
  await t.rejects(run(concat(batches(corpus, 16), throwError(() => new Error('disk gone'))), m, {}), { message: 'disk gone' });
  const throwing: TrainableModel<BowBatch> = { lossFn: () => { throw new Error('bad model'); }, trainableVariables: () => m.trainableVariables() };
  await t.rejects(run(batches(corpus, 16), throwing, {}), { message: 'bad model' });
  const nan: TrainableModel<BowBatch> = { lossFn: (b) => tf.mul(m.lossFn(b, true), NaN) as tf.Scalar, trainableVariables: () => m.trainableVariables() };
  await t.rejects(run(batches(corpus, 16), nan, { logEvery: 1 }), { code: 'TRAINING_DIVERGED' });
  m.dispose();
  t.equal(tf.memory().numTensors, base, 'every batch and temporary freed after each failure');
});

t.test('empty source, never-emitting source, early unsubscribe', async (t) => {
  const m = tiny();
  const empty = await run(from([] as BowBatch[]), m, { epochs: 2 });
  t.same(types(empty), ['epochEnd', 'epochEnd', 'done']);
  t.ok(Number.isNaN((empty[0] as { loss: number }).loss), 'an empty epoch has no mean loss');

  let unsubscribed = false;
  const never = new Observable<BowBatch>(() => () => {
    unsubscribed = true;
  });
  const sub = never.pipe(train(m)).subscribe();
  sub.unsubscribe();
  t.ok(unsubscribed, 'unsubscribing the trainer unsubscribes the source');
  t.equal(await Promise.race([firstValueFrom(NEVER.pipe(train(m))).then(() => 'value'), new Promise((r) => setTimeout(() => r('none'), 20))]), 'none');
  m.dispose();
});

t.test('options are validated up front', async (t) => {
  const m = tiny();
  const cases: Array<[TrainOptions, RegExp]> = [
    [{ epochs: 0 }, /Invalid option epochs/],
    [{ maxSteps: 1.5 }, /Invalid option maxSteps/],
    [{ clipNorm: -1 }, /Invalid option clipNorm/],
    [{ checkpoint: { dir: '', every: 1 } }, /Invalid option checkpoint.dir/],
    [{ earlyStopping: { patience: -1 } }, /Invalid option earlyStopping.patience/],
  ];
  for (const [options, message] of cases) t.throws(() => train(m, options), { code: 'INVALID_OPTION', message });
  m.dispose();
});

t.test('a caller-owned optimizer keeps its state across runs', async (t) => {
  const m = tiny();
  const opt = new Sgd({ learningRate: 0.01 });
  await run(batches(corpus, 16), m, { optimizer: opt });
  await run(batches(corpus, 16), m, { optimizer: opt });
  t.equal(opt.iterations, 6);
  opt.dispose();
  m.dispose();
});
