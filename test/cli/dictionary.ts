import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distBuilt, fixtures, runCli } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-dictionary-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const lee = path.join(fixtures, 'corpora', 'lee_background.ndjson.gz');
const oracle = (name: string) => gunzipSync(readFileSync(path.join(fixtures, 'cli', `lee_background.${name}.txt.gz`))).toString('utf8');

// gensim's own files, byte for byte: Dictionary(preprocess_string(text)) then the given filter_extremes.
const cases: Array<[string, string[], string, string]> = [
  ['no filter flags: no filter_extremes at all', [], 'dictionary_full', '300 documents, 30,872 tokens, 4,781 unique; wrote'],
  ['--no-below alone: gensim defaults for the rest', ['--no-below', '5'], 'dictionary_filtered', '4,781 unique -> 1,204 after filter_extremes'],
  ['all three bounds', ['--no-below', '2', '--no-above', '0.9', '--keep-n', '2000'], 'dictionary_keep2000', '-> 2,000 after filter_extremes'],
];

for (const [name, flags, expected, summary] of cases) {
  t.test(name, async (t) => {
    const out = path.join(dir, `${expected}.txt`);
    const r = await runCli(['dictionary', '--input', lee, ...flags, '--out', out]);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stderr, summary);
    t.equal(readFileSync(out, 'utf8'), oracle(expected), 'byte for byte');
  });
}

t.test('--out is required', async (t) => {
  const r = await runCli(['dictionary', '--input', lee]);
  t.equal(r.code, 2);
  t.equal(r.stderr, 'corpusflow dictionary: missing --out FILE [USAGE] (see: corpusflow dictionary --help)\n');
});

t.test('pre-tokenised input from stdin with --filters none', async (t) => {
  const out = path.join(dir, 'tiny.txt');
  const r = await runCli(['dictionary', '--input', '-', '--filters', 'none', '--out', out], { input: '{"text":"b a"}\n{"text":"a c a"}\n' });
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(out, 'utf8'), '2\n0\ta\t2\n1\tb\t1\n2\tc\t1\n');
});
