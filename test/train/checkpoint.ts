import t from 'tap';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeCheckpoint, encodeCheckpoint, listCheckpoints, readCheckpoint, restoreCheckpoint, snapshotCheckpoint, writeCheckpoint, type TrainingPosition } from '../../src/train/checkpoint.js';
import { Adam, Sgd } from '../../src/train/optimizers.js';
import type { TrainableModel } from '../../src/models/types.js';

await tf.setBackend('cpu');
const position: TrainingPosition = { step: 7, epoch: 2, position: 32, docs: 96, epochLossSum: 12.5, epochSteps: 2, best: 3.25, wait: 1 };

function model(values: number[]): TrainableModel<never> & { vars: tf.Variable[] } {
  const vars = [tf.variable(tf.tensor2d(values.slice(0, 4), [2, 2])), tf.variable(tf.tensor1d(values.slice(4, 6)))];
  const state = tf.variable(tf.tensor1d([values[6]!]), false);
  let draws = 0;
  return {
    vars: [...vars, state],
    lossFn: () => tf.sum(tf.square(vars[0]!)) as tf.Scalar,
    trainableVariables: () => vars,
    stateVariables: () => [state],
    variableNames: () => ['kernel', 'bias', 'running'],
    randomState: () => draws,
    setRandomState: (s) => (draws = s),
  };
}

t.test('snapshot → bytes → restore gives back weights, slots, position, random state and dictionary', async (t) => {
  const a = model([1, 2, 3, 4, 5, 6, 7]);
  a.setRandomState!(42);
  const opt = new Adam({ learningRate: 0.1 });
  tf.tidy(() => opt.applyGradients(a.trainableVariables(), a.trainableVariables().map((v) => tf.onesLike(v))));
  const ck = snapshotCheckpoint(a, opt, position, { toJSON: () => ({ tokens: ['a', 'b'] }) });
  const back = decodeCheckpoint(encodeCheckpoint(ck));
  t.match(back.header, { ...position, randomState: 42, optimizer: { name: 'adam', iterations: 1 }, dictionary: { tokens: ['a', 'b'] } });
  t.same(back.header.variables.map((v) => v.name), ['kernel', 'bias', 'running']);
  t.same(back.header.slots.map((s) => s.name), ['kernel/m', 'kernel/v', 'bias/m', 'bias/v']);

  const b = model([0, 0, 0, 0, 0, 0, 0]);
  const opt2 = new Adam({ learningRate: 0.1 });
  restoreCheckpoint(back, b, opt2);
  for (let i = 0; i < 3; i++) t.same(b.vars[i]!.arraySync(), a.vars[i]!.arraySync());
  t.same(opt2.getSlots(b.trainableVariables()).map((s) => s.tensor.arraySync()), opt.getSlots(a.trainableVariables()).map((s) => s.tensor.arraySync()));
  t.equal(opt2.iterations, 1);
  t.equal(b.randomState!(), 42);

  t.throws(() => restoreCheckpoint(back, b, new Sgd({ learningRate: 1 })), { code: 'CHECKPOINT_CORRUPT', message: /optimizer adam saved/ });
  const other = { ...b, trainableVariables: () => [b.vars[0]!] };
  t.throws(() => restoreCheckpoint(back, other, opt2), { code: 'CHECKPOINT_CORRUPT', message: /3 variables saved, model has 2/ });
  [a, b].forEach((m) => m.vars.forEach((v) => v.dispose()));
  opt.dispose();
  opt2.dispose();
});

t.test('corruption anywhere is detected', async (t) => {
  const a = model([1, 2, 3, 4, 5, 6, 7]);
  const opt = new Sgd({ learningRate: 1 });
  const bytes = encodeCheckpoint(snapshotCheckpoint(a, opt, position));
  const cases: Array<[string, (b: Uint8Array) => Uint8Array, RegExp]> = [
    ['flipped payload byte', (b) => (b[b.length - 1]! ^= 1, b), /Checksum mismatch/],
    ['flipped header byte', (b) => (b[80]! ^= 1, b), /Checksum mismatch/],
    ['truncated', (b) => b.subarray(0, b.length - 4), /Checksum mismatch/],
    ['wrong magic', (b) => (b[0] = 0x41, b), /bad magic/],
    ['empty', () => new Uint8Array(0), /bad magic/],
  ];
  for (const [name, damage, message] of cases) {
    t.throws(() => decodeCheckpoint(damage(new Uint8Array(bytes)), 'x.cfckpt'), { code: 'CHECKPOINT_CORRUPT', message, position: { file: 'x.cfckpt' } }, name);
  }
  a.vars.forEach((v) => v.dispose());
});

t.test('files: atomic writes named by step, keep the newest N, a directory resumes from its newest', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cf-ck-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const a = model([1, 2, 3, 4, 5, 6, 7]);
  const opt = new Sgd({ learningRate: 1 });
  for (const step of [5, 10, 15, 20]) await writeCheckpoint(dir, snapshotCheckpoint(a, opt, { ...position, step }), 2);
  t.same(await readdir(dir), ['ckpt-000000015.cfckpt', 'ckpt-000000020.cfckpt'], 'no temp files left, older ones pruned');
  t.equal((await listCheckpoints(dir)).length, 2);
  t.equal((await readCheckpoint(dir)).header.step, 20);
  t.equal((await readCheckpoint(join(dir, 'ckpt-000000015.cfckpt'))).header.step, 15);
  await t.rejects(readCheckpoint(join(dir, 'nope')), { code: 'FILE_NOT_FOUND' });
  a.vars.forEach((v) => v.dispose());
});
