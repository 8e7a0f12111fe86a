import t from 'tap';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { sortTokens } from '../../src/dictionary/sort-tokens.js';

// The Dictionary's fast paths (typed-array counting, lazy stats, filterExtremes
// from pending counts, radix sort of new tokens) checked against a plain,
// line-by-line transcription of gensim 4.2's Dictionary on random corpora:
// whole state, Map orders included.

/** Python's sorted() on str: by code point. */
function pyCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

class Reference {
  token2id = new Map<string, number>();
  dfs = new Map<number, number>();
  cfs = new Map<number, number>();
  numDocs = 0;
  numPos = 0;
  numNnz = 0;

  doc2bowUpdate(document: string[]): void {
    const counter = new Map<string, number>();
    for (const w of document) counter.set(w, (counter.get(w) ?? 0) + 1);
    const missing = Array.from(counter.keys())
      .filter((w) => !this.token2id.has(w))
      .sort(pyCompare);
    for (const w of missing) this.token2id.set(w, this.token2id.size);
    const result = new Map<number, number>();
    for (const [w, freq] of counter) result.set(this.token2id.get(w)!, freq);
    this.numDocs += 1;
    this.numPos += document.length;
    this.numNnz += result.size;
    for (const [id, freq] of result) {
      this.cfs.set(id, (this.cfs.get(id) ?? 0) + freq);
      this.dfs.set(id, (this.dfs.get(id) ?? 0) + 1);
    }
  }

  filterExtremes(noBelow: number, noAbove: number, keepN: number | null, keepTokens: string[] | null): void {
    const noAboveAbs = Math.trunc(noAbove * this.numDocs);
    const keepIds = new Set((keepTokens ?? []).filter((w) => this.token2id.has(w)).map((w) => this.token2id.get(w)!));
    let good = Array.from(this.token2id.values()).filter((v) => {
      const df = this.dfs.get(v) ?? 0;
      return (noBelow <= df && df <= noAboveAbs) || keepIds.has(v);
    });
    const key = (v: number): number => (keepIds.has(v) ? this.numDocs : (this.dfs.get(v) ?? 0));
    // Stable sort, reverse=True keeps equal keys in their order.
    good = good.map((v, i) => [v, i] as const).sort((a, b) => key(b[0]) - key(a[0]) || a[1] - b[1]).map(([v]) => v);
    if (keepN !== null) good = good.slice(0, keepN);
    const goodSet = new Set(good);
    const keep = <V>(m: Map<number, V>): Map<number, V> => new Map(Array.from(m).filter(([id]) => goodSet.has(id)));
    this.token2id = new Map(Array.from(this.token2id).filter(([, id]) => goodSet.has(id)));
    this.cfs = keep(this.cfs);
    this.dfs = keep(this.dfs);
    const idmap = new Map(Array.from(this.token2id.values()).sort((a, b) => a - b).map((id, i) => [id, i]));
    this.token2id = new Map(Array.from(this.token2id).map(([w, id]) => [w, idmap.get(id)!]));
    this.dfs = new Map(Array.from(this.dfs).map(([id, f]) => [idmap.get(id)!, f]));
    this.cfs = new Map(Array.from(this.cfs).map(([id, f]) => [idmap.get(id)!, f]));
  }
}

function stateOf(d: Dictionary | Reference): unknown {
  return {
    token2id: Array.from(d.token2id),
    dfs: Array.from(d.dfs),
    cfs: Array.from(d.cfs),
    numDocs: d.numDocs,
    numPos: d.numPos,
    numNnz: d.numNnz,
  };
}

