import t from 'tap';
import { readFileSync } from 'node:fs';
import { Dictionary, VocabTransform } from '../../src/dictionary/dictionary.js';
import { isCorpusflowError } from '../../src/errors.js';

// Expected values come from gensim 4.2: test/fixtures/dictionary/gen_cases.py.
const cases = JSON.parse(readFileSync(new URL('../fixtures/dictionary/cases.json', import.meta.url), 'utf8'));

interface State {
  token2id: Array<[string, number]>;
  dfs: Array<[number, number]>;
  cfs: Array<[number, number]>;
  numDocs: number;
  numPos: number;
  numNnz: number;
  text: string;
  textByDf: string;
  mostCommon: Array<[string, number]>;
}

type Op =
  | { op: 'filterExtremes'; args: { noBelow?: number; noAbove?: number; keepN?: number | null; keepTokens?: string[] } }
  | { op: 'filterNMostFrequent'; n: number }
  | { op: 'filterTokens'; badIds?: number[]; goodIds?: number[] }
  | { op: 'compactify' }
  | { op: 'addDocuments'; docs: string[][] | 'prune_docs'; pruneAt?: number }
  | { op: 'reloadText' };

/** Mirror of prune_docs() in gen_cases.py. */
function pruneDocs(): string[][] {
  const docs: string[][] = [];
  for (let i = 0; i < 25000; i++) {
    const doc: string[] = [];
    for (let k = 0; k < i % 7; k++) doc.push(`w${(i * 31 + k * 17) % 97}`);
    docs.push(doc);
  }
  return docs;
}

function apply(d: Dictionary, op: Op): Dictionary {
  switch (op.op) {
    case 'filterExtremes':
      return d.filterExtremes(op.args);
    case 'filterNMostFrequent':
      return d.filterNMostFrequent(op.n);
    case 'filterTokens':
      return d.filterTokens({ badIds: op.badIds ?? null, goodIds: op.goodIds ?? null });
    case 'compactify':
      return d.compactify();
    case 'addDocuments':
      return d.addDocuments(op.docs === 'prune_docs' ? pruneDocs() : op.docs, op.pruneAt === undefined ? {} : { pruneAt: op.pruneAt });
    case 'reloadText':
      return Dictionary.fromText(d.toText());
  }
}

function stateOf(d: Dictionary): State {
  return {
    token2id: Array.from(d.token2id),
    dfs: Array.from(d.dfs),
    cfs: Array.from(d.cfs),
    numDocs: d.numDocs,
    numPos: d.numPos,
    numNnz: d.numNnz,
    text: d.toText(),
    textByDf: d.toText({ sortByWord: false }),
    mostCommon: d.mostCommon(),
  };
}

t.test('gensim scenarios: whole state, dict orders included', async (t) => {
  for (const sc of cases.scenarios as Array<{ name: string; docs: string[][]; ops: Op[]; expected: State }>) {
    t.test(sc.name, async (t) => {
      let d = new Dictionary(sc.docs);
      for (const op of sc.ops) d = apply(d, op);
      t.same(stateOf(d), sc.expected);
    });
  }
});

t.test('doc2bow, returnMissing and doc2idx match gensim', async (t) => {
  const c = cases.doc2bow;
  const d = new Dictionary(c.initial);
  for (const q of c.queries as Array<{ tokens: string[]; allowUpdate?: boolean; returnMissing?: boolean; bow: Array<[number, number]>; missing?: Array<[string, number]> }>) {
    const name = `${JSON.stringify(q.tokens)} allowUpdate=${!!q.allowUpdate} returnMissing=${!!q.returnMissing}`;
    if (q.returnMissing) {
      const r = d.doc2bow(q.tokens, { allowUpdate: q.allowUpdate === true, returnMissing: true });
      t.same(r.bow, q.bow, name);
      t.same(Array.from(r.missing), q.missing, `${name} missing in code point order`);
    } else {
      t.same(d.doc2bow(q.tokens, { allowUpdate: q.allowUpdate === true }), q.bow, name);
    }
  }
  for (const q of c.doc2idx as Array<{ tokens: string[]; unknown: number; ids: number[] }>) {
    t.same(d.doc2idx(q.tokens, q.unknown), q.ids, `doc2idx ${JSON.stringify(q.tokens)}`);
  }
  t.same(stateOf(d), c.final, 'state after allowUpdate queries');
});

