import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distBuilt, fixtures, runCli } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-preprocess-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const lee = path.join(fixtures, 'corpora', 'lee_background.ndjson.gz');
const parse = (s: string) => s.trimEnd().split('\n').map((l) => JSON.parse(l));

t.test('default filters reproduce gensim preprocess_string on lee_background, in input order', async (t) => {
  const r = await runCli(['preprocess', '--input', lee]);
  t.equal(r.code, 0, r.stderr);
  const expected = parse(gunzipSync(readFileSync(path.join(fixtures, 'preprocess', 'lee_background.preprocess.ndjson.gz'))).toString('utf8'));
  const got = parse(r.stdout);
  t.equal(got.length, 300);
  t.same(got, expected);
});

t.test('--filters simple reproduces simple_preprocess', async (t) => {
  const r = await runCli(['preprocess', '--input', lee, '--filters', 'simple']);
  t.equal(r.code, 0, r.stderr);
  const expected = parse(gunzipSync(readFileSync(path.join(fixtures, 'preprocess', 'lee_background.simple.ndjson.gz'))).toString('utf8'));
  t.same(parse(r.stdout), expected);
});

const stdinCases: Array<[string, string[], string, string]> = [
  ['named filters from stdin', ['--filters', 'lowercase,strip_tags,strip_punctuation'], '{"id":"a","text":"<b>Hello</b>, World!"}\n', '{"id":"a","tokens":["hello","world"]}\n'],
  ['none splits on whitespace', ['--filters', 'none'], '{"id":1,"text":"Already  tokenised\\ttext"}\n', '{"id":1,"tokens":["Already","tokenised","text"]}\n'],
  ['dotted text and id fields', ['--text-field', 'payload.body', '--id-field', 'meta.key', '--filters', 'none'], '{"meta":{"key":"k1"},"payload":{"body":"x y"}}\n', '{"id":"k1","tokens":["x","y"]}\n'],
  ['records without an id get their record number', ['--filters', 'none'], '{"text":"a"}\n{"text":"b"}\n', '{"id":1,"tokens":["a"]}\n{"id":2,"tokens":["b"]}\n'],
  ['empty input', [], '', ''],
];
for (const [name, flags, input, stdout] of stdinCases) {
  t.test(name, async (t) => {
    const r = await runCli(['preprocess', '--input', '-', ...flags], { input });
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, stdout);
  });
}

t.test('a bad record fails with exit 1 and its position, no stack', async (t) => {
  const r = await runCli(['preprocess', '--input', '-'], { input: '{"id":1,"text":"ok"}\n{"id":2,"text":\n' });
  t.equal(r.code, 1);
  t.match(r.stderr, /^corpusflow preprocess: -:2, record 2, byte 21: .*\[INVALID_JSON\]\n$/);
});

t.test('--on-error skip with --dead-letter goes on and records the bad line', async (t) => {
  const dead = path.join(dir, 'dead.ndjson');
  const r = await runCli(['preprocess', '--input', '-', '--filters', 'none', '--on-error', 'skip', '--dead-letter', dead], {
    input: '{"id":1,"text":"a b"}\nnot json\n{"id":3,"text":"c"}\n',
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, '{"id":1,"tokens":["a","b"]}\n{"id":3,"tokens":["c"]}\n');
  t.match(r.stderr, 'skipped 1 of 3 records (INVALID_JSON 1)');
  const lines = parse(readFileSync(dead, 'utf8'));
  t.equal(lines.length, 1);
  t.match(lines[0], { line: 2, code: 'INVALID_JSON', raw: 'not json' });
});

t.test('unknown filter name is a usage error (exit 2) with did-you-mean', async (t) => {
  const r = await runCli(['preprocess', '--input', '-', '--filters', 'lowercase,stem_txt']);
  t.equal(r.code, 2);
  t.match(r.stderr, 'unknown filter "stem_txt"');
  t.match(r.stderr, '(did you mean "stem_text"?)');
});

t.test('a consumer that stops early (| head) ends the run cleanly', async (t) => {
  const big = path.join(dir, 'big.ndjson');
  writeFileSync(big, Array.from({ length: 20000 }, (_, i) => JSON.stringify({ id: i, text: 'lorem ipsum dolor sit amet '.repeat(5) })).join('\n') + '\n');
  const { spawn } = await import('node:child_process');
  const { bin } = await import('../fixtures/cli/run-cli.js');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [bin, 'preprocess', '--input', big, '--filters', 'none'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let got = 0;
    child.stdout.on('data', (b: Buffer) => {
      got += b.length;
      if (got > 1000) child.stdout.destroy();
    });
    child.on('close', (c) => resolve(c));
  });
  t.equal(code, 0);
});
