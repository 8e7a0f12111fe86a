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
