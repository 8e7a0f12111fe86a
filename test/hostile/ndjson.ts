// Hostile NDJSON (issue 6 §2): a seeded fuzz of broken lines checked against an
// independent oracle, plus the big cases (a 100 MB line, 100k-deep nesting).
import t from 'tap';
import { closeSync, createWriteStream, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { join } from 'node:path';
import { ndjsonSource } from '../../src/sources/ndjson.js';
import { isCorpusflowError, type ErrorCode } from '../../src/errors.js';
import type { Document } from '../../src/sources/types.js';
import { collect, tempDir } from '../fixtures/sources/helpers.js';
import { hostileText, prng, RssProbe } from '../fixtures/hostile/gen.js';

const dir = tempDir(t, 'cf-hostile-');
const MAX_LINE = 600;

/** What a correct NDJSON source must make of one line: the document, or the error code. */
type Expected = { ok: true; id: string | number; text: string } | { ok: false; code: ErrorCode };

/** The rules of ndjsonSource written down independently of its code. */
function oracle(bytes: Buffer, lineNumber: number, atStart: boolean): Expected {
  if (bytes.length > MAX_LINE) return { ok: false, code: 'LINE_TOO_LONG' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { ok: false, code: 'INVALID_UTF8' };
  }
  if (atStart && text.startsWith('\ufeff')) text = text.slice(1);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return { ok: false, code: text.trim() === '' ? 'EMPTY_LINE' : 'INVALID_JSON' };
  }
  const isObject = typeof record === 'object' && record !== null;
  const field = (name: string) => (isObject && Object.prototype.hasOwnProperty.call(record, name) ? (record as Record<string, unknown>)[name] : undefined);
  const body = field('text');
  if (body === undefined) return { ok: false, code: 'MISSING_FIELD' };
  if (typeof body !== 'string') return { ok: false, code: 'INVALID_FIELD_TYPE' };
  const id = field('id');
  if (id === undefined || id === null) return { ok: true, id: lineNumber, text: body };
  if (typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))) return { ok: true, id, text: body };
  return { ok: false, code: 'INVALID_FIELD_TYPE' };
}

const INVALID_UTF8 = [
  [0xff],
  [0xc0, 0x80], // overlong NUL
  [0x80], // lone continuation byte
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xed, 0xa0, 0x80], // UTF-8-encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
];

/** One random line, valid or broken in one of the ways issue 6 lists. */
function randomLine(r: ReturnType<typeof prng>, n: number): Buffer {
  const valid = () => {
    const rec: Record<string, unknown> = { text: hostileText(r, 4) };
    const idKind = r.int(0, 3);
    if (idKind === 0) rec.id = `d${n}`;
    else if (idKind === 1) rec.id = n * 10;
    else if (idKind === 2) rec.id = null;
    if (r.chance(0.2)) rec.meta = { nested: [1, { deep: 'x' }] };
    return JSON.stringify(rec);
  };
  const at = (s: Buffer) => r.int(0, Math.max(0, s.length - 1));
  switch (r.int(0, 13)) {
    case 0: {
      // Truncated mid-record.
      const s = Buffer.from(valid());
      return s.subarray(0, at(s));
    }
    case 1: {
      const s = Buffer.from(valid());
      const i = at(s);
      return Buffer.concat([s.subarray(0, i), Buffer.from(r.pick(INVALID_UTF8)), s.subarray(i)]);
    }
    case 2: {
      // A raw NUL byte somewhere (inside a string it is a bad control character; outside, bad JSON).
      const s = Buffer.from(valid());
      const i = at(s);
      return Buffer.concat([s.subarray(0, i), Buffer.from([0]), s.subarray(i)]);
    }
    case 3:
      return Buffer.from(JSON.stringify({ id: n, text: r.pick([5, null, true, [], { a: 1 }, ['x']]) }));
    case 4:
      return Buffer.from(JSON.stringify({ id: r.pick([{}, [], true, 'ok', 1.5, -0]), text: 'wrong id type?' }));
    case 5:
      return Buffer.from(r.pick(['5', '"just a string"', 'null', '[1,2]', 'true', '{}', '{"txt":"typo"}']));
    case 6: {
      const depth = r.int(10, 300);
      return Buffer.from(r.pick([`${'['.repeat(depth)}${']'.repeat(depth)}`, `{"text":"x","d":${'['.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`]));
    }
    case 7:
      return Buffer.from(r.pick(['', ' ', '\t', '\r', '   \r']));
    case 8:
      return Buffer.from(valid() + '\r');
    case 9:
      // Longer than MAX_LINE.
      return Buffer.from(JSON.stringify({ id: n, text: 'long '.repeat(r.int(120, 400)) }));
    case 10:
      return Buffer.from(r.pick(['{"text":"a", }', "{'text':'single'}", '{"text":"unterminated', '{"text":"\\x41"}', '{"text":"\\ud800"}', 'NaN', '{"text":"a"}{"text":"b"}']));
    default:
      return Buffer.from(valid());
  }
}

