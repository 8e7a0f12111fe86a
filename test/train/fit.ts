import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defer, from, lastValueFrom, toArray } from 'rxjs';
import { fitTopicModel } from '../../src/train/fit.js';
import { CacheRemap, TokenCacheWriter, readTokenCache } from '../../src/train/token-cache.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { syntheticCorpus } from '../fixtures/train/synthetic.js';

await tf.setBackend('cpu');
const corpus = syntheticCorpus({ docs: 60, topics: 3, wordsPerTopic: 6 });
// Tokenised documents, plus a rare token in one document that filterExtremes must drop.
const docs = corpus.docs.map((d, i) => ({
  id: `doc-${i}`,
  tokens: [...d.bow.flatMap(([id, n]) => Array<string>(n).fill(corpus.id2token.get(id)!)), ...(i === 0 ? ['rare'] : [])],
}));

t.test('two passes: the dictionary is filtered, then the model trains on it; passes re-read the documents', async (t) => {
  let reads = 0;
  const fit = fitTopicModel({
    documents: () => defer(() => (reads++, from(docs))),
    dictionary: { noBelow: 2, noAbove: 1 },
    batch: { size: 20, shuffle: 30, seed: 1 },
    model: { topics: 3, hidden: [8] },
    train: { epochs: 2, logEvery: 100 },
  });
  t.equal(fit.model, undefined, 'nothing built before subscribing');
  const events = await lastValueFrom(fit.pipe(toArray()));
  t.equal(reads, 3, 'pass 1 plus one read per epoch');
  t.equal(fit.dictionary!.size, corpus.vocabSize, 'the rare token is filtered out');
  t.notOk(fit.dictionary!.token2id.has('rare'));
  t.equal(fit.model!.vocabSize, corpus.vocabSize);
  t.match(events.at(-1), { type: 'done', epochs: 2, docs: 120 });
  fit.model!.dispose();
});

t.test('the token cache replaces re-reading in later epochs and gives the same bags of words', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cf-fit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let reads = 0;
  const path = join(dir, 'tokens.bin');
  const fit = fitTopicModel({
    documents: () => defer(() => (reads++, from(docs))),
    dictionary: { noBelow: 2, noAbove: 1 },
    batch: { size: 20, shuffle: false },
    model: { topics: 3, hidden: [8] },
    train: { epochs: 2, logEvery: 100 },
    tokenCache: path,
  });
  await lastValueFrom(fit);
  t.equal(reads, 1, 'only pass 1 reads the documents');
  const dictionary = fit.dictionary!;
  const fromCache = await lastValueFrom(
    readTokenCache(path, await CacheRemap.fromFile(path, dictionary.token2id)).pipe(toArray()),
  );
  t.same(fromCache, docs.map((d) => ({ id: d.id, bow: dictionary.doc2bow(d.tokens) })));
  fit.model!.dispose();
});

t.test('token cache: round trip across read chunks, and a truncated file is an error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cf-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'c.bin');
  const w = new TokenCacheWriter(path);
  // ~100k ids: several 64 KiB read chunks, records split across them.
  const many = Array.from({ length: 500 }, (_, i) => ({ id: i, tokens: Array.from({ length: 200 }, (_, j) => `w${(i * 7 + j) % 50}`) }));
  for (const d of many) await w.write(d.id, d.tokens);
  await w.commit();
  const dict = new Dictionary(many.map((d) => d.tokens));
  const got = await lastValueFrom(readTokenCache(path, await CacheRemap.fromFile(path, dict.token2id)).pipe(toArray()));
  t.same(got, many.map((d) => ({ id: d.id, bow: dict.doc2bow(d.tokens) })));

  await writeFile(path, Buffer.from('CFTOKS01\u0001\u0000\u0000', 'latin1'));
  await t.rejects(lastValueFrom(readTokenCache(path, new Int32Array(0))), { code: 'CHECKPOINT_CORRUPT', message: /truncated/ });
  // a record claiming 1,000,000,000 token ids: refused from the file's size, at the record's offset
  const huge = Buffer.alloc(8 + 4 + 1 + 4 + 8);
  Buffer.from('CFTOKS01', 'latin1').copy(huge, 0);
  huge.writeUInt32LE(1, 8);
  huge.write('7', 12, 'latin1');
  huge.writeUInt32LE(1_000_000_000, 13);
  await writeFile(path, huge);
  await t.rejects(lastValueFrom(readTokenCache(path, new Int32Array(0))), { code: 'CHECKPOINT_CORRUPT', message: /truncated/, position: { byte: 8 } });
  await writeFile(path, 'not a cache');
  await t.rejects(lastValueFrom(readTokenCache(path, new Int32Array(0))), { code: 'CHECKPOINT_CORRUPT', message: /bad magic/ });
  await t.rejects(lastValueFrom(readTokenCache(join(dir, 'missing'), new Int32Array(0))), { code: 'FILE_NOT_FOUND' });
});
