import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { TfidfModel } from '../../src/dictionary/tfidf.js';

// gensim 4.2 oracle outputs (copied from ../shared/oracle; see its README):
// tokens are gensim's own preprocess_string output, so this tests the Dictionary alone.
const fixture = (corpus: string, file: string): string => {
  const bytes = readFileSync(new URL(`../fixtures/dictionary/${corpus}/${file}`, import.meta.url));
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
};
const ndjson = <T>(corpus: string, file: string): T[] =>
  fixture(corpus, file)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

for (const corpus of ['lee_background', 'spam-shared']) {
  t.test(corpus, async (t) => {
    const docs = ndjson<{ id: unknown; tokens: string[] }>(corpus, 'preprocess.ndjson.gz');
    const stats = JSON.parse(fixture(corpus, 'stats.json'));
    const tokens = docs.map((d) => d.tokens);

    const dict = new Dictionary(tokens);
    t.same({ num_docs: dict.numDocs, num_pos: dict.numPos, num_nnz: dict.numNnz, size: dict.size }, stats.full, 'stats.json full');
    const full = fixture(corpus, 'dictionary_full.txt.gz');
    t.ok(dict.toText() === full, 'dictionary_full.txt byte for byte');

    dict.filterExtremes({ noBelow: 5, noAbove: 0.5, keepN: 100000 });
    t.same({ num_docs: dict.numDocs, num_pos: dict.numPos, num_nnz: dict.numNnz, size: dict.size }, stats.filtered, 'stats.json filtered');
    t.ok(dict.toText() === fixture(corpus, 'dictionary_filtered.txt.gz'), 'dictionary_filtered.txt byte for byte');

    const keep2000 = new Dictionary(tokens).filterExtremes({ noBelow: 2, noAbove: 0.9, keepN: 2000 });
    t.ok(keep2000.toText() === fixture(corpus, 'dictionary_keep2000.txt.gz'), 'dictionary_keep2000.txt byte for byte');

    const dir = t.testdir({});
    await dict.saveAsText(`${dir}/filtered.txt`);
    t.ok(readFileSync(`${dir}/filtered.txt`, 'utf8') === fixture(corpus, 'dictionary_filtered.txt.gz'), 'saveAsText writes the same bytes');
    const loaded = Dictionary.fromText(full);
    t.ok(loaded.toText() === full, 'gensim file: loadFromText then saveAsText round trip');

    const bows = ndjson<{ id: unknown; bow: Array<[number, number]> }>(corpus, 'bow.ndjson.gz');
    t.equal(bows.length, docs.length);
    let bowMismatch = 0;
    for (let i = 0; i < docs.length; i++) {
      if (JSON.stringify(dict.doc2bow(docs[i]!.tokens)) !== JSON.stringify(bows[i]!.bow)) bowMismatch++;
    }
    t.equal(bowMismatch, 0, 'bow equal for every document');

    const model = TfidfModel.fromCorpus(bows.map((b) => b.bow));
    const expected = ndjson<{ id: unknown; tfidf: Array<[number, number]> }>(corpus, 'tfidf.ndjson.gz');
    let worst = 0;
    let shapeMismatch = 0;
    for (let i = 0; i < bows.length; i++) {
      const got = model.transform(bows[i]!.bow);
      const want = expected[i]!.tfidf;
      if (got.length !== want.length || got.some(([id], k) => id !== want[k]![0])) {
        shapeMismatch++;
        continue;
      }
      for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k]![1] - want[k]![1]));
    }
    t.equal(shapeMismatch, 0, 'tfidf: same ids in the same order for every document');
    t.ok(worst <= 1e-6, `tfidf weights within 1e-6 (worst ${worst})`);

    const byDict = TfidfModel.fromDictionary(dict);
    t.same(Array.from(byDict.idfs).sort((a, b) => a[0] - b[0]), Array.from(model.idfs).sort((a, b) => a[0] - b[0]), 'idfs from dictionary = idfs from the corpus');
  });
}
