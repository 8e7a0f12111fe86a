import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { codePointLength, pySplit, pythonLower } from '../../src/preprocess/unicode.js';

const examples: Array<[string, () => unknown, unknown]> = [
  ['split on Python-only whitespace', () => pySplit('a\x1cb\x85c d'), ['a', 'b', 'c', 'd']],
  ['BOM and zero-width space are not whitespace', () => pySplit('a\ufeffb\u200bc'), ['a\ufeffb\u200bc']],
  ['split empty', () => pySplit('  '), []],
  ['len counts a surrogate pair once', () => codePointLength('a😀'), 2],
  ['len counts a lone surrogate once', () => codePointLength('a\ud800'), 2],
  ['final sigma ("." is case-ignorable)', () => pythonLower('ΣΑΣ ΑΣ.Σ'), 'σας ασ.ς'],
  ['sigma before a case-ignorable then letter', () => pythonLower('ΑΣ\u00adΑ'), 'ασ\u00adα'],
  ['ASCII fast path', () => pythonLower('HeLLo'), 'hello'],
  ['astral', () => pythonLower('𐐀x'), '𐐨x'],
];
for (const [name, run, want] of examples) t.test(name, async (t) => t.same(run(), want));

type Case = Record<string, string | string[]> & { input: string };
const cases = JSON.parse(
  gunzipSync(readFileSync(new URL('../fixtures/preprocess/unicode-cases.json.gz', import.meta.url))).toString('utf8'),
) as Case[];
t.test('str.split() and str.lower() equal Python on the Unicode cases', async (t) => {
  let bad = 0;
  for (const c of cases) {
    if (JSON.stringify(pySplit(c.input)) !== JSON.stringify(c.split) || pythonLower(c.input) !== c.lowercase) {
      if (bad < 3) t.same([pySplit(c.input), pythonLower(c.input)], [c.split, c.lowercase], JSON.stringify(c.input));
      bad++;
    }
  }
  t.equal(bad, 0);
});
