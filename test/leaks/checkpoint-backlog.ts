// Regression: checkpoint snapshots must not pile up in memory when the steps outrun the disk.
// A source that emits a whole epoch synchronously (here: an in-memory corpus) never lets a checkpoint
// write finish before the epoch ends; the trainer used to keep every snapshot of the epoch waiting.
// Now at most `keep` wait (older ones would only be written to be deleted by rotation) plus one in flight.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, toArray } from 'rxjs';
import { train, type TrainEvent } from '../../src/train/train.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { ProdLDA } from '../../src/models/prodlda.js';
import { syntheticCorpus, batches } from '../fixtures/train/synthetic.js';

await tf.setBackend('cpu');
const corpus = syntheticCorpus({ docs: 80 });

const cases = [
  { name: 'keep 2, every step', every: 1, keep: 2, want: [1, 19, 20] },
  { name: 'keep 1, every 3 steps', every: 3, keep: 1, want: [3, 18] },
  { name: 'keep 5, every 4 steps: nothing to drop', every: 4, keep: 5, want: [4, 8, 12, 16, 20] },
];
for (const c of cases) {
  t.test(c.name, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-backlog-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const before = tf.memory().numTensors;
    const model = new ProdLDA({ vocabSize: corpus.vocabSize, topics: 3, hidden: [8], seed: 1 });
    // 80 documents in batches of 4: 20 steps, all inside one synchronous emission.
    const events: TrainEvent[] = await lastValueFrom(batches(corpus, 4).pipe(train(model, { checkpoint: { dir, every: c.every, keep: c.keep } }), toArray()));
    const written = events.filter((e) => e.type === 'checkpoint').map((e) => e.step);
    t.same(written, c.want, 'the first snapshot goes straight to the writer; of the rest only the newest `keep` are written');
    t.same(readdirSync(dir).sort(), c.want.slice(-c.keep).map((s) => `ckpt-${String(s).padStart(9, '0')}.cfckpt`), 'rotation leaves the newest');
    const newest = await readCheckpoint(dir);
    const last = c.want.at(-1)!;
    t.match(newest.header, { step: last, epoch: 1, position: last * 4, docs: last * 4 }, 'the newest checkpoint is the last one due');
    model.dispose();
    t.equal(tf.memory().numTensors, before);
  });
}
