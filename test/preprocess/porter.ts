import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { StemCache, stem } from '../../src/preprocess/porter.js';

// gensim's departures and quirks, each named.
const cases: Array<[string, string, string]> = [
  ['docstring', 'ponies', 'poni'],
  ['lowercases first', 'Generalizations', 'gener'],
  ['two letters untouched (departure)', 'is', 'is'],
  ['two letters untouched, lowered', 'AS', 'as'],
  ['-bli -> -ble (departure)', 'conformabli', 'conform'],
  ['-logi -> -log (departure)', 'archaeology', 'archaeolog'],
  ['"ies" alone reads before the start (negative index)', 'ies', 'i'],
  ['y after y alternates consonant and vowel', 'yyyyy', 'yyyyi'],
  ['step 1a sses', 'caresses', 'caress'],
  ['step 1b eed', 'agreed', 'agre'],
  ['step 1b double consonant', 'hopping', 'hop'],
  ['step 1b cvc -> e', 'filing', 'file'],
  ['step 5 ll', 'controll', 'control'],
  ['non-ASCII passes through', 'naïveté', 'naïveté'],
  ['astral code points count once (no vowel: -ing stays)', '𐐀𐐨ing', '𐐨𐐨ing'],
  ['dotted I lowercases to two code points', 'İs', 'i̇'],
];
for (const [name, word, want] of cases) t.test(name, async (t) => t.equal(stem(word), want));

t.test(`word list stems equal gensim's`, async (t) => {
  const lines = gunzipSync(readFileSync(new URL('../fixtures/preprocess/porter-words.tsv.gz', import.meta.url)))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
  t.ok(lines.length > 10_000, `${lines.length} words`);
  let bad = 0;
  for (const line of lines) {
    const [word, want] = line.split('\t') as [string, string];
    const got = stem(word);
    if (got !== want) {
      if (bad < 5) t.equal(got, want, word);
      bad++;
    }
  }
  t.equal(bad, 0);
});

t.test('StemCache is bounded and agrees with stem()', async (t) => {
  const cache = new StemCache(3);
  for (const w of ['running', 'ponies', 'caresses', 'hopping', 'running']) t.equal(cache.stem(w), stem(w));
  t.ok(cache.size <= 3, `size ${cache.size} ≤ 3`);
});