interface Case {
  path: string;
  expected: Array<{ line: number; byte: number; want: Expected }>;
}

function writeCase(seed: number, lines: number): Case {
  const r = prng(seed);
  const parts: Buffer[] = [];
  const expected: Case['expected'] = [];
  let byte = 0;
  if (r.chance(0.2)) {
    // A BOM before the first record.
    parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  }
  for (let n = 1; n <= lines; n++) {
    const body = n === 1 && parts.length ? Buffer.concat([parts.pop()!, randomLine(r, n)]) : randomLine(r, n);
    parts.push(body);
    expected.push({ line: n, byte, want: oracle(body, n, n === 1) });
    byte += body.length + 1;
    const last = n === lines;
    // The last line sometimes has no newline; an empty last line then is no line at all.
    if (!last || r.chance(0.5) || body.length === 0) parts.push(Buffer.from('\n'));
  }
  const path = join(dir, `fuzz-${seed}.ndjson`);
  writeFileSync(path, Buffer.concat(parts));
  return { path, expected };
}

t.test('fuzz: every line is emitted or skipped with its code and position, per onError', async (t) => {
  const ITERATIONS = 30;
  const seen: Partial<Record<ErrorCode | 'ok', number>> = {};
  t.teardown(() => t.comment(`cases covered: ${JSON.stringify(seen)}`));
  for (let seed = 1; seed <= ITERATIONS; seed++) {
    const r = prng(seed * 7919);
    const { path, expected } = writeCase(seed, r.int(1, 120));
    const highWaterMark = r.pick([1, 3, 17, 64, 333, 4096, 65536]);
    const goodOnes = expected.filter((e) => e.want.ok);
    const badOnes = expected.filter((e) => !e.want.ok);
    for (const e of expected) {
      const k = e.want.ok ? 'ok' : e.want.code;
      seen[k] = (seen[k] ?? 0) + 1;
    }

    // skip: the good documents in order, the bad ones counted by code and dead-lettered with their position.
    const deadLetter = join(dir, `dead-${seed}.ndjson`);
    const skipping = ndjsonSource(path, { onError: 'skip', deadLetter, maxLineBytes: MAX_LINE, highWaterMark });
    const skipped = await collect(skipping);
    t.equal(skipped.error, undefined, `seed ${seed}: skip mode completes`);
    t.same(
      skipped.values.map((d: Document) => [d.id, d.text]),
      goodOnes.map((e) => (e.want.ok ? [e.want.id, e.want.text] : [])),
      `seed ${seed} (hwm ${highWaterMark}): exactly the valid documents, in order`,
    );
    const byCode: Partial<Record<ErrorCode, number>> = {};
    for (const e of badOnes) if (!e.want.ok) byCode[e.want.code] = (byCode[e.want.code] ?? 0) + 1;
    t.same(skipping.stats.skippedByCode, byCode, `seed ${seed}: skippedByCode`);
    t.equal(skipping.stats.records, expected.length, `seed ${seed}: every line is a record`);
    t.equal(skipping.stats.emitted + skipping.stats.skipped, skipping.stats.records, `seed ${seed}: emitted + skipped = records`);
    const dead = readFileSync(deadLetter, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    t.same(
      dead.map((d) => [d.code, d.line, d.record, d.byte, d.file]),
      badOnes.map((e) => [e.want.ok ? '' : e.want.code, e.line, e.line, e.byte, path]),
      `seed ${seed}: dead letters carry code and position`,
    );
    t.ok(dead.every((d) => typeof d.reason === 'string' && (d.reason as string).length > 0 && typeof d.raw === 'string'), `seed ${seed}: dead letters carry reason and raw`);

    // fail: the documents before the first bad line, then its error, naming file, line and byte.
    const failing = await collect(ndjsonSource(path, { maxLineBytes: MAX_LINE, highWaterMark }));
    const firstBad = badOnes[0];
    if (!firstBad) {
      t.equal(failing.error, undefined, `seed ${seed}: no bad line, no error`);
      continue;
    }
    t.ok(isCorpusflowError(failing.error), `seed ${seed}: fails with a CorpusflowError`);
    t.match(
      failing.error,
      { code: firstBad.want.ok ? '' : firstBad.want.code, position: { file: path, line: firstBad.line, record: firstBad.line, byte: firstBad.byte } },
      `seed ${seed}: error names the first bad line`,
    );
    t.equal(failing.values.length, expected.filter((e) => e.line < firstBad.line && e.want.ok).length, `seed ${seed}: documents before it were emitted`);
  }
});

t.test('field errors name the field', async (t) => {
  const path = join(dir, 'fields.ndjson');
  writeFileSync(path, '{"id":1,"text":5}\n{"id":{},"text":"x"}\n{"body":"x"}\n{"payload":{"body":["x"]}}\n');
  const cases = [
    { opts: {}, line: 1, code: 'INVALID_FIELD_TYPE', field: 'text' },
    { opts: { text: 'payload.body' }, line: 1, code: 'MISSING_FIELD', field: 'payload.body' },
  ];
  for (const c of cases) {
    const { error } = await collect(ndjsonSource(path, c.opts));
    t.match(error, { code: c.code, position: { file: path, line: c.line, field: c.field } }, `${JSON.stringify(c.opts)}: ${c.code} names ${c.field}`);
  }
  const skip = ndjsonSource(path, { onError: 'skip' });
  await collect(skip);
  t.same(skip.stats.skippedByCode, { INVALID_FIELD_TYPE: 2, MISSING_FIELD: 2 });
});

t.test('100k levels of nesting: a record error with its position, not a RangeError', async (t) => {
  const depth = 100_000;
  const path = join(dir, 'deep.ndjson');
  const lines = [
    '['.repeat(depth) + ']'.repeat(depth), // valid JSON, not an object
    '{"text":"ok","x":' + '['.repeat(depth) + ']'.repeat(depth) + '}', // valid, deep field travels along
    '{"text":' + '['.repeat(depth), // truncated deep JSON
    '{"text":"after"}',
  ];
  writeFileSync(path, lines.join('\n') + '\n');
  const byte2 = Buffer.byteLength(lines[0]!) + Buffer.byteLength(lines[1]!) + 2;
  const failing = await collect(ndjsonSource(path, { onError: 'fail' }));
  t.match(failing.error, { code: 'MISSING_FIELD', position: { file: path, line: 1, byte: 0 } });
  const source = ndjsonSource(path, { onError: 'skip', deadLetter: join(dir, 'deep-dead.ndjson') });
  const { values, error } = await collect(source);
  t.equal(error, undefined);
  t.same(values.map((d) => d.text), ['ok', 'after']);
  t.same(source.stats.skippedByCode, { MISSING_FIELD: 1, INVALID_JSON: 1 });
  const dead = readFileSync(join(dir, 'deep-dead.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(dead[1], { code: 'INVALID_JSON', line: 3, byte: byte2 });
  t.ok(dead.every((d: { raw: string }) => d.raw.length <= 4097), 'raw text in dead letters is truncated');
});

t.test('a 100 MB single line is LINE_TOO_LONG without being buffered', async (t) => {
  const path = join(dir, 'huge-line.ndjson');
  const MiB = 1024 * 1024;
  const fd = openSync(path, 'w');
  writeSync(fd, '{"text":"before"}\n{"text":"');
  const block = Buffer.alloc(MiB, 'x');
  for (let i = 0; i < 100; i++) writeSync(fd, block);
  writeSync(fd, '"}\n{"text":"after"}\n');
  closeSync(fd);
  const byte = Buffer.byteLength('{"text":"before"}\n');

  for (const onError of ['skip', 'fail'] as const) {
    global.gc?.();
    const probe = new RssProbe();
    const source = ndjsonSource(path, { onError });
    const { values, error } = await collect(source);
    const growth = probe.stop();
    t.ok(growth < 48, `${onError}: RSS grew ${growth.toFixed(1)} MiB reading a 100 MiB line (limit 48)`);
    if (onError === 'skip') {
      t.equal(error, undefined);
      t.same(values.map((d) => d.text), ['before', 'after']);
      t.same(source.stats.skippedByCode, { LINE_TOO_LONG: 1 });
    } else {
      t.match(error, { code: 'LINE_TOO_LONG', position: { file: path, line: 2, record: 2, byte } });
      t.ok((error as { raw: string }).raw.length <= 4097, 'the error keeps only the start of the line');
      t.same(values.map((d) => d.text), ['before']);
    }
  }
});

t.test('a gzip bomb (200 MB of one line from a few hundred KB) is LINE_TOO_LONG in bounded memory', async (t) => {
  const path = join(dir, 'bomb.ndjson.gz');
  const MiB = 1024 * 1024;
  const block = Buffer.alloc(MiB, 'a');
  async function* bytes() {
    yield Buffer.from('{"text":"first"}\n{"text":"');
    for (let i = 0; i < 200; i++) yield block;
    yield Buffer.from('"}\n{"text":"last"}\n');
  }
  await pipeline(Readable.from(bytes()), createGzip({ level: 9 }), createWriteStream(path));
  t.ok(statSync(path).size < 1024 * 1024, 'the file is small');
  const probe = new RssProbe();
  const source = ndjsonSource(path, { onError: 'skip' });
  const { values, error } = await collect(source);
  const growth = probe.stop();
  t.equal(error, undefined);
  t.same(values.map((d) => d.text), ['first', 'last']);
  t.same(source.stats.skippedByCode, { LINE_TOO_LONG: 1 });
  t.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MiB decompressing 200 MiB (limit 64)`);
});
