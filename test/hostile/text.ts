// Hostile plain text and hostile in-memory documents (issue 6 §2): textSource in lines and files mode
// against an oracle, a big file that must not be read whole, and fromDocuments fed values of every type.
import t from 'tap';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { textSource } from '../../src/sources/text.js';
import { fromDocuments } from '../../src/sources/iterable.js';
import { isCorpusflowError, type ErrorCode } from '../../src/errors.js';
import { collect, tempDir } from '../fixtures/sources/helpers.js';
import { hostileText, prng, RssProbe } from '../fixtures/hostile/gen.js';

const dir = tempDir(t, 'cf-hostile-text-');
const MAX_LINE = 300;
const INVALID_UTF8 = [[0xff], [0xc3], [0xed, 0xb0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];

t.test('fuzz, lines mode: every non-blank line is a document or a skipped record with its position', async (t) => {
  for (let seed = 1; seed <= 25; seed++) {
    const r = prng(seed * 31337);
    const lines: Buffer[] = [];
    for (let i = 0; i < r.int(1, 80); i++) {
      const kind = r.int(0, 9);
      if (kind === 0) lines.push(Buffer.from(r.pick(['', ' ', '\t\r', '\u3000'])));
      else if (kind === 1) lines.push(Buffer.concat([Buffer.from(hostileText(r, 2).replace(/\n/g, ' ')), Buffer.from(r.pick(INVALID_UTF8))]));
      else if (kind === 2) lines.push(Buffer.from('long '.repeat(r.int(61, 200))));
      else if (kind === 3) lines.push(Buffer.from('nul\u0000inside\r'));
      else lines.push(Buffer.from(hostileText(r, 4).replace(/\n/g, ' ').slice(0, 60) || 'x'));
    }
    const path = join(dir, `lines-${seed}.txt`);
    writeFileSync(path, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));

    // The oracle: blank lines are not records; others are documents or errors, numbered in order.
    const want: Array<{ line: number; byte: number; record: number; text?: string; code?: ErrorCode }> = [];
    let byte = 0;
    let record = 0;
    lines.forEach((bytes, i) => {
      const line = i + 1;
      const at = byte;
      byte += bytes.length + 1;
      let code: ErrorCode | undefined;
      let text: string | undefined;
      if (bytes.length > MAX_LINE) code = 'LINE_TOO_LONG';
      else {
        try {
          text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes).replace(/\r$/, '');
        } catch {
          code = 'INVALID_UTF8';
        }
      }
      if (text !== undefined && text.trim() === '') return;
      want.push({ line, byte: at, record: ++record, ...(code ? { code } : { text: text! }) });
    });

    const deadLetter = join(dir, `lines-${seed}.dead`);
    const source = textSource(path, { onError: 'skip', deadLetter, maxLineBytes: MAX_LINE, highWaterMark: r.pick([2, 50, 65536]) });
    const { values, error } = await collect(source);
    t.equal(error, undefined, `seed ${seed}: completes`);
    t.same(values.map((d) => [d.id, d.text]), want.filter((w) => !w.code).map((w) => [w.line, w.text]), `seed ${seed}: documents`);
    const dead = readFileSync(deadLetter, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    t.same(dead.map((d) => [d.code, d.line, d.record, d.byte, d.file]), want.filter((w) => w.code).map((w) => [w.code, w.line, w.record, w.byte, path]), `seed ${seed}: dead letters with position`);

    const failing = await collect(textSource(path, { maxLineBytes: MAX_LINE }));
    const first = want.find((w) => w.code);
    if (first) t.match(failing.error, { code: first.code, position: { file: path, line: first.line, record: first.record, byte: first.byte } }, `seed ${seed}: fails at the first bad line`);
    else t.equal(failing.error, undefined, `seed ${seed}: nothing to fail on`);
  }
});

