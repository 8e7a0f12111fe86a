import t from 'tap';
import { compareCodePoints } from '../../src/dictionary/compare.js';

/** Reference: compare arrays of code points, as Python compares str. */
function reference(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

const sign = (n: number): number => Math.sign(n);

const cases: Array<[string, string, number, string]> = [
  ['a', 'b', -1, 'ASCII'],
  ['ab', 'a', 1, 'prefix sorts first'],
  ['', 'a', -1, 'empty first'],
  ['x', 'x', 0, 'equal'],
  ['ﬀ', '𝐀', -1, "U+FB00 'ﬀ' before U+1D400 '𝐀' (UTF-16 says the opposite)"],
  ['ｚ', '😀', -1, 'fullwidth z U+FF5A before U+1F600'],
  ['\uffff', '𝐀', -1, 'U+FFFF before any astral character'],
  ['a𝐀', 'aﬀ', 1, 'difference after a shared prefix'],
  ['𝐀', '𝐁', -1, 'two astral characters (same high surrogate)'],
  ['𝐀', '😀', -1, 'two astral characters (different high surrogates)'],
  ['中𝐀', '中\ue000', 1, 'astral vs private use U+E000'],
  ['é', 'e\u0301', 1, 'no normalisation: U+00E9 vs e + U+0301'],
  ['\ud800', '\ue000', -1, 'lone high surrogate is its own code point (below U+E000)'],
  ['\ud800x', '𝐀', -1, 'lone high surrogate before a pair sharing it'],
];

t.test('table', async (t) => {
  for (const [a, b, want, name] of cases) {
    t.equal(sign(compareCodePoints(a, b)), want, name);
    t.equal(sign(compareCodePoints(b, a)), -want, `${name} (swapped)`);
    t.equal(sign(reference(a, b)), want, `${name} (reference agrees)`);
  }
});

t.test('agrees with code point order on generated strings', async (t) => {
  // Deterministic LCG; alphabet mixes ASCII, BMP above the surrogates, and astral characters.
  const alphabet = ['a', 'b', 'é', '\ue000', 'ﬀ', '\uffff', '𝐀', '𝐁', '😀', '中'];
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const word = (): string => Array.from({ length: 1 + Math.floor(next() * 4) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  const words = Array.from({ length: 400 }, word);
  let disagreements = 0;
  for (let i = 0; i + 1 < words.length; i++) {
    if (sign(compareCodePoints(words[i]!, words[i + 1]!)) !== sign(reference(words[i]!, words[i + 1]!))) disagreements++;
  }
  t.equal(disagreements, 0);
  const sorted = [...words].sort(compareCodePoints);
  t.same(sorted, [...words].sort(reference));
});
