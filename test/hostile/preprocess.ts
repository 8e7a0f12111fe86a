// Pathological text through every preprocessing entry point (issue 6 §2): million-character tokens,
// combining and zero-width characters, right-to-left scripts, emoji, empty documents. Hangs are caught by
// each subtest's timeout (never by timing anything); memory by RSS and retained-heap bounds.
import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { lastValueFrom, toArray } from 'rxjs';
import { DEFAULT_FILTER_NAMES, FILTERS, type Filter } from '../../src/preprocess/filters.js';
import { preprocessString } from '../../src/preprocess/preprocess.js';
import { deaccent, simplePreprocess, tokenize } from '../../src/preprocess/tokenize.js';
import { stem } from '../../src/preprocess/porter.js';
import { PY_CLASS, codePointLength, pythonLower } from '../../src/preprocess/unicode.js';
import { preprocess } from '../../src/preprocess/operator.js';
import { fromDocuments } from '../../src/sources/iterable.js';
import { Dictionary } from '../../src/dictionary/dictionary.js';
import { hostileText, prng, RssProbe } from '../fixtures/hostile/gen.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapMiB = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

// Python's whitespace (what str.split splits on), not JavaScript's: U+FEFF is only whitespace in JavaScript.
const WHITESPACE = new RegExp(`[${PY_CLASS.whitespace}]`, 'u');
const MILLION = 1_000_000;
// Texts of many short pieces need not be as long: their cost is per piece, and a quadratic one shows long before.
const SOME = 200_000;

// Each one once made some regex, normaliser or stemmer quadratic somewhere (several of them here).
const pathological: Array<[string, () => string]> = [
  ['a million-letter token', () => 'a'.repeat(MILLION)],
  ['a million-digit token', () => '7'.repeat(MILLION)],
  ["'yyy…e' (Porter's y rule)", () => 'y'.repeat(MILLION) + 'e'],
  ["'yyy…ational'", () => 'y'.repeat(MILLION) + 'ational'],
  ['letters and digits alternating', () => 'ab1'.repeat(MILLION / 3)],
  ["a million '<'", () => '<'.repeat(MILLION)],
  ["'<a' without '>'", () => '<a'.repeat(MILLION / 2)],
  ['combining marks on one letter', () => 'e' + '\u0301\u0316'.repeat(MILLION / 2)],
  ['zalgo words', () => ('Z\u0351\u0364\u0363\u0344\u0313\u0300algo ').repeat(SOME / 12)],
  ['zero-width characters', () => 'a\u200b\u200c\u200d\ufeff'.repeat(SOME / 5)],
  ['final sigma between ignorables', () => "Σ'".repeat(SOME / 2)],
  ['İ (lowercases to two code points)', () => 'İ'.repeat(SOME)],
  ['emoji (astral) token', () => '😀'.repeat(SOME / 2)],
  ['emoji ZWJ sequences', () => '👨‍👩‍👧‍👦'.repeat(SOME / 11)],
  ['Arabic (RTL) token', () => 'مرحبا'.repeat(MILLION / 5)],
  ['RTL override and Hebrew', () => '\u202eשלום\u202c '.repeat(SOME / 7)],
  ['ideographic spaces only', () => '\u3000'.repeat(SOME)],
  ['NUL-separated', () => 'x\u0000'.repeat(SOME / 2)],
  ['empty', () => ''],
];

const filterNames = [...new Set(Object.keys(FILTERS))].filter((n) => n !== 'lower_to_unicode' && n !== 'stem');
const entryPoints: Array<[string, (s: string) => unknown]> = [
  ['preprocessString', (s) => preprocessString(s)],
  ['simplePreprocess deacc', (s) => simplePreprocess(s, { deacc: true })],
  ['tokenize lowercase', (s) => tokenize(s, { lowercase: true })],
  ...filterNames.map((n): [string, (s: string) => unknown] => [n, FILTERS[n]!]),
];

for (const [name, make] of pathological) {
  t.test(`${name}: completes through every filter with bounded memory`, { timeout: 120_000 }, async (t) => {
    const text = make();
    const probe = new RssProbe();
    for (const [entry, run] of entryPoints) {
      const out = run(text);
      if (typeof out === 'string') t.ok(out.length <= 2 * text.length + 16, `${entry}: output stays proportional`);
      else {
        const tokens = out as string[];
        t.ok(tokens.every((tok) => tok.length > 0 && !WHITESPACE.test(tok)), `${entry}: non-empty tokens without whitespace`);
      }
    }
    // The stemmer on the text as one token (what stem_text does with a token this long).
    if (!WHITESPACE.test(text) && text.length > 0) t.type(stem(text), 'string', 'stem completes');
    t.type(deaccent(text), 'string', 'deaccent completes');
    const growth = probe.stop();
    t.ok(growth < 400, `peak RSS growth ${growth.toFixed(0)} MiB for a ${(text.length / MILLION).toFixed(1)}M-unit text (limit 400)`);
  });
}