t.test('doc2bow accepts any iterable of tokens, and allowUpdate false changes nothing', async (t) => {
  const d = new Dictionary([['a', 'b']]);
  const before = JSON.stringify(d.toJSON());
  t.same(d.doc2bow(new Set(['b', 'x'])), [[1, 1]]);
  t.same(d.doc2bow((function* () { yield 'a'; yield 'a'; })()), [[0, 2]]);
  t.equal(JSON.stringify(d.toJSON()), before);
});

t.test('mergeWith matches gensim', async (t) => {
  const m = cases.merge;
  const a = new Dictionary(m.a);
  const b = new Dictionary(m.b);
  const transform = a.mergeWith(b);
  t.type(transform, VocabTransform);
  t.same(stateOf(a), m.merged);
  t.same(Array.from(transform.old2new), m.old2new);
  const bow = b.doc2bow(['x', 'a', 'y', 'x']);
  t.same(bow, m.bowOther);
  t.same(transform.transform(bow), m.bowMerged);

  const p = new Dictionary(m.plain.docs);
  const t2 = p.mergeWith(new Map(m.plain.other as Array<[number, string]>));
  t.same(stateOf(p), m.plain.merged, 'plain id → token map: no dfs or counts to add');
  t.same(Array.from(t2.old2new), m.plain.old2new);
  const p2 = new Dictionary(m.plain.docs);
  p2.mergeWith(Object.fromEntries(m.plain.other as Array<[number, string]>));
  t.same(Array.from(p2.token2id).sort(), Array.from(p.token2id).sort(), 'a plain object works too');
});

t.test('id2token follows token2id', async (t) => {
  const d = new Dictionary([['b', 'a']]);
  t.same(Array.from(d.id2token), [[0, 'a'], [1, 'b']]);
  d.addDocuments([['c']]);
  t.equal(d.id2token.get(2), 'c');
  d.filterTokens({ badIds: [0] });
  t.same(Array.from(d.id2token), [[0, 'b'], [1, 'c']]);
});

t.test('mostCommon(n) takes the first n, ties by id (checked with gensim)', async (t) => {
  const d = new Dictionary([['b', 'a', 'c', 'c'], ['a']]);
  t.same(d.mostCommon(2), [['a', 2], ['c', 2]]);
  t.same(d.mostCommon(0), []);
  t.same(d.mostCommon(), [['a', 2], ['c', 2], ['b', 1]]);
});

t.test('JSON round trip is lossless, orders included', async (t) => {
  const d = new Dictionary([['m', 'n'], ['a', 'b', 'b'], ['𝐀', 'ﬀ']]);
  d.filterExtremes({ noBelow: 1, noAbove: 1, keepN: 4 });
  const back = Dictionary.fromJSON(JSON.parse(JSON.stringify(d)));
  t.same(stateOf(back), stateOf(d));
  t.same(back.toJSON(), d.toJSON());
  const dir = t.testdir({});
  await d.save(`${dir}/d.json`);
  t.same((await Dictionary.load(`${dir}/d.json`)).toJSON(), d.toJSON());
});

t.test('stats read between streamed documents are up to date', async (t) => {
  // dfs/cfs increments are batched internally; every read must see them.
  const d = new Dictionary();
  d.addDocument(['a', 'b', 'a']);
  t.same(Array.from(d.dfs), [[0, 1], [1, 1]]);
  t.same(Array.from(d.cfs), [[0, 2], [1, 1]]);
  d.addDocument(['b', 'c']);
  t.same(Array.from(d.dfs), [[0, 1], [1, 2], [2, 1]]);
  d.dfs = new Map([[0, 7]]);
  d.addDocument(['a']);
  t.same(Array.from(d.dfs), [[0, 8]], 'a replaced map receives later updates only');
});

