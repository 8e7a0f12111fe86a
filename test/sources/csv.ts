import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { take } from 'rxjs';
import { csvSource } from '../../src/sources/csv.js';
import { collect, eventually, openFdsOn, tempDir } from '../fixtures/sources/helpers.js';

const dir = tempDir(t);
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const manyRows = 'id,text,lang\n' + Array.from({ length: 300 }, (_, i) => `r${i},"row ${i}, with comma",en`).join('\n') + '\n';

t.test('reads rows', async (t) => {
  const cases: Array<{ name: string; file: string; content: string | Buffer; opts?: object; want: Array<[unknown, string]> }> = [
    { name: 'empty file', file: 'e.csv', content: '', want: [] },
    { name: 'header only', file: 'h.csv', content: 'id,text\n', want: [] },
    { name: 'one row', file: 'one.csv', content: 'id,text\na,hello\n', want: [['a', 'hello']] },
    { name: 'no id column -> record number', file: 'noid.csv', content: 'text\nx\ny', want: [[1, 'x'], [2, 'y']] },
    { name: 'quoted multi-line field', file: 'ml.csv', content: 'id,text\n1,"two\nlines"\n2,"say ""hi"""\n', want: [['1', 'two\nlines'], ['2', 'say "hi"']] },
    { name: 'TSV by extension', file: 't.tsv', content: 'id\ttext\n1\ta,b\n', want: [['1', 'a,b']] },
    { name: 'chosen delimiter and columns by name', file: 's.csv', content: 'key;body\nk;v\n', opts: { delimiter: ';', text: 'body', id: 'key' }, want: [['k', 'v']] },
    { name: 'no header, columns by index', file: 'nh.csv', content: 'x,first\ny,second\n', opts: { columns: false, text: 1, id: 0 }, want: [['x', 'first'], ['y', 'second']] },
    { name: 'no header, default text column 0', file: 'nh0.csv', content: 'first\nsecond\n', opts: { columns: false }, want: [[1, 'first'], [2, 'second']] },
    { name: 'given column names', file: 'cn.csv', content: 'a,b\n', opts: { columns: ['id', 'text'] }, want: [['a', 'b']] },
    { name: 'gzip', file: 'g.csv.gz', content: gzipSync('id,text\n1,zipped\n'), want: [['1', 'zipped']] },
  ];
  for (const c of cases) {
    const { values, error } = await collect(csvSource(file(c.file, c.content), c.opts));
    t.equal(error, undefined, `${c.name}: no error`);
    t.same(values.map((d) => [d.id, d.text]), c.want, c.name);
  }
});

t.test('documents keep the other columns', async (t) => {
  const { values } = await collect(csvSource(file('m.csv', manyRows)));
  t.equal(values.length, 300);
  t.same(values[299], { id: 'r299', text: 'row 299, with comma', lang: 'en' });
});

// line 1 header; 2 ok; 3-4 multi-line ok; 5 and 7 wrong column count; 6 empty; 8 ok
const bad = 'id,text\n1,good\n2,"multi\nline"\n3,x,extra\n\n4\n5,last\n';

t.test('bad rows: fail stops with the position', async (t) => {
  const p = file('bad.csv', bad);
  const { values, error } = await collect(csvSource(p));
  t.same(values.map((d) => d.id), ['1', '2']);
  t.match(error, { code: 'CSV_PARSE', position: { file: p, line: 5, record: 3, byte: bad.indexOf('3,x') } });
  t.equal(openFdsOn(p), 0);
});

t.test('bad rows: skip counts and dead-letters them', async (t) => {
  const p = file('bad2.csv', bad);
  const deadLetter = join(dir, 'csv-dead.ndjson');
  const source = csvSource(p, { onError: 'skip', deadLetter });
  const { values, error } = await collect(source);
  t.equal(error, undefined);
  t.same(values.map((d) => [d.id, d.text]), [['1', 'good'], ['2', 'multi\nline'], ['5', 'last']]);
  t.same(source.stats.skippedByCode, { CSV_PARSE: 2, EMPTY_LINE: 1 });
  t.match(source.stats, { records: 6, emitted: 3, skipped: 3 });
  const dead = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(dead.map((d) => [d.line, d.record, d.code, d.raw]), [
    [5, 3, 'CSV_PARSE', '3,x,extra\n'],
    [6, 4, 'EMPTY_LINE', '\n'],
    [7, 5, 'CSV_PARSE', '4\n'],
  ]);
  t.equal(dead[0].byte, bad.indexOf('3,x'));
});

t.test('an unclosed quote points at the row it opens (regression: byte was 0)', async (t) => {
  const content = 'id,text\n1,fine\n2,"open\n3,never\n';
  const { values, error } = await collect(csvSource(file('unclosed.csv', content)));
  t.same(values.map((d) => d.id), ['1']);
  t.match(error, { code: 'CSV_PARSE', position: { line: 3, record: 2, byte: content.indexOf('2,"open') } });
});

t.test('missing text column and invalid UTF-8', async (t) => {
  const p = file('nocol.csv', 'id,body\n1,x\n');
  const { error } = await collect(csvSource(p));
  t.match(error, { code: 'MISSING_FIELD', position: { line: 2, record: 1, field: 'text' } });
  const q = file('utf.csv', Buffer.concat([Buffer.from('id,text\n1,ok\n2,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n3,fine\n')]));
  const source = csvSource(q, { onError: 'skip' });
  const { values } = await collect(source);
  t.same(values.map((d) => d.id), ['1', '3']);
  t.same(source.stats.skippedByCode, { INVALID_UTF8: 1 });
});

t.test('a row over maxLineBytes stops the stream even under skip', async (t) => {
  const p = file('long.csv', 'id,text\n1,' + 'z'.repeat(500) + '\n2,ok\n');
  const { error } = await collect(csvSource(p, { maxLineBytes: 100, onError: 'skip' }));
  t.match(error, { code: 'LINE_TOO_LONG', position: { file: p, line: 2 } });
  t.equal(openFdsOn(p), 0);
});

t.test('early unsubscribe closes the file', async (t) => {
  const p = file('early.csv', manyRows);
  const source = csvSource(p, { highWaterMark: 128 });
  const { values } = await collect(source.pipe(take(2)));
  t.equal(values.length, 2);
  t.ok(await eventually(() => openFdsOn(p) === 0));
  t.ok(source.stats.bytesRead < Buffer.byteLength(manyRows));
});

t.test('subscribing twice gives the same epoch', async (t) => {
  const source = csvSource(file('twice.csv', manyRows), { highWaterMark: 100 });
  const first = await collect(source);
  const second = await collect(source);
  t.equal(first.values.length, 300);
  t.same(second.values, first.values);
});

t.test('option validation', async (t) => {
  const cases: Array<[object, string]> = [
    [{ columns: 'yes' }, 'Invalid option columns: expected true, false or an array of names, got "yes"'],
    [{ text: 1 }, 'Invalid option text: a column index needs columns: false, got 1 [INVALID_OPTION] (name the column instead, or set columns: false)'],
    [{ columns: false, text: -1 }, 'Invalid option text: expected a column name or 0-based index, got -1'],
    [{ delimiter: '' }, 'Invalid option delimiter: expected a non-empty string, got ""'],
  ];
  for (const [opts, message] of cases) t.throws(() => csvSource('x.csv', opts as object), { code: 'INVALID_OPTION', message });
});