/** Small seeded PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// Letters where UTF-16 and code point order disagree (U+FB00 vs an astral letter) among plain ones.
const ALPHABETS = [['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'ﬀ', '𝐀', 'é']];

function randomCorpus(random: () => number, alphabet: string[], docs: number): string[][] {
  const vocab = Array.from({ length: 20 + Math.floor(random() * 400) }, () =>
    Array.from({ length: 1 + Math.floor(random() * 5) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join(''),
  );
  return Array.from({ length: docs }, () =>
    Array.from({ length: Math.floor(random() * 60) }, () => vocab[Math.floor(Math.pow(random(), 2) * vocab.length)]!),
  );
}

t.test('build, filterExtremes and further additions equal gensim transcribed, orders included', async (t) => {
  let failures = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const random = rng(seed);
    const alphabet = ALPHABETS[seed % 2]!;
    const docs = randomCorpus(random, alphabet, 1 + Math.floor(random() * 80));
    const more = randomCorpus(random, alphabet, Math.floor(random() * 20));
    const d = new Dictionary(docs);
    const r = new Reference();
    docs.forEach((doc) => r.doc2bowUpdate(doc));
    const noBelow = Math.floor(random() * 4);
    const noAbove = [0.3, 0.5, 0.9, 1][Math.floor(random() * 4)]!;
    const keepN = random() < 0.3 ? null : Math.floor(random() * 60);
    const keepTokens = random() < 0.3 ? [docs[0]?.[0] ?? 'a', 'zzz'] : null;
    const readFirst = random() < 0.3; // stats folded into the Maps before filtering: the general path
    if (readFirst) void d.dfs;
    d.filterExtremes({ noBelow, noAbove, keepN, keepTokens });
    r.filterExtremes(noBelow, noAbove, keepN, keepTokens);
    const afterFilter = JSON.stringify(stateOf(d)) === JSON.stringify(stateOf(r));
    d.addDocuments(more);
    more.forEach((doc) => r.doc2bowUpdate(doc));
    const afterMore = JSON.stringify(stateOf(d)) === JSON.stringify(stateOf(r));
    // Filtering again (as pruneAt does): from statistics left pending by the first filter, or from the Maps.
    if (random() < 0.5) void d.cfs;
    d.filterExtremes({ noBelow: 1, noAbove: 0.8, keepN: 30 });
    r.filterExtremes(1, 0.8, 30, null);
    const afterSecond = JSON.stringify(stateOf(d)) === JSON.stringify(stateOf(r));
    if (!afterFilter || !afterMore || !afterSecond) {
      failures++;
      t.fail(`seed ${seed}: ${!afterFilter ? 'after filterExtremes' : !afterMore ? 'after further additions' : 'after a second filterExtremes'} differs`);
    }
  }
  t.equal(failures, 0, '60 random corpora');
});

t.test('full state right after building (no filtering)', async (t) => {
  const random = rng(99);
  const docs = randomCorpus(random, ALPHABETS[1]!, 200);
  const r = new Reference();
  docs.forEach((doc) => r.doc2bowUpdate(doc));
  t.same(stateOf(new Dictionary(docs)), stateOf(r));
});

t.test('sortTokens orders like the default sort and moves the tags along', async (t) => {
  const random = rng(7);
  let bad = 0;
  for (let round = 0; round < 300; round++) {
    const n = Math.floor(random() * 200);
    const keys = Array.from(new Set(Array.from({ length: n }, () => Array.from({ length: Math.floor(random() * 8) }, () => 'abcé\u00ff'[Math.floor(random() * 5)]).join(''))));
    const original = keys.slice();
    const tags = Int32Array.from(keys, (_, i) => i);
    sortTokens(keys, tags, keys.length);
    const expected = original.slice().sort();
    if (keys.join('\u0001') !== expected.join('\u0001') || keys.some((k, i) => original[tags[i]!] !== k)) bad++;
  }
  t.equal(bad, 0, '300 random sets of strings, empty and prefix strings included');
  // By code point: pairs, lone halves of both kinds, and U+E000..U+FFFF, where UTF-16 order disagrees.
  const units = ['a', '\u00e9', '\ue000', '\uffff', '\ud83d', '\ude00', '\ud800', '\udfff', '\ud835\udc00', '\ud83d\ude00'];
  let badCp = 0;
  for (let round = 0; round < 300; round++) {
    const n = Math.floor(random() * 120);
    const keys = Array.from(new Set(Array.from({ length: n }, () => Array.from({ length: Math.floor(random() * 6) }, () => units[Math.floor(random() * units.length)]).join(''))));
    const original = keys.slice();
    const tags = Int32Array.from(keys, (_, i) => i);
    sortTokens(keys, tags, keys.length, true);
    const expected = original.slice().sort(pyCompare);
    if (keys.join('\u0001') !== expected.join('\u0001') || keys.some((k, i) => original[tags[i]!] !== k)) badCp++;
  }
  t.equal(badCp, 0, '300 random sets of strings with surrogates, sorted by code point');
  // Deep recursion falls back to the native sort: many distinct first units in adversarial order.
  const keys = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(0x100 + ((i * 7919) % 5000)) + 'x');
  const tags = Int32Array.from(keys, (_, i) => i);
  const expected = keys.slice().sort();
  sortTokens(keys, tags, keys.length);
  t.same(keys, expected);
});

// Tokens that are special as object property names (the index behind token2id
// is a prototype-less object): prototype names, array-index-like keys, and the
// edge of the array-index range.
const AWKWARD = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'length', '0', '1', '01', '-1', '1.5', '4294967294', '4294967295', 'NaN', ''];

t.test('token2id read, mutated or replaced between additions; awkward tokens; a rejected document', async (t) => {
  let failures = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const random = rng(1000 + seed);
    const alphabet = ALPHABETS[seed % 2]!;
    const pick = (docs: string[][]): string[][] => docs.map((doc) => doc.map((w) => (random() < 0.2 ? AWKWARD[Math.floor(random() * AWKWARD.length)]! : w)));
    const [docs1, docs2, docs3, more] = [80, 30, 30, 20].map((n) => pick(randomCorpus(random, alphabet, 1 + Math.floor(random() * n))));
    const d = new Dictionary(docs1!);
    const r = new Reference();
    docs1!.forEach((doc) => r.doc2bowUpdate(doc));
    const steps: string[] = [];
    const check = (step: string): void => {
      steps.push(step);
      if (JSON.stringify(stateOf(d)) !== JSON.stringify(stateOf(r))) throw new Error(`seed ${seed}: differs after ${steps.join(', ')}`);
    };
    try {
      check('build');
      const idx = docs2![0] ?? [];
      if (JSON.stringify(d.doc2idx(idx)) !== JSON.stringify(idx.map((w) => r.token2id.get(w) ?? -1))) throw new Error(`seed ${seed}: doc2idx differs`);
      if (random() < 0.5) void d.token2id;
      d.addDocuments(docs2!);
      docs2!.forEach((doc) => r.doc2bowUpdate(doc));
      check('more documents');
      if (random() < 0.4) {
        d.token2id.set('zz-set-by-user', d.size);
        r.token2id.set('zz-set-by-user', r.token2id.size);
        check('token2id.set');
      }
      if (random() < 0.3) {
        // A gap in the ids: the next new id collides with an existing one, as it does in gensim.
        const victim = Array.from(r.token2id.keys())[Math.floor(random() * r.token2id.size)]!;
        d.token2id.delete(victim);
        r.token2id.delete(victim);
        check('token2id.delete');
      }
      if (random() < 0.2) {
        d.token2id = new Map(d.token2id);
        check('token2id replaced by a plain Map');
      }
      // Unseen tokens first, then a non-string: rejected, and nothing of it may stay behind.
      const bad = ['zz-unseen-a', 'zz-unseen-b', 'zz-unseen-a', 7 as unknown as string];
      let threw = false;
      try {
        d.addDocuments([bad]);
      } catch {
        threw = true;
      }
      if (!threw) throw new Error(`seed ${seed}: a non-string token was accepted`);
      check('rejected document');
      d.addDocuments(docs3!.concat([['zz-unseen-b', 'zz-unseen-a']]));
      docs3!.concat([['zz-unseen-b', 'zz-unseen-a']]).forEach((doc) => r.doc2bowUpdate(doc));
      check('documents after the rejected one');
      d.filterExtremes({ noBelow: 1, noAbove: 0.9, keepN: 50 });
      r.filterExtremes(1, 0.9, 50, null);
      check('filterExtremes');
      d.addDocuments(more!);
      more!.forEach((doc) => r.doc2bowUpdate(doc));
      check('additions after filtering');
    } catch (e) {
      failures++;
      t.fail((e as Error).message);
    }
  }
  t.equal(failures, 0, '60 random corpora');
});

t.test('two tokens sharing an id (a gap left by token2id.delete) count as in gensim', async (t) => {
  // gensim 4.2: Dictionary([['a','b','c']]); del d.token2id['a']; add_documents([['d']]) gives 'd' id 2, c's id;
  // add_documents([['c','d','d']]) -> cfs {0: 1, 1: 1, 2: 4}, dfs {0: 1, 1: 1, 2: 3}, num_nnz 5; doc2bow(['c','d','d']) == [(2, 2)].
  const d = new Dictionary([['a', 'b', 'c']]);
  d.token2id.delete('a');
  d.addDocuments([['d']]);
  d.addDocuments([['c', 'd', 'd']]);
  t.same(Array.from(d.token2id), [['b', 1], ['c', 2], ['d', 2]]);
  t.same(Array.from(d.cfs), [[0, 1], [1, 1], [2, 4]]);
  t.same(Array.from(d.dfs), [[0, 1], [1, 1], [2, 3]]);
  t.equal(d.numNnz, 5);
  t.same(d.doc2bow(['c', 'd', 'd']), [[2, 2]]);

  let failures = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const random = rng(2000 + seed);
    const docs = randomCorpus(random, ALPHABETS[seed % 2]!, 1 + Math.floor(random() * 40));
    const d = new Dictionary(docs);
    const r = new Reference();
    docs.forEach((doc) => r.doc2bowUpdate(doc));
    if (random() < 0.5) void d.dfs;
    const keys = Array.from(r.token2id.keys());
    for (let k = 0; k < 1 + Math.floor(random() * 3) && keys.length > 0; k++) {
      const victim = keys.splice(Math.floor(random() * keys.length), 1)[0]!;
      d.token2id.delete(victim);
      r.token2id.delete(victim);
    }
    // The newest tokens are the ones new ids collide with: put them beside unseen ones.
    const tail = keys.slice(-4);
    const more = Array.from({ length: 10 }, (_, i) => [...tail, `zz${i % 3}`, `zz${i % 3}`, ...tail.slice(0, 2)]);
    d.addDocuments(more);
    more.forEach((doc) => r.doc2bowUpdate(doc));
    if (JSON.stringify(stateOf(d)) !== JSON.stringify(stateOf(r))) {
      failures++;
      t.fail(`seed ${seed}: differs`);
    }
  }
  t.equal(failures, 0, '40 random corpora with gaps');
});

t.test('a large vocabulary (60,000+ tokens): the typed arrays and the index grow mid-document', async (t) => {
  const random = rng(7);
  const letters = 'abcdefghijklmnopqrstuvwxyzé𝐀';
  const word = (): string => Array.from({ length: 2 + Math.floor(random() * 9) }, () => Array.from(letters)[Math.floor(random() * 28)]!).join('');
  const docs = Array.from({ length: 150 }, () => Array.from({ length: 600 }, word));
  const d = new Dictionary(docs);
  const r = new Reference();
  docs.forEach((doc) => r.doc2bowUpdate(doc));
  t.ok(r.token2id.size > 60_000, `${r.token2id.size} distinct tokens`);
  t.same(stateOf(d), stateOf(r), 'whole state after building');
  d.filterExtremes({ noBelow: 2, noAbove: 0.5, keepN: 5000 });
  r.filterExtremes(2, 0.5, 5000, null);
  t.same(stateOf(d), stateOf(r), 'after filterExtremes');
});