t.test('fuzz: hostile text gives the same tokens through the fused default and the explicit gensim chain', async (t) => {
  const r = prng(20261128);
  // Wrapped so that compileFilters cannot recognise DEFAULT_FILTERS and take the fused path.
  const chain: Filter[] = DEFAULT_FILTER_NAMES.map((n) => (s: string) => FILTERS[n]!(s));
  let mismatches = 0;
  for (let i = 0; i < 1500; i++) {
    const text = hostileText(r, 10);
    const fused = preprocessString(text);
    const explicit = preprocessString(text, chain);
    if (JSON.stringify(fused) !== JSON.stringify(explicit)) {
      if (mismatches++ < 5) t.same(fused, explicit, `same tokens for ${JSON.stringify(text)}`);
    }
    const simple = simplePreprocess(text, { deacc: r.chance(0.5) });
    if (!simple.every((tok) => codePointLength(tok) >= 2 && codePointLength(tok) <= 15 && !tok.startsWith('_') && !WHITESPACE.test(tok))) {
      t.fail(`simplePreprocess bounds for ${JSON.stringify(text)}: ${JSON.stringify(simple)}`);
    }
    const once = deaccent(text);
    if (deaccent(once) !== once) t.fail(`deaccent is idempotent on ${JSON.stringify(text)}`);
    if (pythonLower(text).length < text.length) t.fail(`lowercasing never shortens ${JSON.stringify(text)}`);
  }
  t.equal(mismatches, 0, 'fused default pipeline equals the chain on 1,500 hostile texts');
});

t.test('the preprocess operator: one output per document, empty ones included, for every filter spec', async (t) => {
  const r = prng(7);
  const docs = Array.from({ length: 200 }, (_, i) => ({ id: `h${i}`, text: i % 10 === 0 ? '' : hostileText(r, 6) }));
  for (const filters of ['default', 'simple', 'none', ['strip_tags', 'strip_non_alphanum', 'split_alphanum', 'stem_text']] as const) {
    const out = await lastValueFrom(fromDocuments(docs).pipe(preprocess({ filters: filters as never, deacc: true }), toArray()));
    t.same(out.map((d) => d.id), docs.map((d) => d.id), `${JSON.stringify(filters)}: every id, in order`);
    t.ok(out.every((d) => Array.isArray(d.tokens) && d.tokens.every((tok) => tok.length > 0)), `${JSON.stringify(filters)}: token arrays`);
    t.same(out.filter((_, i) => i % 10 === 0).map((d) => d.tokens), Array(20).fill([]), `${JSON.stringify(filters)}: empty documents give no tokens`);
  }
});

// Every document below brings one new long token: kept as a V8 slice, it would keep the whole 1 MB document alive.
const filler = ' qqqq'.repeat(200_000);
const newWord = (i: number) => 'uniq' + i.toString(26).replace(/[0-9]/g, (d) => 'klmnopqrst'[Number(d)]!) + 'tokenzz';

t.test('caches of tokens do not keep documents alive', async (t) => {
  const runs: Array<[string, (s: string) => unknown]> = [
    ['default pipeline memo', (s) => preprocessString(s)],
    ['stem_text cache', (s) => preprocessString(s, [FILTERS.lowercase!, FILTERS.stem_text!])],
  ];
  for (const [name, run] of runs) {
    const before = heapMiB();
    for (let i = 0; i < 30; i++) run(`${newWord(i)}${name.length} ${filler}`);
    const retained = heapMiB() - before;
    t.ok(retained < 12, `${name}: ${retained.toFixed(1)} MiB retained after 30 documents of 1 MB (limit 12)`);
  }
});

t.test('a Dictionary does not keep documents alive through its tokens', async (t) => {
  const dictionary = new Dictionary();
  const before = heapMiB();
  for (let i = 0; i < 30; i++) dictionary.addDocuments([simplePreprocess(`${newWord(i)} ${filler}`, { maxLen: 40 })]);
  const retained = heapMiB() - before;
  t.ok(retained < 12, `${retained.toFixed(1)} MiB retained after 30 documents of 1 MB (limit 12)`);
});
