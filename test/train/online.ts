import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { defer, from, lastValueFrom, toArray } from 'rxjs';
import { OnlineVocabulary, fitOnlineTopicModel, onlineBatches } from '../../src/train/online.js';
import { ProdLDA } from '../../src/models/prodlda.js';
import { Adam } from '../../src/train/optimizers.js';
import { train } from '../../src/train/train.js';
import type { BowBatch } from '../../src/batch/types.js';
import type { TokenizedDocument } from '../../src/sources/types.js';

await tf.setBackend('cpu');

/** Three planted topics of 6 words each, plus one-off noise tokens that pruning must drop. */
function stream(n: number, { noise = true, offset = 0 } = {}): TokenizedDocument[] {
  const docs: TokenizedDocument[] = [];
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const topic = Math.floor(rand() * 3);
    const tokens: string[] = [];
    for (let k = 0; k < 12; k++) tokens.push(`t${topic}w${Math.floor(rand() * 6)}`);
    if (noise) tokens.push(`noise${i + offset}`);
    docs.push({ id: i + offset, tokens });
  }
  return docs;
}

const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

t.test('OnlineVocabulary', async (t) => {
  t.test('new tokens take the lowest free rows; repeated tokens keep theirs', async (t) => {
    const v = new OnlineVocabulary({ capacity: 5 });
    t.same(v.addDocument(['a', 'b', 'a']), { bow: [[0, 2], [1, 1]], newRows: [0, 1] });
    t.same(v.addDocument(['b', 'c']), { bow: [[1, 1], [2, 1]], newRows: [2] });
    t.same([...v.token2row], [['a', 0], ['b', 1], ['c', 2]]);
    t.equal(v.dfs[1], 2);
    t.equal(v.cfs[0], 2);
  });

  t.test('a full vocabulary rejects new tokens and counts them', async (t) => {
    const v = new OnlineVocabulary({ capacity: 2 });
    t.same(v.addDocument(['a', 'b', 'c', 'c']).bow, [[0, 1], [1, 1]]);
    t.equal(v.stats.rejected, 2);
    t.equal(v.size, 2);
  });

  t.test('prune drops tokens below the rate once they are old enough, and their rows are reused', async (t) => {
    const v = new OnlineVocabulary({ capacity: 10, pruneEvery: 4, noBelow: 2, headroom: 0 });
    v.addDocument(['common', 'rare']);
    v.addDocument(['common']);
    v.addDocument(['common', 'young']);
    t.notOk(v.shouldPrune());
    v.addDocument(['common']);
    t.ok(v.shouldPrune());
    // rare: 1 doc in 4 (< 2 per 4): pruned. young: 2 docs old, spared. common: kept.
    t.same(v.prune(), [1]);
    t.same([...v.token2row].sort(), [['common', 0], ['young', 2]]);
    t.equal(v.row2token[1], undefined);
    t.equal(v.dfs[1], 0);
    t.same(v.addDocument(['new']).newRows, [1], 'the freed row is handed out first');
    t.equal(v.stats.pruned, 1);
  });

  t.test('noAbove refuses tokens that are everywhere, for good', async (t) => {
    const v = new OnlineVocabulary({ capacity: 10, pruneEvery: 2, noBelow: 0, noAbove: 0.5, headroom: 0 });
    v.addDocument(['the', 'a']);
    v.addDocument(['the', 'b']);
    t.same(v.prune(), [0]);
    t.same(v.addDocument(['the']).bow, [], 'refused');
    t.equal(v.stats.rejected, 1);
  });

  t.test('when full, a prune frees the rarest tokens down to the headroom', async (t) => {
    const v = new OnlineVocabulary({ capacity: 4, pruneEvery: 1, noBelow: 0, headroom: 0.5 });
    v.addDocument(['a', 'b', 'c', 'd']);
    v.addDocument(['a', 'b']);
    v.addDocument(['a', 'c']);
    // rates: a 3/3, b 2/3, c 2/3, d 1/3: d goes, then the lower row among b and c.
    t.same(v.prune(), [1, 3]);
    t.same([...v.token2row.keys()].sort(), ['a', 'c']);
  });

  t.test('toDictionary: ids are rows, with gaps', async (t) => {
    const v = new OnlineVocabulary({ capacity: 10, pruneEvery: 2, noBelow: 2, headroom: 0 });
    v.addDocument(['x', 'y']);
    v.addDocument(['x', 'z']);
    v.addDocument(['x']);
    v.prune();
    const d = v.toDictionary();
    t.same([...d.token2id], [['x', 0]]);
    t.equal(d.dfs.get(0), 3);
    t.equal(d.numDocs, 3);
    t.equal(d.id2token.get(0), 'x');
  });

  t.test('options are validated', async (t) => {
    for (const [o, code] of [
      [{ capacity: 0 }, 'INVALID_OPTION'],
      [{ capacity: 3, pruneEvery: 0 }, 'INVALID_OPTION'],
      [{ capacity: 3, noAbove: 0 }, 'INVALID_OPTION'],
      [{ capacity: 3, headroom: 1 }, 'INVALID_OPTION'],
    ] as const) {
      t.throws(() => new OnlineVocabulary(o), { code }, JSON.stringify(o));
    }
  });
});

