import t from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { take, map } from 'rxjs';
import { ndjsonSource } from '../../src/sources/ndjson.js';
import { isCorpusflowError } from '../../src/errors.js';
import { collect, eventually, openFdsOn, tempDir } from '../fixtures/sources/helpers.js';

const dir = tempDir(t);
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const many = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `text ${i} ünï`, n: i })).join('\n') + '\n';

t.test('reads documents', async (t) => {
  const cases: Array<{ name: string; content: string | Buffer; opts?: object; ids: unknown[]; texts?: string[] }> = [
    { name: 'empty file', content: '', ids: [] },
    { name: 'one record, no trailing newline', content: '{"id":"a","text":"x"}', ids: ['a'], texts: ['x'] },
    { name: 'one record', content: '{"id":7,"text":"x"}\n', ids: [7] },
    { name: 'missing id -> record number', content: '{"text":"x"}\n{"text":"y"}\n', ids: [1, 2] },
    { name: 'CRLF and BOM', content: '\uFEFF{"text":"a"}\r\n{"text":"b"}\r\n', ids: [1, 2], texts: ['a', 'b'] },
    { name: 'dotted paths', content: '{"meta":{"key":"k1"},"payload":{"body":"hi"}}\n', opts: { text: 'payload.body', id: 'meta.key' }, ids: ['k1'], texts: ['hi'] },
    { name: 'many', content: many, ids: Array.from({ length: 500 }, (_, i) => `d${i}`) },
  ];
  for (const c of cases) {
    const p = file(`r-${c.name.replace(/\W+/g, '-')}.ndjson`, c.content);
    const { values, error } = await collect(ndjsonSource(p, c.opts));
    t.equal(error, undefined, `${c.name}: no error`);
    t.same(values.map((d) => d.id), c.ids, `${c.name}: ids`);
    if (c.texts) t.same(values.map((d) => d.text), c.texts, `${c.name}: texts`);
  }
});

t.test('keeps the record\'s other fields', async (t) => {
  const p = file('fields.ndjson', '{"id":"a","text":"x","lang":"en","tags":[1]}\n');
  const { values } = await collect(ndjsonSource(p));
  t.same(values[0], { id: 'a', text: 'x', lang: 'en', tags: [1] });
});

t.test('gzip: decompressed transparently, bytesRead counts compressed bytes', async (t) => {
  const gz = gzipSync(Buffer.from(many));
  const p = file('many.ndjson.gz', gz);
  const source = ndjsonSource(p, { highWaterMark: 1024 });
  const { values, error } = await collect(source);
  t.equal(error, undefined);
  t.equal(values.length, 500);
  t.equal(source.stats.bytesRead, gz.length);
  t.equal(source.stats.bytesTotal, gz.length);
});

t.test('corrupt gzip fails with IO_ERROR', async (t) => {
  const p = file('bad.ndjson.gz', Buffer.from('not gzip at all'));
  const { error } = await collect(ndjsonSource(p));
  t.match(error, { code: 'IO_ERROR', position: { file: p } });
});

const bad = [
  '{"id":"a","text":"ok 1"}', // line 1, byte 0
  '{"text": broken', // 2 INVALID_JSON
  '   ', // 3 EMPTY_LINE
  '{"id":"b"}', // 4 MISSING_FIELD
  '{"text":["x"]}', // 5 INVALID_FIELD_TYPE
  '{"text":"ok 2","id":{"x":1}}', // 6 INVALID_FIELD_TYPE (id)
  '"just a string"', // 7 MISSING_FIELD
  '{"id":"c","text":"ok 3"}', // 8
];
const badContent = Buffer.concat([Buffer.from(bad.join('\n') + '\n'), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]), Buffer.from('{"text":"' + 'x'.repeat(300) + '"}\n{"text":"end"}\n')]);
// line 9 INVALID_UTF8, line 10 LINE_TOO_LONG (maxLineBytes 100), line 11 ok
const byteOf = (line: number) => badContent.indexOf(Buffer.from(line <= 8 ? bad[line - 1]! : ''), 0);

t.test('bad records: fail stops at the first with its position', async (t) => {
  const p = file('bad.ndjson', badContent);
  const { values, error } = await collect(ndjsonSource(p, { maxLineBytes: 100 }));
  t.same(values.map((d) => d.id), ['a']);
  t.ok(isCorpusflowError(error));
  t.match(error, { code: 'INVALID_JSON', position: { file: p, line: 2, record: 2, byte: byteOf(2) }, raw: '{"text": broken' });
  t.equal(openFdsOn(p), 0, 'file closed after the error');
});

t.test('bad records: skip counts them and writes the dead letter', async (t) => {
  const p = file('bad2.ndjson', badContent);
  const deadLetter = join(dir, 'dead.ndjson');
  const source = ndjsonSource(p, { maxLineBytes: 100, onError: 'skip', deadLetter, highWaterMark: 7 });
  const { values, error } = await collect(source);
  t.equal(error, undefined);
  t.same(values.map((d) => d.id), ['a', 'c', 11]);
  t.same(source.stats.skippedByCode, { INVALID_JSON: 1, EMPTY_LINE: 1, MISSING_FIELD: 2, INVALID_FIELD_TYPE: 2, INVALID_UTF8: 1, LINE_TOO_LONG: 1 });
  t.match(source.stats, { records: 11, emitted: 3, skipped: 8, bytesRead: badContent.length });
  const dead = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(dead.map((d) => [d.line, d.code]), [
    [2, 'INVALID_JSON'], [3, 'EMPTY_LINE'], [4, 'MISSING_FIELD'], [5, 'INVALID_FIELD_TYPE'], [6, 'INVALID_FIELD_TYPE'],
    [7, 'MISSING_FIELD'], [9, 'INVALID_UTF8'], [10, 'LINE_TOO_LONG'],
  ]);
  for (const d of dead.slice(0, 6)) t.equal(d.byte, byteOf(d.line), `byte offset of line ${d.line}`);
  t.same(Object.keys(dead[0]), ['file', 'line', 'record', 'byte', 'code', 'reason', 'raw']);
  t.equal(dead[0].raw, '{"text": broken');
  t.equal(dead[4].reason, 'Id field "id" must be a string or number, got an object');
  t.equal(dead[7].raw, '{"text":"' + 'x'.repeat(300) + '"}', 'raw of the long line (short enough to keep whole)');
  t.equal(dead[7].byte, badContent.indexOf('{"text":"xxx'));
});

