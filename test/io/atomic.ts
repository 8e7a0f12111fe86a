import t from 'tap';
import { mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, createAtomicWriteStream } from '../../src/io/atomic.js';

const dir = mkdtempSync(join(tmpdir(), 'cf-atomic-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('writeFileAtomic writes and leaves no temp file', async (t) => {
  const cases: Array<[string, string | Uint8Array, string]> = [
    ['string', 'héllo\n', 'héllo\n'],
    ['bytes', new Uint8Array([0x61, 0x62]), 'ab'],
    ['empty', '', ''],
  ];
  for (const [name, data, want] of cases) {
    const p = join(dir, `w-${name}.txt`);
    writeFileSync(p, 'old');
    await writeFileAtomic(p, data);
    t.equal(readFileSync(p, 'utf8'), want, name);
  }
  t.same(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

t.test('writeFileAtomic into a missing directory fails with FILE_NOT_FOUND', async (t) => {
  await t.rejects(writeFileAtomic(join(dir, 'nope', 'x.txt'), 'x'), { code: 'FILE_NOT_FOUND' });
});

t.test('stream: nothing visible until commit, then all of it', async (t) => {
  const p = join(dir, 's.ndjson');
  writeFileSync(p, 'old\n');
  const s = createAtomicWriteStream(p);
  for (let i = 0; i < 1000; i++) s.write(`{"i":${i}}\n`);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(readFileSync(p, 'utf8'), 'old\n', 'target untouched before commit');
  await s.commit();
  const lines = readFileSync(p, 'utf8').trim().split('\n');
  t.equal(lines.length, 1000);
  t.notOk(existsSync(s.tempPath), 'temp renamed away');
  await s.commit(); // idempotent
});

t.test('stream: abort removes the temp file and keeps the old target', async (t) => {
  const p = join(dir, 'a.ndjson');
  writeFileSync(p, 'old\n');
  const s = createAtomicWriteStream(p);
  s.write('new\n');
  await s.abort();
  t.equal(readFileSync(p, 'utf8'), 'old\n');
  t.notOk(existsSync(s.tempPath));
  await t.rejects(s.commit(), { code: 'IO_ERROR' });
});

t.test('stream: abort right after creation (open still pending)', async (t) => {
  const p = join(dir, 'b.ndjson');
  const s = createAtomicWriteStream(p);
  await s.abort();
  t.notOk(existsSync(s.tempPath));
  t.notOk(existsSync(p));
});

t.test('stream: end() without commit() also renames', async (t) => {
  const p = join(dir, 'e.ndjson');
  const s = createAtomicWriteStream(p);
  s.end('x\n');
  await new Promise((r) => s.on('close', r));
  t.equal(readFileSync(p, 'utf8'), 'x\n');
});

t.test('stream: missing directory errors with FILE_NOT_FOUND', async (t) => {
  const s = createAtomicWriteStream(join(dir, 'nope', 'x'));
  await t.rejects(s.commit(), { code: 'FILE_NOT_FOUND' });
});