t.test('recycled rows: weights re-initialised, optimizer state zeroed, softmax mass only on live rows', async (t) => {
  const baseline = tf.memory().numTensors;
  const capacity = 30;
  const model = new ProdLDA({ vocabSize: capacity, capacity, topics: 3, hidden: [8], seed: 3 });
  model.setLive(allRows(capacity), false);
  const vocab = new OnlineVocabulary({ capacity, pruneEvery: 40, noBelow: 2, headroom: 0 });
  const optimizer = new Adam({ learningRate: 0.01 });
  const encoder = model.trainableVariables().find((v) => v.name.endsWith('encoder1/kernel'))!;
  const decoder = model.trainableVariables().find((v) => v.name.endsWith('decoder/kernel'))!;
  const slot = (v: tf.Variable, k: number) => optimizer.getSlots([v])[k]!.tensor;
  const prunes: Array<{ freed: number[]; mBefore: number[]; encBefore: number[] }> = [];
  let checked = 0;
  const reused: number[] = [];

  // Noise tokens arrive once each: pruning frees them every 40 docs, and later noise tokens take those rows.
  const docs = stream(120);
  await lastValueFrom(
    from(docs).pipe(
      onlineBatches(vocab, model, {
        batchSize: 20,
        optimizer,
        onPrune: (freed) => {
          for (let k = 0; k < 3; k++) for (let w = 0; w < 6; w++) if (!vocab.token2row.has(`t${k}w${w}`)) t.fail(`topic word t${k}w${w} pruned`);
          prunes.push({ freed, mBefore: Array.from(slot(encoder, 0).dataSync()), encBefore: Array.from(encoder.dataSync()) });
        },
      }),
      // Look at the batch right after a prune, before its step: recycled rows must be fresh.
      (batches) =>
        defer(() => {
          let seen = 0;
          return batches.pipe((src) =>
            src.pipe((s) =>
              new (s.constructor as any)((sub: any) =>
                s.subscribe({
                  next(b: BowBatch) {
                    seen++;
                    const last = prunes.at(-1);
                    if (last && seen === Math.floor(vocab.stats.docs / 20) && !('done' in last)) {
                      (last as any).done = true;
                      const m = slot(encoder, 0).dataSync();
                      const vv = slot(encoder, 1).dataSync();
                      const dm = slot(decoder, 0).dataSync();
                      const enc = encoder.dataSync();
                      for (const r of last.freed) {
                        if (!model.live[r]) continue;
                        reused.push(r);
                        for (let h = 0; h < 8; h++) {
                          if (m[r * 8 + h] !== 0 || vv[r * 8 + h] !== 0) t.fail(`encoder Adam state of row ${r} not zeroed`);
                          if (enc[r * 8 + h] === last.encBefore[r * 8 + h]) t.fail(`encoder row ${r} not re-initialised`);
                        }
                        for (let k = 0; k < 3; k++) if (dm[k * capacity + r] !== 0) t.fail(`decoder Adam state of row ${r} not zeroed`);
                        checked++;
                      }
                    }
                    sub.next(b);
                  },
                  error: (e: unknown) => sub.error(e),
                  complete: () => sub.complete(),
                }),
              ),
            ),
          );
        }),
      train(model, { optimizer, logEvery: 1000 }),
      toArray(),
    ),
  );
  t.ok(prunes.length >= 2, `pruned ${prunes.length} times`);
  t.equal(vocab.stats.admitted, vocab.size + vocab.stats.pruned, 'every admitted token is live or was pruned');
  t.ok(checked > 0, `${checked} recycled rows checked`);
  t.ok(prunes[0]!.mBefore.some((x, i) => x !== 0 && reused.includes(Math.floor(i / 8))), 'those rows had non-zero Adam state before the reset');

  // Softmax mass on dead rows: the loss gradient of a dead decoder column is N·θ·p(row), so it is ~0 exactly when p(row) is.
  // Free the noise rows, as a prune does, so that the batch below meets dead rows.
  const noiseRows = [...vocab.token2row].filter(([token]) => token.startsWith('noise')).map(([, row]) => row);
  model.setLive(noiseRows, false);
  const live = Array.from(model.live);
  t.ok(live.some((l) => l === 0) && live.some((l) => l === 1), 'some rows live, some dead');
  const batch = await lastValueFrom(from(stream(16, { noise: false })).pipe(onlineBatches(vocab, model, { batchSize: 16 })));
  const { grads, value } = tf.variableGrads(() => model.lossFn(batch, false), [decoder]);
  const g = grads[decoder.name]!.dataSync();
  let deadMax = 0;
  let liveMax = 0;
  for (let k = 0; k < 3; k++) {
    for (let r = 0; r < capacity; r++) {
      const a = Math.abs(g[k * capacity + r]!);
      if (model.live[r]) liveMax = Math.max(liveMax, a);
      else deadMax = Math.max(deadMax, a);
    }
  }
  t.ok(deadMax < 1e-6, `dead rows get no probability mass (max |grad| ${deadMax})`);
  t.ok(liveMax > 1e-4, `live rows do (max |grad| ${liveMax})`);
  tf.dispose([value, grads[decoder.name]!]);
  batch.dispose();
  optimizer.dispose();
  model.dispose();
  t.equal(tf.memory().numTensors, baseline, 'tensors back to baseline');
});

