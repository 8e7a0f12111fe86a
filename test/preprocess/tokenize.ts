import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { deaccent, simplePreprocess, tokenize } from '../../src/preprocess/tokenize.js';

const examples: Array<[string, () => unknown, unknown]> = [
  ['deaccent', () => deaccent('Šéf chomutovských komunistů dostal poštou bílý prášek'), 'Sef chomutovskych komunistu dostal postou bily prasek'],
  ['tokenize deacc', () => tokenize('Nic nemůže letět rychlostí vyšší, než 300 tisíc kilometrů za sekundu!', { deacc: true }),
    ['Nic', 'nemuze', 'letet', 'rychlosti', 'vyssi', 'nez', 'tisic', 'kilometru', 'za', 'sekundu']],
  ['tokenize keeps underscore, splits on digits', () => tokenize('snake_case a1b ½x'), ['snake_case', 'a', 'b', '½x']],
  ['tokenize lowercase', () => tokenize('ΟΔΟΣ Hello', { lowercase: true }), ['οδος', 'hello']],
  ['simple_preprocess', () => simplePreprocess('Hello, World! _private x'), ['hello', 'world']],
  ['simple_preprocess maxLen counts code points', () => simplePreprocess('𐐨𐐨𐐨 abcd', { minLen: 3, maxLen: 3 }), ['𐐨𐐨𐐨']],
  ['simple_preprocess minLen counts code points', () => simplePreprocess('𐐨𐐨 abc', { minLen: 3 }), ['abc']],
  ['empty', () => simplePreprocess(''), []],
];
for (const [name, run, want] of examples) t.test(name, async (t) => t.same(run(), want));

t.test('invalid options', async (t) => {
  t.throws(() => simplePreprocess('x', { minLen: -1 }), { code: 'INVALID_OPTION', message: 'Invalid option minLen: expected a non-negative integer, got -1 [INVALID_OPTION]' });
  t.throws(() => simplePreprocess('x', { maxLen: 1.5 }), { code: 'INVALID_OPTION' });
});

// gensim 4.2's outputs on tricky Unicode (test/fixtures/preprocess/gen_expected.py).
type Case = Record<string, string | string[]> & { input: string };
const cases = JSON.parse(
  gunzipSync(readFileSync(new URL('../fixtures/preprocess/unicode-cases.json.gz', import.meta.url))).toString('utf8'),
) as Case[];
const runs: Record<string, (s: string) => unknown> = {
  tokenize: (s) => tokenize(s),
  tokenize_lower_deacc: (s) => tokenize(s, { lowercase: true, deacc: true }),
  deaccent,
  simple_preprocess: (s) => simplePreprocess(s),
  simple_preprocess_deacc_1_5: (s) => simplePreprocess(s, { deacc: true, minLen: 1, maxLen: 5 }),
};
for (const [name, run] of Object.entries(runs)) {
  t.test(`${name} equals gensim on ${cases.length} Unicode cases`, async (t) => {
    let bad = 0;
    for (const c of cases) {
      const got = run(c.input);
      if (JSON.stringify(got) !== JSON.stringify(c[name])) {
        if (bad < 3) t.same(got, c[name], JSON.stringify(c.input));
        bad++;
      }
    }
    t.equal(bad, 0);
  });
}
