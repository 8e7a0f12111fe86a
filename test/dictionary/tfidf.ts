import t from 'tap';
import { readFileSync } from 'node:fs';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { df2idf, TfidfModel } from '../../src/dictionary/tfidf.js';
import type { Bow } from '../../src/dictionary/types.js';

// Expected values from gensim 4.2: test/fixtures/dictionary/gen_cases.py.
const cases = JSON.parse(readFileSync(new URL('../fixtures/dictionary/cases.json', import.meta.url), 'utf8')).tfidf;

function close(t: { same(a: unknown, b: unknown, m: string): unknown; ok(v: unknown, m: string): unknown }, got: Bow, want: Bow, name: string): void {
  t.same(got.map(([id]) => id), want.map(([id]) => id), `${name}: ids`);
  const worst = Math.max(0, ...got.map(([, w], i) => Math.abs(w - want[i]![1])));
  t.ok(worst <= 1e-12, `${name}: weights within 1e-12 (worst ${worst})`);
}

t.test('matches gensim TfidfModel(dictionary=...) and TfidfModel(corpus)', async (t) => {
  const dict = new Dictionary(cases.docs);
  t.same(cases.docs.map((d: string[]) => dict.doc2bow(d)), cases.bows);
  const byDict = TfidfModel.fromDictionary(dict);
  const byCorpus = TfidfModel.fromCorpus(cases.bows);
  t.same(Array.from(byDict.idfs).sort((a, b) => a[0] - b[0]).map(([id]) => id), cases.idfs.map(([id]: [number, number]) => id));
  cases.queries.forEach((q: Bow, i: number) => {
    close(t, byDict.transform(q), cases.byDictionary[i], `query ${i} by dictionary`);
    close(t, byCorpus.transform(q), cases.byCorpus[i], `query ${i} by corpus`);
  });
});

t.test('options', async (t) => {
  const stats = { numDocs: 4, numNnz: 3, dfs: new Map([[0, 1], [1, 2], [2, 4], [3, 0]]) };
  const raw = new TfidfModel(stats, { normalize: false });
  t.same(raw.transform([[0, 2], [1, 1], [2, 5], [3, 1], [9, 1]]), [[0, 2 * df2idf(1, 4)], [1, df2idf(2, 4)]], 'df = numDocs and unknown or df-0 ids drop out');
  const binary = new TfidfModel(stats, { wlocal: () => 1, wglobal: () => 2, normalize: false });
  t.same(binary.transform([[0, 7], [1, 3]]), [[0, 2], [1, 2]]);
  t.same(new TfidfModel(stats).transform([]), []);
  t.throws(() => new TfidfModel(stats).transform([[0, 0]]), { code: 'INVALID_FIELD_TYPE' });
});