t.test('fitOnlineTopicModel: one subscription to the source, the vocabulary grows from empty, topics come out', async (t) => {
  const baseline = tf.memory().numTensors;
  let subscriptions = 0;
  const docs = stream(300);
  const fit = fitOnlineTopicModel({
    documents: () => defer(() => (subscriptions++, from(docs))),
    vocabulary: { capacity: 64, pruneEvery: 50, noBelow: 2 },
    batch: { size: 25 },
    model: { topics: 3, hidden: [16], seed: 1 },
    train: { logEvery: 4, optimizer: { adam: { learningRate: 0.02, beta1: 0.9 } } },
  });
  const events = await lastValueFrom(fit.pipe(toArray()));
  t.equal(subscriptions, 1, 'the stream is read exactly once');
  t.match(events.at(-1), { type: 'done', epochs: 1, docs: 300, steps: 12 });
  const vocab = fit.vocabulary!;
  t.ok(vocab.stats.pruned > 0, `${vocab.stats.pruned} noise tokens pruned`);
  t.ok(vocab.stats.admitted > 64, `rows were reused: ${vocab.stats.admitted} admissions into 64 rows`);
  for (let k = 0; k < 3; k++) for (let w = 0; w < 6; w++) t.ok(vocab.token2row.has(`t${k}w${w}`), `t${k}w${w} kept`);
  const dictionary = fit.dictionary!;
  t.equal(dictionary.size, vocab.size);
  const model = fit.model!;
  for (const [token, row] of dictionary.token2id) {
    t.equal(model.live[row], 1, `${token}'s row is live`);
  }
  t.equal(Array.from(model.live).reduce((a, b) => a + b, 0), vocab.size, 'live rows = live tokens');
  const topics = model.topics(dictionary, 6);
  // Each planted topic should dominate some learned topic's top words.
  const purity = topics.map((tp) => {
    const counts = [0, 0, 0];
    for (const w of tp.words) if (/^t\dw/.test(w.token)) counts[Number(w.token[1])]!++;
    return Math.max(...counts);
  });
  t.ok(purity.reduce((a, b) => a + b, 0) >= 12, `topics are mostly planted words: ${JSON.stringify(topics.map((x) => x.words.map((w) => w.token)))}`);
  model.dispose();
  t.equal(tf.memory().numTensors, baseline, 'tensors back to baseline');
});

t.test('errors: a capacity mismatch is refused, an upstream error reaches the subscriber and frees the optimizer', async (t) => {
  const model = new ProdLDA({ vocabSize: 4, capacity: 4, topics: 2, hidden: [4] });
  t.throws(() => onlineBatches(new OnlineVocabulary({ capacity: 5 }), model), { code: 'INVALID_OPTION' });
  model.dispose();
  const baseline = tf.memory().numTensors;
  const fit = fitOnlineTopicModel({
    documents: () => defer(() => {
      throw new Error('boom');
    }),
    vocabulary: { capacity: 8 },
    model: { topics: 2, hidden: [4] },
  });
  await t.rejects(lastValueFrom(fit), /boom/);
  fit.model!.dispose();
  t.equal(tf.memory().numTensors, baseline);
});

t.test("fitTopicModel mode 'online' hands over to fitOnlineTopicModel and refuses two-pass options", async (t) => {
  const { fitTopicModel } = await import('../../src/train/fit.js');
  let subscriptions = 0;
  const fit = fitTopicModel({
    mode: 'online',
    online: { capacity: 40, pruneEvery: 50 },
    documents: () => defer(() => (subscriptions++, from(stream(60, { noise: false })))),
    batch: { size: 20 },
    model: { topics: 3, hidden: [8] },
  });
  const events = await lastValueFrom(fit.pipe(toArray()));
  t.equal(subscriptions, 1);
  t.match(events.at(-1), { type: 'done', docs: 60, epochs: 1 });
  t.equal(fit.dictionary!.size, 18);
  fit.model!.dispose();
  const documents = () => from([] as TokenizedDocument[]);
  t.throws(() => fitTopicModel({ mode: 'online', documents }), { code: 'INVALID_OPTION' }, 'online needs a capacity');
  t.throws(() => fitTopicModel({ mode: 'online', online: { capacity: 4 }, documents, train: { epochs: 3 } }), { code: 'INVALID_OPTION' }, 'one pass only');
  t.throws(() => fitTopicModel({ mode: 'online', online: { capacity: 4 }, documents, dictionary: { noBelow: 2 } }), { code: 'INVALID_OPTION' });
});
