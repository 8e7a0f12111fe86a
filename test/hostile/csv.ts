// Hostile CSV (issue 6 §2): unbalanced quotes, ragged rows, BOM, CRLF, invalid
// UTF-8, over-long records; a seeded round-trip fuzz plus a corruption fuzz.
import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvSource } from '../../src/sources/csv.js';
import { isCorpusflowError, RECORD_ERROR_CODES } from '../../src/errors.js';
import { collect, tempDir } from '../fixtures/sources/helpers.js';
import { hostileText, prng } from '../fixtures/hostile/gen.js';

const dir = tempDir(t, 'cf-hostile-csv-');
let fileNo = 0;
const file = (content: string | Buffer, ext = 'csv') => {
  const p = join(dir, `f${++fileNo}.${ext}`);
  writeFileSync(p, content);
  return p;
};

/** A CSV cell, quoted when it has to be (and sometimes when it does not). */
function cell(value: string, quoteAnyway: boolean): string {
  return quoteAnyway || /[",\r\n]/.test(value) || value.trim() !== value ? `"${value.replace(/"/g, '""')}"` : value;
}

t.test('table: each hostile CSV either skips with a reason or fails naming its position', async (t) => {
  const cases: Array<{ name: string; content: string | Buffer; texts: string[]; skipped: Record<string, number>; fail?: { code: string; line: number; record?: number } }> = [
    { name: 'BOM', content: '\ufeffid,text\n1,bom\n', texts: ['bom'], skipped: {} },
    { name: 'CRLF with a quoted CRLF inside', content: 'id,text\r\n1,"a\r\nb"\r\n2,c\r\n', texts: ['a\r\nb', 'c'], skipped: {} },
    { name: 'BOM + CRLF, no final newline', content: '\ufeffid,text\r\n1,x\r\n2,y', texts: ['x', 'y'], skipped: {} },
    { name: 'ragged rows', content: 'id,text\n1,a,b\n2\n3,ok\n', texts: ['ok'], skipped: { CSV_PARSE: 2 }, fail: { code: 'CSV_PARSE', line: 2, record: 1 } },
    { name: 'unbalanced quote swallows the rest', content: 'id,text\n1,fine\n2,"open\n3,never\n', texts: ['fine'], skipped: { CSV_PARSE: 1 }, fail: { code: 'CSV_PARSE', line: 3, record: 2 } },
    { name: 'empty line', content: 'id,text\n1,a\n\n2,b\n', texts: ['a', 'b'], skipped: { EMPTY_LINE: 1 }, fail: { code: 'EMPTY_LINE', line: 3, record: 2 } },
    { name: 'invalid UTF-8 row', content: Buffer.concat([Buffer.from('id,text\n1,a\n2,b'), Buffer.from([0xff, 0xfe]), Buffer.from('c\n3,d\n')]), texts: ['a', 'd'], skipped: { INVALID_UTF8: 1 }, fail: { code: 'INVALID_UTF8', line: 3, record: 2 } },
    { name: 'NUL bytes are text', content: 'id,text\n1,a\u0000b\n', texts: ['a\u0000b'], skipped: {} },
    { name: 'no text column', content: 'id,body\n1,a\n', texts: [], skipped: { MISSING_FIELD: 1 }, fail: { code: 'MISSING_FIELD', line: 2, record: 1 } },
  ];
  for (const c of cases) {
    const p = file(c.content);
    const skip = csvSource(p, { onError: 'skip', deadLetter: `${p}.dead` });
    const skipped = await collect(skip);
    t.equal(skipped.error, undefined, `${c.name}: skip mode completes`);
    t.same(skipped.values.map((d) => d.text), c.texts, `${c.name}: texts`);
    t.same(skip.stats.skippedByCode, c.skipped, `${c.name}: skippedByCode`);
    const dead = readFileSync(`${p}.dead`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    t.ok(dead.every((d) => d.file === p && d.line >= 1 && d.record >= 1 && typeof d.code === 'string' && d.reason), `${c.name}: dead letters carry code, reason, file, line, record`);
    const failing = await collect(csvSource(p));
    if (!c.fail) {
      t.equal(failing.error, undefined, `${c.name}: fail mode has nothing to fail on`);
      continue;
    }
    t.ok(isCorpusflowError(failing.error), `${c.name}: CorpusflowError`);
    t.match(failing.error, { code: c.fail.code, position: { file: p, line: c.fail.line, ...(c.fail.record ? { record: c.fail.record } : {}) } }, `${c.name}: names the position`);
  }
});

t.test('byte offsets of bad rows point at the row', async (t) => {
  for (const [content, row] of [
    ['id,text\n1,fine\n2,"open\n3,never\n', '2,"open'],
    ['id,text\n1,fine\n2,a,b\n', '2,a,b'],
    ['\ufeffid,text\r\n1,fine\r\n2,ab"c\r\n', '2,ab"c'],
  ] as const) {
    const { error } = await collect(csvSource(file(content)));
    t.match(error, { code: 'CSV_PARSE', position: { byte: Buffer.byteLength(content.slice(0, content.indexOf(row))) } }, JSON.stringify(row));
  }
});

t.test('a record longer than maxLineBytes stops with LINE_TOO_LONG whatever the policy, without buffering it whole', async (t) => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  const p = file(`id,text\n1,before\n2,"${big}"\n3,after\n`);
  for (const onError of ['skip', 'fail'] as const) {
    const { values, error } = await collect(csvSource(p, { onError, maxLineBytes: 64 * 1024 }));
    t.same(values.map((d) => d.text), ['before'], `${onError}: rows before it`);
    t.match(error, { code: 'LINE_TOO_LONG', position: { file: p, line: 3 } }, `${onError}: LINE_TOO_LONG at line 3`);
  }
});

t.test('an unclosed quote early in a long file: LINE_TOO_LONG names the line where the quote opened', async (t) => {
  const head = 'id,text\n1,fine\n';
  const rows = Array.from({ length: 20_000 }, (_, i) => `${i + 3},row number ${i}`).join('\n');
  const p = file(`${head}2,"open\n${rows}\n`);
  for (const onError of ['skip', 'fail'] as const) {
    const { values, error } = await collect(csvSource(p, { onError, maxLineBytes: 64 * 1024 }));
    t.same(values.map((d) => d.text), ['fine'], `${onError}: rows before it`);
    t.match(error, { code: 'LINE_TOO_LONG', position: { file: p, line: 3, record: 2, byte: head.length }, hint: /unclosed quote/ }, `${onError}: names line 3`);
  }
});

t.test('fuzz: well-formed hostile CSV round-trips exactly, in any chunking', async (t) => {
  for (let seed = 1; seed <= 25; seed++) {
    const r = prng(seed * 104729);
    const eol = r.pick(['\n', '\r\n']);
    const delimiter = r.pick([',', '\t', ';']);
    const rows = Array.from({ length: r.int(0, 40) }, (_, i) => ({ id: `r${i}`, text: hostileText(r, 5).replace(/\u0000/g, '') || 'x' }));
    const q = (v: string) => (delimiter === ',' ? cell(v, r.chance(0.3)) : `"${v.replace(/"/g, '""')}"`);
    const body = ['id' + delimiter + 'text', ...rows.map((row) => q(row.id) + delimiter + q(row.text))].join(eol) + (r.chance(0.5) ? eol : '');
    const p = file((r.chance(0.3) ? '\ufeff' : '') + body);
    const highWaterMark = r.pick([1, 5, 64, 4096]);
    const { values, error } = await collect(csvSource(p, { delimiter, highWaterMark }));
    t.equal(error, undefined, `seed ${seed}: no error`);
    t.same(values.map((d) => [d.id, d.text]), rows.map((row) => [row.id, row.text]), `seed ${seed} (${JSON.stringify(eol)}, ${JSON.stringify(delimiter)}, hwm ${highWaterMark}): every row exactly`);
  }
});

t.test('fuzz: corrupted CSV never crashes or hangs; every record is emitted or skipped with its position', async (t) => {
  const corruptions = [
    (s: string) => s + ',extra', // ragged
    (s: string) => s.split(',')[0]!, // too few columns
    (s: string) => s.replace(',', ',"'), // unbalanced quote
    (s: string) => s.replace(',', ',ab"c'), // quote inside an unquoted field
    () => '', // empty line
    () => '\u00ff\u00fe', // becomes invalid UTF-8 below
  ];
  for (let seed = 1; seed <= 25; seed++) {
    const r = prng(seed * 15485863);
    const lines = ['id,text'];
    let firstCorrupt = -1;
    for (let i = 1; i <= r.int(1, 40); i++) {
      let row = `${i},${cell(hostileText(r, 3).replace(/\u0000/g, '') || 'x', r.chance(0.3))}`;
      if (r.chance(0.15)) {
        row = r.pick(corruptions)(row);
        if (firstCorrupt < 0) firstCorrupt = i;
      }
      lines.push(row);
    }
    // Map U+00FF U+00FE to the raw bytes 0xff 0xfe, which are never valid UTF-8.
    const eol = r.pick(['\n', '\r\n']);
    const bytes = Buffer.from(lines.join(eol) + eol, 'utf8');
    const raw = Buffer.from(bytes.toString('utf8').replace(/\u00ff\u00fe/g, '\u0001\u0002'), 'utf8');
    for (let i = 0; i + 1 < raw.length; i++) if (raw[i] === 1 && raw[i + 1] === 2) (raw[i] = 0xff), (raw[i + 1] = 0xfe);
    const p = file(raw);
    const size = statSync(p).size;
    const highWaterMark = r.pick([3, 64, 65536]);

    const skip = csvSource(p, { onError: 'skip', deadLetter: `${p}.dead`, highWaterMark });
    const skipped = await collect(skip);
    t.equal(skipped.error, undefined, `seed ${seed}: skip mode completes`);
    t.equal(skip.stats.emitted + skip.stats.skipped, skip.stats.records, `seed ${seed}: emitted + skipped = records`);
    const dead = readFileSync(`${p}.dead`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    t.equal(dead.length, skip.stats.skipped, `seed ${seed}: one dead letter per skipped record`);
    t.ok(
      dead.every((d) => RECORD_ERROR_CODES.includes(d.code) && d.file === p && d.line >= 1 && d.record >= 1 && d.byte >= 0 && d.byte <= size && d.reason),
      `seed ${seed}: dead letters carry code, reason and a position inside the file`,
    );
    const good = firstCorrupt < 0 ? lines.length - 1 : firstCorrupt - 1;
    t.ok(skipped.values.length >= good, `seed ${seed}: rows before the first corruption are emitted`);

    const failing = await collect(csvSource(p, { highWaterMark }));
    t.ok(failing.values.length >= good, `seed ${seed}: fail mode emits the rows before the first corruption`);
    t.same(failing.values, skipped.values.slice(0, failing.values.length), `seed ${seed}: what fail mode emits is a prefix of what skip mode emits`);
    if (failing.error !== undefined) {
      t.ok(isCorpusflowError(failing.error), `seed ${seed}: fails with a CorpusflowError`);
      const pos = (failing.error as { position: { file?: string; line?: number } }).position;
      t.ok(pos.file === p && (pos.line ?? 0) >= 1, `seed ${seed}: the error names file and line`);
    }
  }
});
