import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distBuilt, runCli } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-validate-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// The four mistakes issue 5 names, each reported with key path and line.
const cases: Array<{ name: string; yaml: string; stderr: string[] }> = [
  {
    name: 'misspelled key',
    yaml: 'source:\n  ndjson: a.ndjson\ndictionary:\n  no_bellow: 5\n',
    stderr: ['p.yaml:4:3, field "dictionary.no_bellow": unknown key "no_bellow"', '(did you mean "no_below"?)'],
  },
  {
    name: 'wrong type',
    yaml: 'source:\n  ndjson: a.ndjson\ntrain:\n  epochs: ten\n',
    stderr: ['p.yaml:4:11, field "train.epochs": expected number, found string "ten" [CONFIG_INVALID]'],
  },
  {
    name: 'missing source',
    yaml: 'name: nothing-to-read\nmodel: { prodlda: { topics: 5 } }\n',
    stderr: ['p.yaml:1:1, field "source": missing required key "source"'],
  },
  {
    name: 'unknown filter',
    yaml: 'source:\n  ndjson: a.ndjson\npreprocess: [lowercase, strip_html]\n',
    stderr: ['p.yaml:3:25, field "preprocess[1]": unknown filter "strip_html"'],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, c.yaml);
    const r = await runCli(['validate', 'p.yaml'], { cwd: dir });
    t.equal(r.code, 2, 'exit code 2: config error');
    t.equal(r.stdout, '');
    for (const s of c.stderr) t.match(r.stderr, s);
    t.match(r.stderr, 'p.yaml: 1 problem\n');
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

t.test('a valid pipeline prints its chain and exits 0', async (t) => {
  writeFileSync(path.join(dir, 'ok.yaml'), 'name: ok\nsource:\n  ndjson: data/x.ndjson\npreprocess: none\nbatch: { size: 32 }\n');
  const r = await runCli(['validate', 'ok.yaml', '--set', 'train.epochs=3'], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    'ok.yaml: valid\n  ndjson(data/x.ndjson) -> preprocess(none) -> dictionary(two-pass, no_below=5, no_above=0.5, keep_n=100000) -> shuffle(10000) -> batch(32, sparse) -> prodlda(K=20, hidden=[100, 100], dropout=0.2) -> train(adam(lr=0.002), 3 epochs, backend=auto, seed=1) -> output(out/ok)\n',
  );
});

t.test('a missing pipeline file is exit 1 with one line', async (t) => {
  const r = await runCli(['validate', 'nope.yaml'], { cwd: dir });
  t.equal(r.code, 1);
  t.equal(r.stderr, 'corpusflow validate: nope.yaml: pipeline file not found [FILE_NOT_FOUND]\n');
});
