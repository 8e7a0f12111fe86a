import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { take } from 'rxjs';
import { textSource } from '../../src/sources/text.js';
import { collect, eventually, openFdsOn, tempDir } from '../fixtures/sources/helpers.js';

const dir = tempDir(t);
const put = (rel: string, content: string | Buffer) => {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
};

t.test('lines mode', async (t) => {
  const cases: Array<{ name: string; content: string | Buffer; opts?: object; want: Array<[unknown, string]> }> = [
    { name: 'empty file', content: '', want: [] },
    { name: 'one line', content: 'hello world', want: [[1, 'hello world']] },
    { name: 'many with blank lines ignored, ids = line numbers', content: 'a\n\nb\r\n   \nc\n', want: [[1, 'a'], [3, 'b'], [5, 'c']] },
    { name: 'gzip', content: gzipSync('x\ny\n'), want: [[1, 'x'], [2, 'y']] },
  ];
  for (const c of cases) {
    const p = put(`lines-${c.name.replace(/\W+/g, '-')}${Buffer.isBuffer(c.content) ? '.txt.gz' : '.txt'}`, c.content);
    const { values, error } = await collect(textSource(p, c.opts));
    t.equal(error, undefined, c.name);
    t.same(values.map((d) => [d.id, d.text]), c.want, c.name);
  }
});

t.test('lines mode: bad lines follow onError', async (t) => {
  const p = put('bad-lines.txt', Buffer.concat([Buffer.from('ok\n\n'), Buffer.from([0xff, 0x0a]), Buffer.from('fine\n')]));
  const failed = await collect(textSource(p, { emptyLines: 'error' }));
  t.same(failed.values.map((d) => d.text), ['ok']);
  t.match(failed.error, { code: 'EMPTY_LINE', position: { file: p, line: 2, record: 2, byte: 3 } });
  const deadLetter = join(dir, 'text-dead.ndjson');
  const source = textSource(p, { onError: 'skip', deadLetter });
  const skipped = await collect(source);
  t.same(skipped.values.map((d) => [d.id, d.text]), [[1, 'ok'], [4, 'fine']]);
  t.same(source.stats.skippedByCode, { INVALID_UTF8: 1 });
  t.match(JSON.parse(readFileSync(deadLetter, 'utf8')), { code: 'INVALID_UTF8', line: 3, byte: 4 });
});

const tree = join(dir, 'tree');
put('tree/b.txt', 'file b');
put('tree/a.txt', 'file a');
put('tree/sub/c.txt', 'file c\nsecond line');
put('tree/sub/deeper/d.md', 'file d');
put('tree/.hidden.txt', 'hidden');
put('tree/sub/e.txt.gz', gzipSync('file e'));

t.test('files mode over a directory and globs, in sorted order', async (t) => {
  const cases: Array<{ name: string; input: string; opts?: object; want: string[] }> = [
    { name: 'directory', input: tree, want: ['a.txt', 'b.txt', 'sub/c.txt', 'sub/deeper/d.md', 'sub/e.txt.gz'] },
    { name: '*.txt', input: join(tree, '*.txt'), want: ['a.txt', 'b.txt'] },
    { name: '**/*.txt', input: join(tree, '**/*.txt'), want: ['a.txt', 'b.txt', 'sub/c.txt'] },
    { name: 'sub/**', input: join(tree, 'sub/**'), want: ['c.txt', 'deeper/d.md', 'e.txt.gz'] },
    { name: '?.txt', input: join(tree, '?.txt'), want: ['a.txt', 'b.txt'] },
    { name: 'no match', input: join(tree, '*.csv'), want: [] },
  ];
  for (const c of cases) {
    const { values, error } = await collect(textSource(c.input, c.opts));
    t.equal(error, undefined, c.name);
    // ids are relative to the directory, or to the glob's part before the first wildcard.
    t.same(values.map((d) => d.id), c.want, c.name);
  }
  const { values } = await collect(textSource(tree));
  t.same(values.map((d) => d.text), ['file a', 'file b', 'file c\nsecond line', 'file d', 'file e']);
});

t.test('lines mode over several files: ids are file:line', async (t) => {
  const { values } = await collect(textSource(join(tree, 'sub/*.txt'), { mode: 'lines' }));
  t.same(values.map((d) => [d.id, d.text]), [['c.txt:1', 'file c'], ['c.txt:2', 'second line']]);
});

t.test('files mode: empty and too large files are record errors', async (t) => {
  put('fm/1.txt', 'one');
  put('fm/2.txt', '  \n');
  put('fm/3.txt', 'x'.repeat(5000));
  put('fm/4.txt', 'four');
  const source = textSource(join(dir, 'fm'), { onError: 'skip', maxLineBytes: 1000, highWaterMark: 256 });
  const { values } = await collect(source);
  t.same(values.map((d) => d.id), ['1.txt', '4.txt']);
  t.same(source.stats.skippedByCode, { EMPTY_LINE: 1, LINE_TOO_LONG: 1 });
  const failed = await collect(textSource(join(dir, 'fm')));
  t.match(failed.error, { code: 'EMPTY_LINE', position: { file: join(dir, 'fm', '2.txt'), record: 2 } });
});

t.test('early unsubscribe closes the file; two epochs are equal', async (t) => {
  const p = put('long.txt', Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n'));
  const source = textSource(p, { highWaterMark: 64 });
  const { values } = await collect(source.pipe(take(3)));
  t.same(values.map((d) => d.id), [1, 2, 3]);
  t.ok(await eventually(() => openFdsOn(p) === 0));
  const first = await collect(source);
  const second = await collect(source);
  t.equal(first.values.length, 1000);
  t.same(second.values, first.values);
});

t.test('missing input and bad options', async (t) => {
  const { error } = await collect(textSource(join(dir, 'nope.txt')));
  t.match(error, { code: 'FILE_NOT_FOUND' });
  const globError = await collect(textSource(join(dir, 'nodir', '*.txt')));
  t.match(globError.error, { code: 'FILE_NOT_FOUND' });
  t.throws(() => textSource('x', { mode: 'words' as 'lines' }), { code: 'INVALID_OPTION', message: 'Invalid option mode: expected "lines" or "files", got "words"' });
});
