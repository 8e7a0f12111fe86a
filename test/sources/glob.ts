import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { globFiles, hasGlobMagic, splitGlob, walkDirectory } from '../../src/sources/glob.js';
import { tempDir } from '../fixtures/sources/helpers.js';

t.test('splitGlob', async (t) => {
  const cases: Array<[string, { base: string; segments: string[] }]> = [
    ['*.txt', { base: '.', segments: ['*.txt'] }],
    ['data/*.txt', { base: 'data', segments: ['*.txt'] }],
    ['/abs/dir/**/x?.md', { base: '/abs/dir', segments: ['**', 'x?.md'] }],
    ['a/b*/c', { base: 'a', segments: ['b*', 'c'] }],
  ];
  for (const [pattern, want] of cases) t.same(splitGlob(pattern), want, pattern);
  t.ok(hasGlobMagic('a/*'));
  t.notOk(hasGlobMagic('a/b.txt'));
});

const dir = tempDir(t);
for (const rel of ['b.txt', 'a.txt', 'a-b.txt', 'x/y.txt', 'x/z/w.txt', 'x/.h/q.txt', '.top.txt', 'c.md', 'ab.txt', 'b1/x.txt']) {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), rel);
}
const list = async (it: AsyncIterable<{ relative: string }>) => {
  const out: string[] = [];
  for await (const f of it) out.push(f.relative);
  return out;
};

t.test('globFiles', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['*.txt', ['a-b.txt', 'a.txt', 'ab.txt', 'b.txt']],
    ['?.txt', ['a.txt', 'b.txt']],
    ['a*', ['a-b.txt', 'a.txt', 'ab.txt']],
    ['**/*.txt', ['a-b.txt', 'a.txt', 'ab.txt', 'b.txt', 'b1/x.txt', 'x/y.txt', 'x/z/w.txt']],
    ['x/**/*.txt', ['y.txt', 'z/w.txt']],
    ['*/*.txt', ['b1/x.txt', 'x/y.txt']],
    ['.*.txt', ['.top.txt']],
    ['*.csv', []],
  ];
  for (const [pattern, want] of cases) t.same(await list(globFiles(join(dir, pattern))), want, pattern);
});

t.test('walkDirectory: every visible file, depth first, sorted', async (t) => {
  t.same(await list(walkDirectory(dir)), ['a-b.txt', 'a.txt', 'ab.txt', 'b.txt', 'b1/x.txt', 'c.md', 'x/y.txt', 'x/z/w.txt']);
});
