// The token-id cache (src/train/token-cache.ts) as `corpusflow run` uses it: written in pass 1 by
// buildDictionary, read back as the bags of words of every epoch (bowBatches' `bows`) and as the
// token sequences of the coherence texts. Both must be exactly what re-reading the input gives.
// (Round trips across read chunks and corrupt files are covered in test/train/fit.ts.)
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, map, take, toArray, type Observable } from 'rxjs';
import { CacheRemap, TokenCacheWriter, readTokenCache, readTokenCacheTokens } from '../../src/train/token-cache.js';
import { buildDictionary, buildPipeline, bowBatches, type BuiltPipeline } from '../../src/config/build.js';
import { loadPipeline } from '../../src/config/load.js';
import { resolvePipeline } from '../../src/config/resolve.js';
import { FlowControl } from '../../src/sources/flow.js';
import type { BowBatch } from '../../src/batch/types.js';
import type { Dictionary } from '../../src/dictionary/dictionary.js';

await tf.setBackend('cpu');
const root = path.resolve(import.meta.dirname, '..', '..');
const dir = await mkdtemp(path.join(tmpdir(), 'cf-token-cache-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** The quickstart pipeline (480 notes) with `set` overrides, pass 1 run with a cache writer. */
async function passOne(name: string, set: string[]): Promise<{ built: BuiltPipeline; dictionary: Dictionary; writer: TokenCacheWriter }> {
  const file = path.join(root, 'pipelines', 'quickstart.yaml');
  const loaded = await loadPipeline(file, { set, cwd: root, env: {} });
  const built = await buildPipeline(resolvePipeline(loaded.config, file, root));
  const writer = new TokenCacheWriter(path.join(dir, `${name}.cache`));
  const dictionary = await buildDictionary(built, (pass) => lastValueFrom(pass, { defaultValue: undefined }).then(() => undefined), { tokenCache: writer });
  await writer.commit();
  return { built, dictionary, writer };
}

/** Cache id -> token per segment, every token of `docs` known (a dictionary of all of them). */
async function tokensOf(cachePath: string, docs: ReadonlyArray<{ tokens: readonly string[] }>): Promise<(segment: number) => string[]> {
  const vocabulary = [...new Set(docs.flatMap((d) => d.tokens))];
  const remap = await CacheRemap.fromFile(cachePath, new Map(vocabulary.map((w, i) => [w, i])));
  const id2token = new Map(vocabulary.map((w, i) => [i, w]));
  return (segment) => remap.tokens(segment, id2token, '\u0000not a token');
}

/** Every batch of `epochs` subscriptions as plain data (ids and tensor values), disposed as it goes. */
async function drain(batches: Observable<BowBatch>, epochs: number): Promise<unknown[]> {
  const all: unknown[] = [];
  for (let e = 0; e < epochs; e++) {
    const epoch = await lastValueFrom(
      batches.pipe(
        map((b) => {
          const data =
            b.kind === 'sparse'
              ? { rows: Array.from(b.rows.dataSync()), ids: Array.from(b.ids.dataSync()), counts: Array.from(b.counts.dataSync()) }
              : { x: Array.from(b.x.dataSync()) };
          const row = { size: b.size, docIds: b.docIds, tokens: b.tokens, ...data };
          b.dispose();
          return row;
        }),
        toArray(),
      ),
    );
    all.push(epoch);
  }
  return all;
}

const cases = [
  { name: 'training: shuffled, sparse, remainder kept', set: [], options: { shuffled: true }, epochs: 3 },
  { name: 'training: small shuffle buffer, dense, remainder dropped', set: ['batch={size: 50, shuffle: 64, format: dense, drop_remainder: true}'], options: { shuffled: true }, epochs: 2 },
  { name: 'training: resumed at epoch 3 (startEpoch)', set: [], options: { shuffled: true, startEpoch: 2 }, epochs: 1 },
  { name: 'evaluation: input order, batches of 256, empty documents kept', set: ['dictionary={no_below: 40, no_above: 0.2}'], options: { shuffled: false, size: 256, dropEmpty: false }, epochs: 1 },
];

for (const c of cases) {
  t.test(`bowBatches from the cache = from the input: ${c.name}`, async (t) => {
    const before = tf.memory().numTensors;
    const { built, dictionary, writer } = await passOne(c.name.replace(/\W+/g, '-'), c.set);
    t.equal(writer.documents, 480, 'pass 1 cached every document');
    const bows = readTokenCache(writer.path, await CacheRemap.fromFile(writer.path, dictionary.token2id));
    const fromInput = await drain(bowBatches(built, dictionary, c.options), c.epochs);
    const fromCache = await drain(bowBatches(built, dictionary, { ...c.options, bows }), c.epochs);
    t.ok((fromInput[0] as unknown[]).length > 1, 'several batches');
    // compared as JSON: tap's deep comparison is very slow on arrays this size
    const epochs = fromInput.map((e) => JSON.stringify(e));
    if (c.epochs > 1) t.not(epochs[0], epochs[1], 'each epoch shuffles anew');
    t.ok(fromCache.every((e, i) => JSON.stringify(e) === epochs[i]), 'the same batches in the same order');
    t.equal(fromCache.length, c.epochs);
    t.equal(tf.memory().numTensors, before, 'no tensor left');
  });
}

t.test('readTokenCacheTokens gives back the tokenised documents (for coherence)', async (t) => {
  const { built, writer } = await passOne('tokens', ['dictionary={no_below: 40, no_above: 0.2}']);
  const fromInput = await lastValueFrom(built.tokens.pipe(map((d) => ({ id: d.id, tokens: d.tokens })), toArray()));
  const tokens = await tokensOf(writer.path, fromInput);
  const fromCache = await lastValueFrom(readTokenCacheTokens(writer.path, tokens).pipe(toArray()));
  t.same(fromCache, fromInput, 'same ids, same token sequences (tokens the dictionary dropped included)');

  const short = await lastValueFrom(readTokenCacheTokens(writer.path, tokens).pipe(take(3), toArray()));
  t.same(short, fromInput.slice(0, 3), 'an early unsubscribe stops cleanly');
  await t.rejects(lastValueFrom(readTokenCacheTokens(writer.path, ['only-one'])), { code: 'CHECKPOINT_CORRUPT', message: /beyond the cache vocabulary/ });
});

t.test('flow control: reading waits while downstream holds highWaterMark documents', async (t) => {
  const { dictionary, writer } = await passOne('flow', []);
  const flow = new FlowControl({ highWaterMark: 4 });
  const held: Array<() => void> = [];
  let emitted = 0;
  let finished = false;
  const done = lastValueFrom(
    readTokenCache(writer.path, await CacheRemap.fromFile(writer.path, dictionary.token2id), { flow }).pipe(
      map((d) => {
        emitted++;
        held.push(flow.hold()); // as mapAsync does for a document it is still working on
        return d;
      }),
      toArray(),
    ),
  ).finally(() => (finished = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(emitted, 4, 'stopped at the high-water mark');
  // a slow consumer: one document finished per turn of the event loop
  while (!finished) {
    held.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.equal((await done).length, 480, 'every document, once released');
  t.equal(flow.peakInFlight, 4, 'never more than highWaterMark held');
});

t.test('writer: records gathered into chunks, a document larger than a chunk, and an empty cache', async (t) => {
  const cases = [
    { name: 'no documents', docs: [] as Array<{ id: string | number; tokens: string[] }> },
    { name: 'one document of 40,000 tokens (160 KB, over a 64 KiB chunk) between small ones', docs: [
      { id: 'a', tokens: ['x', 'y'] },
      { id: 7, tokens: Array.from({ length: 40_000 }, (_, i) => `t${i % 997}`) },
      { id: 'ü-€', tokens: [] },
      { id: 'b', tokens: ['y', 'y', 'z'] },
    ] },
    { name: '3,000 small documents', docs: Array.from({ length: 3000 }, (_, i) => ({ id: `d${i}`, tokens: [`w${i % 13}`, `w${i % 7}`, `w${i % 13}`] })) },
  ];
  for (const c of cases) {
    const w = new TokenCacheWriter(path.join(dir, `writer-${c.docs.length}.cache`));
    for (const d of c.docs) await w.write(d.id, d.tokens);
    await w.commit();
    t.equal(w.documents, c.docs.length, `${c.name}: counted`);
    const got = await lastValueFrom(readTokenCacheTokens(w.path, await tokensOf(w.path, c.docs)).pipe(toArray()));
    t.same(got, c.docs, `${c.name}: read back`);
  }
});

t.test('segments: a bounded vocabulary in memory, the same documents read back', async (t) => {
  // Documents whose vocabulary keeps growing (half the tokens are new in each document), as with
  // URLs, numbers or typos in a real corpus: the writer keeps at most maxVocabulary tokens in memory.
  const docs = Array.from({ length: 400 }, (_, i) => ({
    id: i,
    tokens: Array.from({ length: 12 }, (_, j) => (j % 2 === 0 ? `new${i}_${j}` : `common${(i + j) % 17}`)),
  }));
  // Tokens that UTF-8 could not carry (a lone surrogate, as a JSON escape can give) or that need it (é, an astral letter).
  docs[3]!.tokens.push('lone\uD800', 'café', '𝐀x');
  docs[250]!.tokens.push('lone\uD800', '\uDC00');
  const vocabulary = [...new Set(docs.flatMap((d) => d.tokens))];
  // A dictionary that keeps every other token, so some ids map to -1 in every segment.
  const kept = vocabulary.filter((_, i) => i % 2 === 0);
  const token2id = new Map(kept.map((w, i) => [w, i]));
  const bowOf = (tokens: readonly string[]) => {
    const counts = new Map<number, number>();
    for (const w of tokens) if (token2id.has(w)) counts.set(token2id.get(w)!, (counts.get(token2id.get(w)!) ?? 0) + 1);
    return [...counts].sort((a, b) => a[0] - b[0]);
  };
  const cases = [
    { maxVocabulary: 12, segments: 400 },
    { maxVocabulary: 100, segments: 29 },
    { maxVocabulary: 1000, segments: 3 },
    { maxVocabulary: undefined, segments: 1 },
  ];
  for (const c of cases) {
    const file = path.join(dir, `segments-${c.maxVocabulary ?? 'default'}.cache`);
    const w = new TokenCacheWriter(file, c.maxVocabulary === undefined ? {} : { maxVocabulary: c.maxVocabulary });
    let peak = 0;
    for (const d of docs) {
      await w.write(d.id, d.tokens);
      peak = Math.max(peak, w.vocabulary.size);
    }
    await w.commit();
    const label = `maxVocabulary ${c.maxVocabulary ?? 'default'}`;
    // A segment ends before the first document that finds it full: at most maxVocabulary - 1 plus one document's tokens.
    const bound = (c.maxVocabulary ?? Infinity) - 1 + Math.max(...docs.map((d) => d.tokens.length));
    t.ok(peak <= bound, `${label}: at most ${bound} tokens held (peak ${peak})`);
    t.equal(w.segments, c.segments, `${label}: ${c.segments} segments`);
    const remap = await CacheRemap.fromFile(file, token2id);
    t.equal(remap.segmentCount, c.segments);
    const bows = await lastValueFrom(readTokenCache(file, remap).pipe(toArray()));
    t.same(bows, docs.map((d) => ({ id: d.id, bow: bowOf(d.tokens) })), `${label}: bags of words`);
    const back = await lastValueFrom(readTokenCacheTokens(file, await tokensOf(file, docs)).pipe(toArray()));
    t.same(back, docs, `${label}: token sequences`);
  }
});

t.test('segments: a document with more distinct tokens than maxVocabulary is held whole, then the segment ends', async (t) => {
  const file = path.join(dir, 'big-doc.cache');
  const w = new TokenCacheWriter(file, { maxVocabulary: 5 });
  const docs = [
    { id: 'a', tokens: ['x', 'y'] },
    { id: 'b', tokens: Array.from({ length: 20 }, (_, i) => `t${i}`) },
    { id: 'c', tokens: ['x'] },
  ];
  for (const d of docs) await w.write(d.id, d.tokens);
  await w.commit();
  t.equal(w.segments, 2);
  t.same(await lastValueFrom(readTokenCacheTokens(file, await tokensOf(file, docs)).pipe(toArray())), docs);
});

t.test('segments: a corrupt vocabulary file is an error naming it, and a huge length is not allocated', async (t) => {
  const file = path.join(dir, 'corrupt.cache');
  const w = new TokenCacheWriter(file, { maxVocabulary: 2 });
  for (const d of [{ id: 1, tokens: ['a', 'b'] }, { id: 2, tokens: ['c'] }]) await w.write(d.id, d.tokens);
  await w.commit();
  const { readFile, writeFile } = await import('node:fs/promises');
  const good = await readFile(w.vocabularyPath);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['bad magic', Buffer.from('not a vocabulary'), /bad magic/],
    ['truncated', good.subarray(0, good.length - 1), /truncated/],
    ['a 4 GiB token length', Buffer.concat([good.subarray(0, 12), Buffer.from([0xff, 0xff, 0xff, 0xfe])]), /truncated/],
  ];
  for (const [name, bytes, message] of cases) {
    await writeFile(w.vocabularyPath, bytes);
    await t.rejects(CacheRemap.fromFile(file, new Map()), { code: 'CHECKPOINT_CORRUPT', message, position: { file: w.vocabularyPath } }, name);
  }
  await t.rejects(CacheRemap.fromFile(path.join(dir, 'missing.cache'), new Map()), { code: 'FILE_NOT_FOUND' });
});

t.test('segments: records and vocabulary segments larger than the streams\' buffers do not stall the writer', async (t) => {
  // 20,000 distinct tokens a document: each record (80 KB) and each vocabulary segment (over 64 KiB) fills
  // its stream's buffer, so the writer waits for 'drain' on both streams at a segment's end.
  const file = path.join(dir, 'large-segments.cache');
  const w = new TokenCacheWriter(file, { maxVocabulary: 30_000 });
  const docs = Array.from({ length: 5 }, (_, i) => ({ id: i, tokens: Array.from({ length: 20_000 }, (_, j) => `d${i}w${j}`) }));
  const written = (async () => {
    for (const d of docs) await w.write(d.id, d.tokens);
    await w.commit();
    return true;
  })();
  const stalled = new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000).unref());
  t.equal(await Promise.race([written, stalled]), true, 'every document written and committed');
  t.equal(w.segments, 3);
  t.same(await lastValueFrom(readTokenCacheTokens(file, await tokensOf(file, docs)).pipe(toArray())), docs);
});

t.test('two subscriptions read at once, each with its own tables', async (t) => {
  const file = path.join(dir, 'concurrent.cache');
  const w = new TokenCacheWriter(file, { maxVocabulary: 40 });
  const docs = Array.from({ length: 60 }, (_, i) => ({ id: i, tokens: Array.from({ length: 8 }, (_, j) => `t${(i * 5 + j) % 97}`) }));
  for (const d of docs) await w.write(d.id, d.tokens);
  await w.commit();
  t.ok(w.segments > 3, `${w.segments} segments`);
  const token2id = new Map([...new Set(docs.flatMap((d) => d.tokens))].map((tok, i) => [tok, i]));
  const remap = await CacheRemap.fromFile(file, token2id);
  const bows = readTokenCache(file, remap);
  const texts = readTokenCacheTokens(file, await tokensOf(file, docs));
  const [a, b, c] = await Promise.all([lastValueFrom(bows.pipe(toArray())), lastValueFrom(bows.pipe(toArray())), lastValueFrom(texts.pipe(toArray()))]);
  const want = docs.map((d) => {
    const counts = new Map<number, number>();
    for (const tok of d.tokens) counts.set(token2id.get(tok)!, (counts.get(token2id.get(tok)!) ?? 0) + 1);
    return { id: d.id, bow: [...counts].sort((x, y) => x[0] - y[0]) };
  });
  t.same(a, want, 'first bag-of-words reader');
  t.same(b, want, 'second bag-of-words reader, at the same time');
  t.same(c, docs, 'a token reader at the same time');
});