t.test('files mode: empty, blank, invalid UTF-8, NUL, odd names, and a big file that is never read whole', async (t) => {
  const root = join(dir, 'files');
  mkdirSync(join(root, 'sub dir'), { recursive: true });
  const put = (name: string, content: string | Buffer) => writeFileSync(join(root, name), content);
  put('a-empty.txt', '');
  put('b-blank.txt', ' \n\t\u3000\n');
  put('c-invalid.txt', Buffer.from([0x68, 0x69, 0xff]));
  put('d-nul.txt', 'nul\u0000byte');
  put('e-ünïcödé 😀.txt', 'unicode name');
  put('sub dir/f-rtl.txt', 'שלום עולם');
  const big = join(root, 'g-big.txt');
  const fd = openSync(big, 'w');
  const block = Buffer.alloc(1024 * 1024, 'word ');
  for (let i = 0; i < 40; i++) writeSync(fd, block);
  closeSync(fd);

  const probe = new RssProbe();
  const source = textSource(root, { onError: 'skip', maxLineBytes: 1024 * 1024, deadLetter: join(dir, 'files.dead') });
  const { values, error } = await collect(source);
  const growth = probe.stop();
  t.equal(error, undefined);
  t.same(values.map((d) => [d.id, d.text]), [['d-nul.txt', 'nul\u0000byte'], ['e-ünïcödé 😀.txt', 'unicode name'], ['sub dir/f-rtl.txt', 'שלום עולם']]);
  t.same(source.stats.skippedByCode, { EMPTY_LINE: 2, INVALID_UTF8: 1, LINE_TOO_LONG: 1 });
  const dead = readFileSync(join(dir, 'files.dead'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.same(dead.map((d) => [d.code, d.file, d.record]), [
    ['EMPTY_LINE', join(root, 'a-empty.txt'), 1],
    ['EMPTY_LINE', join(root, 'b-blank.txt'), 2],
    ['INVALID_UTF8', join(root, 'c-invalid.txt'), 3],
    ['LINE_TOO_LONG', big, 6],
  ]);
  t.ok(growth < 32, `RSS grew ${growth.toFixed(1)} MiB over a 40 MiB file with a 1 MiB limit (limit 32)`);

  const failing = await collect(textSource(root));
  t.match(failing.error, { code: 'EMPTY_LINE', position: { file: join(root, 'a-empty.txt'), record: 1 } });
});

t.test('fromDocuments: values of every type are documents, skipped records, or the user error itself', async (t) => {
  const cyclic: Record<string, unknown> = { text: 'cyclic' };
  cyclic.self = cyclic;
  const cases: Array<{ name: string; item: unknown; text?: string; code?: ErrorCode; throws?: string }> = [
    { name: 'number', item: 42, code: 'MISSING_FIELD' },
    { name: 'null', item: null, code: 'MISSING_FIELD' },
    { name: 'undefined', item: undefined, code: 'MISSING_FIELD' },
    { name: 'array', item: ['a'], code: 'MISSING_FIELD' },
    { name: 'bigint text', item: { text: 1n }, code: 'INVALID_FIELD_TYPE' },
    { name: 'boxed string', item: { text: new String('boxed') }, code: 'INVALID_FIELD_TYPE' },
    { name: 'symbol id', item: { text: 'x', id: Symbol('s') }, code: 'INVALID_FIELD_TYPE' },
    { name: 'NaN id', item: { text: 'x', id: NaN }, code: 'INVALID_FIELD_TYPE' },
    { name: 'inherited text is not a field', item: Object.create({ text: 'inherited' }), code: 'MISSING_FIELD' },
    { name: 'JSON __proto__ key', item: JSON.parse('{"__proto__":{"text":"polluted"},"text":"own"}'), text: 'own' },
    { name: 'cyclic object', item: cyclic, text: 'cyclic' },
    { name: 'bigint in another field', item: { text: 'big', n: 1n }, text: 'big' },
    { name: 'empty text', item: { text: '' }, text: '' },
    { name: 'lone surrogate', item: '\ud800x', text: '\ud800x' },
    { name: 'getter that throws', item: { get text() { throw new Error('getter boom'); } }, throws: 'getter boom' },
  ];
  for (const c of cases) {
    const source = fromDocuments([c.item as never], { onError: 'skip' });
    const { values, error } = await collect(source);
    if (c.throws) {
      t.match(error, { message: c.throws }, `${c.name}: the user's error, not a crash`);
      continue;
    }
    t.equal(error, undefined, `${c.name}: no error`);
    if (c.code) {
      t.same(source.stats.skippedByCode, { [c.code]: 1 }, `${c.name}: skipped as ${c.code}`);
      const failing = await collect(fromDocuments([c.item as never]));
      t.ok(isCorpusflowError(failing.error), `${c.name}: fail mode gives a CorpusflowError`);
      t.match(failing.error, { code: c.code, position: { record: 1 } }, `${c.name}: names the record`);
    } else t.same(values.map((d) => d.text), [c.text], `${c.name}: a document`);
  }
  t.equal(({} as Record<string, unknown>).text, undefined, 'nothing polluted Object.prototype');
});
