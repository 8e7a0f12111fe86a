import t from 'tap';
import { readFileSync } from 'node:fs';
import { adler32, HashDictionary } from '../../src/dictionary/hash-dictionary.js';

// Expected values from gensim 4.2: test/fixtures/dictionary/gen_cases.py.
const cases = JSON.parse(readFileSync(new URL('../fixtures/dictionary/cases.json', import.meta.url), 'utf8')).hash;

t.test('adler32 of UTF-8 bytes (values from python zlib.adler32)', async (t) => {
  const table: Array<[string, number]> = [
    ['', 1],
    ['a', 0x00620062],
    ['Wikipedia', 0x11e60398],
    ['ﬀ', 0x04a8021c],
    ['中文𝐀é', 0x387d0856],
    ['x'.repeat(100_000), 0x7e2a25ba],
  ];
  for (const [s, want] of table) t.equal(adler32(s), want, JSON.stringify(s));
});

t.test('ids match gensim with the default 32000 range', async (t) => {
  const h = new HashDictionary(null, { debug: false });
  t.same(h.doc2bow(cases.defaultRange.tokens), cases.defaultRange.bow);
  t.equal(h.size, 32000);
  t.equal(h.token2id.size, 0, 'debug off keeps no token maps');
});

t.test('debug statistics and text match gensim', async (t) => {
  const h = new HashDictionary(cases.docs, { idRange: cases.idRange });
  t.same(cases.docs.map((d: string[]) => h.doc2bow(d)), cases.bows, 'bows (doc2bow always counts, as gensim: allow_update is on)');
  t.same(
    { numDocs: h.numDocs, numPos: h.numPos, numNnz: h.numNnz, dfs: Array.from(h.dfs), dfsDebug: Array.from(h.dfsDebug), token2id: Array.from(h.token2id) },
    cases.stats,
  );
  t.equal(h.toText(), cases.text);
  h.filterExtremes({ noBelow: 2, noAbove: 1 });
  t.equal(h.toText(), cases.textFiltered);
});

t.test('allowUpdate false makes doc2bow read-only', async (t) => {
  const h = new HashDictionary(null, { idRange: 10 });
  h.allowUpdate = false;
  h.doc2bow(['a', 'b']);
  t.equal(h.numDocs, 0);
  h.doc2bow(['a'], { allowUpdate: true });
  t.equal(h.numDocs, 1);
});

t.test('custom hash and option errors', async (t) => {
  const h = new HashDictionary(null, { idRange: 3, hash: (s) => s.length });
  t.same(h.doc2bow(['aaaa', 'b', 'cc', 'b']), [[1, 3], [2, 1]]);
  t.throws(() => new HashDictionary(null, { idRange: 0 }), { code: 'INVALID_OPTION' });
  t.throws(() => h.doc2bow('a b' as unknown as string[]), { code: 'INVALID_FIELD_TYPE' });
});

t.test('files', async (t) => {
  const dir = t.testdir({});
  const h = new HashDictionary(cases.docs, { idRange: cases.idRange });
  await h.saveAsText(`${dir}/h.txt`);
  t.equal(readFileSync(`${dir}/h.txt`, 'utf8'), h.toText());
});
