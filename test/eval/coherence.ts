import t from 'tap';
import { createReadStream, readFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { from, Observable } from 'rxjs';
import {
  coherence,
  coherenceMeasures,
  CoherenceAccumulator,
  COHERENCE_MEASURES,
  type CoherenceMeasure,
} from '../../src/eval/coherence.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));

/** bbc-news texts, split on spaces as the oracle did, streamed line by line. */
async function* bbcTexts(): AsyncIterable<string[]> {
  const lines = createInterface({ input: createReadStream(fixture('corpora/bbc-news.ndjson.gz')).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line) yield (JSON.parse(line) as { text: string }).text.split(' ');
  }
}

interface OracleMeasure {
  per_topic: number[];
  mean: number;
  window_size: number | null;
}
type Oracle = { topics: string[][]; topn: number } & Record<CoherenceMeasure, OracleMeasure>;
const oracle = JSON.parse(readFileSync(fixture('eval/bbc-news-coherence.json'), 'utf8')) as Oracle;

t.test('bbc-news: every measure matches gensim 4.2 within 1e-6 (one pass)', async (t) => {
  const results = await coherenceMeasures(oracle.topics, bbcTexts, { topn: oracle.topn });
  for (const m of COHERENCE_MEASURES) {
    t.test(m, async (t) => {
      const r = results[m]!;
      const want = oracle[m];
      t.equal(r.windowSize, want.window_size, 'window size');
      t.equal(r.perTopic.length, want.per_topic.length, 'one score per topic');
      want.per_topic.forEach((v, i) => {
        t.ok(Math.abs(r.perTopic[i]! - v) <= 1e-6, `topic ${i}: got ${r.perTopic[i]}, gensim ${v}`);
      });
      t.ok(Math.abs(r.mean - want.mean) <= 1e-6, `mean: got ${r.mean}, gensim ${want.mean}`);
    });
  }
});

t.test('bbc-news: single-measure coherence() agrees with the one-pass result', async (t) => {
  const r = await coherence(oracle.topics, bbcTexts, { measure: 'c_npmi' });
  t.ok(Math.abs(r.mean - oracle.c_npmi.mean) <= 1e-6);
  t.equal(r.windowSize, 10);
  t.equal(r.numDocs > 2225, true, 'virtual documents are windows, more than the documents');
});

/**
 * Small cases whose expected values gensim 4.2 computed
 * (test/fixtures/eval/gensim-edge-cases.py writes gensim-edge-cases.json).
 * They guard the counting details: texts shorter than the window, empty texts,
 * repeated words leaving the window, duplicate topic words, unknown topic words, topn cuts.
 */
interface EdgeCase {
  name: string;
  topics: string[][];
  texts: string[][];
  topn: number;
  window_size?: number;
  expected: Record<CoherenceMeasure, { per_topic: (number | null)[]; mean: number | null }>;
}
const edgeCases = JSON.parse(readFileSync(fixture('eval/gensim-edge-cases.json'), 'utf8')) as EdgeCase[];

for (const c of edgeCases) {
  t.test(`gensim edge case: ${c.name}`, async (t) => {
    const results = await coherenceMeasures(c.topics, c.texts, {
      topn: c.topn,
      ...(c.window_size !== undefined ? { windowSize: c.window_size } : {}),
    });
    for (const m of COHERENCE_MEASURES) {
      const want = c.expected[m];
      const got = results[m]!;
      want.per_topic.forEach((v, i) => {
        const g = got.perTopic[i]!;
        if (v === null) t.ok(Number.isNaN(g), `${m} topic ${i}: NaN as gensim`);
        else t.ok(Math.abs(g - v) <= 1e-9, `${m} topic ${i}: got ${g}, gensim ${v}`);
      });
      if (want.mean === null) t.ok(Number.isNaN(got.mean), `${m} mean NaN`);
      else t.ok(Math.abs(got.mean - want.mean) <= 1e-9, `${m} mean: got ${got.mean}, gensim ${want.mean}`);
    }
  });
}

t.test('texts can be an array, a factory, an async iterable, an Observable, or tokenised documents', async (t) => {
  const topics = [['a', 'b', 'c']];
  const texts = [['a', 'b', 'x', 'c'], ['b', 'c'], ['a', 'x', 'x']];
  const want = (await coherence(topics, texts)).mean;
  const cases: Array<[string, Parameters<typeof coherence>[1]]> = [
    ['factory', () => texts],
    ['async iterable', (async function* () { yield* texts; })()],
    ['Observable', from(texts)],
    ['factory of Observable', () => from(texts)],
    ['tokenised documents', texts.map((tokens, id) => ({ id, tokens }))],
  ];
  for (const [name, input] of cases) t.equal((await coherence(topics, input)).mean, want, name);
});

t.test('the accumulator is fed text by text and scores any prepared measure', async (t) => {
  const acc = new CoherenceAccumulator([['a', 'b']], { measures: ['u_mass', 'c_uci'] });
  for (const text of [['a', 'b'], ['a'], []]) acc.add(text);
  t.equal(acc.result('u_mass').numDocs, 3, 'an empty text is a document for u_mass');
  t.equal(acc.result('c_uci').numDocs, 2, 'short texts are one window each; empty ones are skipped');
  t.throws(() => acc.result('c_v'), { code: 'INVALID_OPTION' });
});

t.test('invalid input fails with INVALID_OPTION naming the option', async (t) => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['no topics', () => new CoherenceAccumulator([]), /topics/],
    ['empty topic', () => new CoherenceAccumulator([['a'], []]), /topics\[1\]/],
    ['non-string word', () => new CoherenceAccumulator([['a', 3 as unknown as string]]), /topics\[0\]/],
    ['bad measure', () => new CoherenceAccumulator([['a']], { measures: ['c_w2v' as CoherenceMeasure] }), /measure/],
    ['bad topn', () => new CoherenceAccumulator([['a']], { topn: 0 }), /topn/],
    ['bad window', () => new CoherenceAccumulator([['a']], { windowSize: 2.5 }), /windowSize/],
  ];
  for (const [name, fn, re] of cases) t.throws(fn, { code: 'INVALID_OPTION', message: re }, name);
  await t.rejects(coherence([['zzz', 'yyy']], [['a', 'b']]), { code: 'INVALID_OPTION', message: /topic 0 has no word/ }, 'topic with no known word');
  await t.rejects(coherence([['a']], 42 as unknown as string[][]), { code: 'INVALID_OPTION', message: /texts/ });
});

t.test('an error in the texts stream rejects, and a bad text stops the Observable', async (t) => {
  await t.rejects(coherence([['a']], new Observable<string[]>((s) => s.error(new Error('boom')))), { message: 'boom' });
  let unsubscribed = false;
  const src = new Observable<string[]>((s) => {
    s.next(['a']);
    s.next({} as unknown as string[]);
    return () => { unsubscribed = true; };
  });
  await t.rejects(coherence([['a']], src), { code: 'INVALID_FIELD_TYPE', position: { record: 2, field: 'tokens' } });
  await t.rejects(coherence([['a']], [['a'], null as unknown as string[]]), { code: 'INVALID_FIELD_TYPE', position: { record: 2 } }, 'null text');
  t.ok(unsubscribed, 'unsubscribed from the source');
});

t.test('a dictionary option drops topic words it does not know, as gensim does', async (t) => {
  const texts = [['a', 'b', 'c'], ['a', 'c'], ['b', 'c']];
  const withDict = await coherence([['a', 'b', 'c']], texts, { dictionary: { token2id: new Map([['a', 0], ['c', 1]]) } });
  const without = await coherence([['a', 'c']], texts);
  t.same(withDict.topics, [['a', 'c']]);
  t.equal(withDict.mean, without.mean);
});