t.test('dictionaries with far-apart ids use the exact slow path (values checked with gensim)', async (t) => {
  const d = Dictionary.fromText('3\n5000000\tfar\t1\n-4\tneg\t2\n0\tnear\t1\n');
  t.same(d.doc2bow(['near', 'far', 'neg', 'far', 'x']), [[-4, 1], [0, 1], [5000000, 2]]);
  d.doc2bow(['far', 'new', 'near'], { allowUpdate: true });
  t.same(Array.from(d.dfs), [[5000000, 2], [-4, 2], [0, 2], [3, 1]]);
  t.same(Array.from(d.cfs), [[5000000, 1], [3, 1], [0, 1]]);
});

t.test('a new id that collides with an existing one behaves as gensim (one entry, last count; checked with gensim)', async (t) => {
  // ids 0 and 2: the next new id is size = 2, which "c" already has.
  const d = Dictionary.fromText('1\n0\ta\t1\n2\tc\t1\n');
  const bow = d.doc2bow(['c', 'c', 'new', 'a'], { allowUpdate: true });
  t.same(bow, [[0, 1], [2, 1]]);
  t.equal(d.numNnz, 2);
  t.same(Array.from(d.dfs), [[0, 2], [2, 2]]);
});

const errorCases: Array<{ name: string; run: () => unknown; code: string; match?: RegExp }> = [
  { name: 'doc2bow of a string', run: () => new Dictionary().doc2bow('a b' as unknown as string[]), code: 'INVALID_FIELD_TYPE', match: /not a single string/ },
  { name: 'doc2idx of a string', run: () => new Dictionary().doc2idx('a b' as unknown as string[]), code: 'INVALID_FIELD_TYPE' },
  { name: 'a non-string token', run: () => new Dictionary([['a', 3 as unknown as string]]), code: 'INVALID_FIELD_TYPE', match: /number 3 at tokens\[1\]/ },
  { name: 'a non-string token after a token2id read (exact path)', run: () => { const d = new Dictionary([['a']]); d.token2id = new Map([['a', 5]]); d.addDocuments([['a', 'b', null as unknown as string]]); }, code: 'INVALID_FIELD_TYPE', match: /null null at tokens\[2\]/ },
  { name: 'doc2idx of a non-string token', run: () => new Dictionary([['a']]).doc2idx(['a', 'b', {} as unknown as string]), code: 'INVALID_FIELD_TYPE', match: /object \{\} at tokens\[2\]/ },
  { name: 'negative keepN', run: () => new Dictionary().filterExtremes({ keepN: -1 }), code: 'INVALID_OPTION', match: /Invalid option keepN/ },
  { name: 'NaN noAbove', run: () => new Dictionary().filterExtremes({ noAbove: NaN }), code: 'INVALID_OPTION' },
  { name: 'fractional pruneAt', run: () => new Dictionary([], { pruneAt: 1.5 }), code: 'INVALID_OPTION' },
  { name: 'bad JSON format tag', run: () => Dictionary.fromJSON({ format: 'x' }), code: 'DICTIONARY_FORMAT', match: /format/ },
  { name: 'bad JSON pair', run: () => Dictionary.fromJSON({ ...new Dictionary([['a']]).toJSON(), dfs: [[0]] }), code: 'DICTIONARY_FORMAT', match: /dfs\[0\]/ },
];
t.test('errors', async (t) => {
  for (const c of errorCases) {
    t.test(c.name, async (t) => {
      try {
        c.run();
        t.fail('should throw');
      } catch (e) {
        t.ok(isCorpusflowError(e), 'a CorpusflowError');
        t.equal((e as { code: string }).code, c.code);
        if (c.match) t.match((e as Error).message, c.match);
      }
    });
  }
});

t.test('a failed document leaves the per-document scratch clean', async (t) => {
  const d = new Dictionary([['a']]);
  t.throws(() => d.addDocument(['a', 'a', 5 as unknown as string]));
  t.same(d.doc2bow(['a']), [[0, 1]], 'counts do not leak into the next document');
});