t.test('an over-long line is not buffered whole', async (t) => {
  // 8 MiB line with a 1 KiB limit: if it were buffered the raw would be huge; it is cut to 4 KiB.
  const p = file('huge.ndjson', '{"text":"a"}\n' + '{"text":"' + 'y'.repeat(8 << 20) + '"}\n{"text":"b"}\n');
  const source = ndjsonSource(p, { maxLineBytes: 1024, onError: 'skip', deadLetter: join(dir, 'huge-dead.ndjson') });
  const { values } = await collect(source);
  t.same(values.map((d) => d.text), ['a', 'b']);
  const dead = JSON.parse(readFileSync(join(dir, 'huge-dead.ndjson'), 'utf8'));
  t.match(dead, { code: 'LINE_TOO_LONG', line: 2, byte: 13 });
  t.ok(dead.raw.length <= 4097);
});

t.test('early unsubscribe closes the file', async (t) => {
  const p = file('early.ndjson', many);
  for (const n of [1, 10, 499]) {
    const source = ndjsonSource(p, { highWaterMark: 64 });
    const { values, error } = await collect(source.pipe(take(n)));
    t.equal(error, undefined);
    t.equal(values.length, n);
    t.ok(await eventually(() => openFdsOn(p) === 0), `take(${n}): fd closed`);
    t.ok(source.stats.bytesRead < Buffer.byteLength(many) || n === 499, `take(${n}) stopped reading`);
  }
});

t.test('early unsubscribe closes a gzip file too', async (t) => {
  const p = file('early.ndjson.gz', gzipSync(Buffer.from(many.repeat(20))));
  const source = ndjsonSource(p, { highWaterMark: 256 });
  const { values } = await collect(source.pipe(take(2)));
  t.equal(values.length, 2);
  t.ok(await eventually(() => openFdsOn(p) === 0), 'fd closed');
  t.ok(source.stats.bytesRead < (source.stats.bytesTotal ?? 0), 'stopped before the end');
});

t.test('the dead letter is finalised when the subscriber leaves early', async (t) => {
  const p = file('dl-early.ndjson', 'oops\n{"x":1}\n{"text":"a"}\n' + many);
  const deadLetter = join(dir, 'dl-early-dead.ndjson');
  const { values } = await collect(ndjsonSource(p, { onError: 'skip', deadLetter }).pipe(take(1)));
  t.same(values.map((d) => d.text), ['a']);
  t.ok(await eventually(() => existsSync(deadLetter)), 'renamed into place after unsubscribe');
  t.same(readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l).code), ['INVALID_JSON', 'MISSING_FIELD']);
});

t.test('a downstream error stops reading and closes the file', async (t) => {
  const p = file('downstream.ndjson', many);
  const source = ndjsonSource(p, { highWaterMark: 64 });
  const { values, error } = await collect(source.pipe(map((d, i) => { if (i === 3) throw new Error('boom'); return d; })));
  t.equal(values.length, 3);
  t.match(error, { message: 'boom' });
  t.ok(await eventually(() => openFdsOn(p) === 0));
  t.ok(source.stats.emitted <= 5);
});

t.test('subscribing twice gives the same epoch', async (t) => {
  const p = file('twice.ndjson', many);
  const source = ndjsonSource(p, { highWaterMark: 333 });
  const first = await collect(source);
  const second = await collect(source);
  t.same(second.values, first.values);
  t.equal(source.stats.emitted, 500, 'stats are those of the latest epoch');
});

t.test('missing file and bad options', async (t) => {
  const { error } = await collect(ndjsonSource(join(dir, 'nope.ndjson')));
  t.match(error, { code: 'FILE_NOT_FOUND', position: { file: join(dir, 'nope.ndjson') } });
  const cases: Array<[object, string]> = [
    [{ onError: 'ignore' }, 'Invalid option onError: expected "fail" or "skip", got "ignore"'],
    [{ maxLineBytes: 0 }, 'Invalid option maxLineBytes: expected a positive integer, got 0'],
    [{ text: 'a..b' }, 'Invalid option text: expected a field name or dotted path like "payload.body", got "a..b"'],
    [{ on_error: 'skip' }, 'Invalid option on_error: unknown option [INVALID_OPTION] (did you mean "onError"?)'],
  ];
  for (const [opts, message] of cases) {
    t.throws(() => ndjsonSource('x.ndjson', opts as object), { code: 'INVALID_OPTION', message });
  }
});

t.test('dead letter is created (empty) when nothing is skipped', async (t) => {
  const p = file('clean.ndjson', '{"text":"a"}\n');
  const deadLetter = join(dir, 'clean-dead.ndjson');
  await collect(ndjsonSource(p, { onError: 'skip', deadLetter }));
  t.ok(existsSync(deadLetter));
  t.equal(readFileSync(deadLetter, 'utf8'), '');
});
