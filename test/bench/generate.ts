import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { preprocessString } from '../../src/preprocess/preprocess.js';
import { topicRecovery } from '../../src/eval/topic-recovery.js';

const GENERATE = fileURLToPath(new URL('../../bench/generate.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'corpusflow-generate-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

interface Truth {
  generator: string;
  seed: number;
  numTopics: number;
  vocabSize: number;
  vocabulary: string[];
  topics: number[][];
}
interface Line {
  id: number;
  text: string;
}

/** Runs the generator; returns stdout. */
const run = (...args: string[]): string => execFileSync(process.execPath, [GENERATE, '--quiet', ...args], { encoding: 'utf8' });
const path = (name: string): string => join(dir, name);
const lines = (text: string): Line[] => text.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

t.test('a tiny corpus: valid NDJSON lines from the truth vocabulary, and a consistent truth file', async (t) => {
  const out = run('--docs', '40', '--topics', '4', '--vocab', '60', '--seed', '5', '--out', path('tiny.ndjson'), '--truth', path('tiny.truth.json'));
  const summary = JSON.parse(out) as { docs: number; tokens: number; bytes: number };
  const text = readFileSync(path('tiny.ndjson'), 'utf8');
  const docs = lines(text);
  const truth = JSON.parse(readFileSync(path('tiny.truth.json'), 'utf8')) as Truth;
  t.equal(docs.length, 40);
  t.same(docs.map((d) => d.id), Array.from({ length: 40 }, (_, i) => i), 'ids 0..N-1');
  t.equal(summary.docs, 40);
  t.equal(summary.bytes, Buffer.byteLength(text), 'summary bytes = file size');
  const vocab = new Set(truth.vocabulary);
  let tokens = 0;
  for (const d of docs) {
    const words = d.text.split(' ');
    tokens += words.length;
    t.ok(words.length >= 1 && words.every((w) => vocab.has(w)), `doc ${d.id}: non-empty, words from the vocabulary`);
  }
  t.equal(summary.tokens, tokens, 'summary tokens');
  t.match(truth, { generator: 'bench/generate.mjs', seed: 5, numTopics: 4, vocabSize: 60 });
  t.equal(vocab.size, 60, 'distinct words');
  t.equal(truth.topics.length, 4);
  for (const phi of truth.topics) {
    t.equal(phi.length, 60);
    t.ok(Math.abs(phi.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'each topic sums to 1');
  }
  t.same(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
});

t.test('the pseudo-words come through gensim-default preprocessing unchanged', async (t) => {
  run('--docs', '1', '--vocab', '3000', '--seed', '9', '--out', path('words.ndjson'), '--truth', path('words.truth.json'));
  const truth = JSON.parse(readFileSync(path('words.truth.json'), 'utf8')) as Truth;
  const changed = truth.vocabulary.filter((w) => preprocessString(w).join(' ') !== w);
  t.same(changed, [], 'no word stemmed, dropped as a stop word or too short');
});

t.test('same options and seed give the same bytes; another seed does not', async (t) => {
  const args = ['--docs', '30', '--topics', '3', '--vocab', '40'];
  run(...args, '--seed', '1', '--out', path('s1a.ndjson'));
  run(...args, '--seed', '1', '--out', path('s1b.ndjson'));
  run(...args, '--seed', '2', '--out', path('s2.ndjson'));
  t.ok(readFileSync(path('s1a.ndjson')).equals(readFileSync(path('s1b.ndjson'))), 'identical');
  t.notOk(readFileSync(path('s1a.ndjson')).equals(readFileSync(path('s2.ndjson'))), 'different');
});

t.test('--bytes stops after the document that reaches the size, with the same documents as --docs', async (t) => {
  run('--bytes', '20KB', '--seed', '3', '--out', path('b.ndjson'));
  const text = readFileSync(path('b.ndjson'), 'utf8');
  const size = Buffer.byteLength(text);
  const docs = text.trimEnd().split('\n');
  t.ok(size >= 20_000, `at least 20 KB (${size})`);
  t.ok(size - Buffer.byteLength(docs.at(-1)! + '\n') < 20_000, 'the last document crossed the line');
  run('--docs', String(docs.length), '--seed', '3', '--out', path('d.ndjson'));
  t.equal(readFileSync(path('d.ndjson'), 'utf8'), text, 'same documents');
});

t.test('gzip (by extension or --gzip) and stdout carry the same corpus', async (t) => {
  const args = ['--docs', '25', '--seed', '4', '--vocab', '100'];
  run(...args, '--out', path('p.ndjson'));
  run(...args, '--out', path('p.ndjson.gz'));
  run(...args, '--gzip', '--out', path('p.bin'));
  const stdout = run(...args, '--out', '-');
  const plain = readFileSync(path('p.ndjson'));
  t.ok(gunzipSync(readFileSync(path('p.ndjson.gz'))).equals(plain), '.gz');
  t.ok(gunzipSync(readFileSync(path('p.bin'))).equals(plain), '--gzip');
  t.equal(stdout, plain.toString('utf8'), 'stdout');
  t.ok(statSync(path('p.ndjson.gz')).size < plain.length, 'compressed');
});

t.test('invalid options exit with code 2 and name the option', async (t) => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no size', ['--out', path('x.ndjson')], /Invalid option bytes\/docs/],
    ['both sizes', ['--docs', '3', '--bytes', '1KB', '--out', path('x.ndjson')], /Invalid option bytes\/docs/],
    ['no output', ['--docs', '3'], /Invalid option out/],
    ['bad size', ['--bytes', '12 parsecs', '--out', path('x.ndjson')], /Invalid option bytes: .*"12 parsecs"/],
    ['bad topics', ['--docs', '3', '--topics', '0', '--out', path('x.ndjson')], /Invalid option topics/],
    ['bad alpha', ['--docs', '3', '--alpha=-1', '--out', path('x.ndjson')], /Invalid option alpha/],
    ['unknown option', ['--docs', '3', '--topcis', '3', '--out', path('x.ndjson')], /Unknown option '--topcis'/],
    ['bad seed', ['--docs', '3', '--seed', '1.5', '--out', path('x.ndjson')], /Invalid option seed/],
  ];
  for (const [name, args, re] of cases) {
    const r = spawnSync(process.execPath, [GENERATE, ...args], { encoding: 'utf8' });
    t.equal(r.status, 2, `${name}: exit code`);
    t.match(r.stderr, re, `${name}: message`);
  }
});

t.test('an unwritable output exits with code 1 and leaves no file behind', async (t) => {
  const r = spawnSync(process.execPath, [GENERATE, '--docs', '3', '--out', path('missing-dir/x.ndjson')], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /ENOENT/);
});

t.test('the corpus follows its true topics: topics re-estimated from near-single-topic documents are recovered', async (t) => {
  // alpha small: most documents draw from one topic, so each can be assigned to its most likely topic
  run('--docs', '600', '--topics', '5', '--vocab', '200', '--alpha', '0.02', '--beta', '0.05', '--doc-length', '60', '--seed', '11',
    '--out', path('r.ndjson'), '--truth', path('r.truth.json'));
  const truth = JSON.parse(readFileSync(path('r.truth.json'), 'utf8')) as Truth;
  const index = new Map(truth.vocabulary.map((w, i) => [w, i]));
  const estimated = truth.topics.map(() => new Float64Array(truth.vocabulary.length));
  for (const d of lines(readFileSync(path('r.ndjson'), 'utf8'))) {
    const ids = d.text.split(' ').map((w) => index.get(w)!);
    let best = 0;
    let bestLl = -Infinity;
    truth.topics.forEach((phi, k) => {
      const ll = ids.reduce((s, i) => s + Math.log(phi[i]! + 1e-12), 0);
      if (ll > bestLl) [best, bestLl] = [k, ll];
    });
    for (const i of ids) estimated[best]![i]! += 1;
  }
  // shuffle the estimated topics' order so the matching has work to do
  const learned = { vocabulary: truth.vocabulary, topics: [3, 0, 4, 1, 2].map((k) => estimated[k]!) };
  const r = topicRecovery(learned, truth);
  t.ok(r.mean > 0.95, `mean best-match cosine ${r.mean.toFixed(4)}`);
  t.same(r.matches.map((m) => m.learnedTopic), [1, 3, 4, 0, 2], 'each true topic found its estimate');
});
