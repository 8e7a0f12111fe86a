import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_FILTERS, stripTags, type Filter } from '../../src/preprocess/filters.js';
import { compileFilters, preprocessString } from '../../src/preprocess/preprocess.js';

const examples: Array<[string, () => unknown, unknown]> = [
  ['gensim docstring', () => preprocessString("<i>Hel 9lo</i> <b>Wo9 rld</b>! Th3     weather_is really g00d today, isn't it?"),
    ['hel', 'rld', 'weather', 'todai', 'isn']],
  ['digits inside a word join its halves', () => preprocessString('com9puter pro9gram'), ['program']],
  ['stop word only after digits go', () => preprocessString('the1 about2'), []],
  ['custom chain', () => preprocessString('<b>Hello</b>  World', [stripTags, (s: string) => s.toUpperCase()]), ['HELLO', 'WORLD']],
  ['empty chain splits on whitespace', () => preprocessString('a\u3000b\x1cc', []), ['a', 'b', 'c']],
  ['empty text', () => preprocessString(''), []],
  ['compile none', () => compileFilters('none')('a  b\tc'), ['a', 'b', 'c']],
  ['compile names', () => compileFilters(['lowercase', 'strip_punctuation'])('Hi, there!'), ['hi', 'there']],
  ['compile default with stop words', () => compileFilters('default', { stopwords: ['cats'] })('the cats sat'), ['the', 'sat']],
  ['compile default with minsize', () => compileFilters('default', { minsize: 4 })('cats sat running'), ['cat', 'run']],
  ['compile names with minsize', () => compileFilters(['strip_short'], { minsize: 2 })('a bb ccc'), ['bb', 'ccc']],
  ['compile mixes functions', () => compileFilters(['lowercase', (s: string) => s.replace('x', 'y')])('XX'), ['yx']],
];
for (const [name, run, want] of examples) t.test(name, async (t) => t.same(run(), want));

t.test('unknown filter name fails up front', async (t) => {
  t.throws(() => compileFilters(['lowercase', 'strip_html']), {
    code: 'INVALID_OPTION',
    message: /^Invalid option filters\[1\]: expected one of lowercase, .* or a function, got "strip_html"/,
  });
  t.throws(() => compileFilters('fancy' as never), { code: 'INVALID_OPTION' });
  t.throws(() => compileFilters('default', { minsize: -2 }), { code: 'INVALID_OPTION' });
});

// gensim 4.2's preprocess_string on tricky Unicode, through the fused path and through the plain chain.
type Case = Record<string, string | string[]> & { input: string };
const cases = JSON.parse(
  gunzipSync(readFileSync(new URL('../fixtures/preprocess/unicode-cases.json.gz', import.meta.url))).toString('utf8'),
) as Case[];
const variants: Array<[string, (s: string) => string[]]> = [
  ['fused default', (s) => preprocessString(s)],
  ['filter chain', (s) => preprocessString(s, [...DEFAULT_FILTERS] as Filter[])],
  ['compiled default', compileFilters('default')],
];
for (const [name, run] of variants) {
  t.test(`${name} equals gensim on ${cases.length} Unicode cases`, async (t) => {
    let bad = 0;
    for (const c of cases) {
      const got = run(c.input);
      if (JSON.stringify(got) !== JSON.stringify(c.preprocess_string)) {
        if (bad < 3) t.same(got, c.preprocess_string, JSON.stringify(c.input));
        bad++;
      }
    }
    t.equal(bad, 0);
  });
}

// The fused path folds case while it scans and memoises tokens in a bounded table; it must give the chain's
// tokens on any text: tags hiding or splitting special characters, capital sigma, 'İ', U+FFFF, astral letters,
// digits inside tokens, tokens longer than the memo keeps, and more distinct tokens than the memo holds.
const PIECES = [
  'Σ', 'ΟΔΟΣ', 'İstanbul', 'K', '\uffff', '𐐀', 'ǅ', 'ß', 'ﬃ', '<', '>', '<b>', '</i>', '<Σ>', '<İ>', ' ', '\u00a0', '\n',
  '9', '12', "'", '-', '_', 'the', 'The', 'RUNNING', 'ponies', 'x', 'ab', 'Abc', 'é', 'É', 'naïve', '😀', '\u0307',
  'generalizations'.repeat(6),
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

t.test('fused default path equals the filter chain on random tricky text', async (t) => {
  const random = rng(42);
  const chain = [...DEFAULT_FILTERS] as Filter[];
  let bad = 0;
  for (let doc = 0; doc < 2000; doc++) {
    let text = '';
    const n = 1 + Math.floor(random() * 30);
    for (let i = 0; i < n; i++) text += PIECES[Math.floor(random() * PIECES.length)];
    const got = preprocessString(text);
    const want = preprocessString(text, chain);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      if (bad < 3) t.same(got, want, JSON.stringify(text));
      bad++;
    }
  }
  t.equal(bad, 0);
});

t.test('fused path stays exact when its memo fills up and is emptied', async (t) => {
  // More distinct tokens than the memo's 2^17-slot table holds at three quarters full.
  const run = compileFilters('default', { stopwords: ['zzz'] });
  const chain = compileFilters(['lowercase', 'strip_tags', 'strip_punctuation', 'strip_multiple_whitespaces', 'strip_numeric', 'remove_stopwords', 'strip_short', 'stem_text'], { stopwords: ['zzz'] });
  const word = (i: number): string => {
    let w = '';
    for (let k = 0; k < 4; k++, i = Math.floor(i / 26)) w += String.fromCharCode(65 + (i % 26));
    return w + 'ing';
  };
  let bad = 0;
  for (let round = 0; round < 2; round++) {
    for (let start = 0; start < 120_000; start += 1000) {
      const words: string[] = [];
      for (let i = start; i < start + 1000; i++) words.push(word(i));
      const text = words.join(' ');
      if (JSON.stringify(run(text)) !== JSON.stringify(chain(text))) bad++;
    }
  }
  t.equal(bad, 0);
});
