// Issue 6 §3, small: `corpusflow run` peak RSS does not grow with the corpus. Two generated LDA
// corpora, ~2 MB and ~8 MB, through the real CLI (preprocess, two-pass dictionary, one epoch of a
// tiny ProdLDA on wasm, evaluation, outputs); the larger one's peak RSS (metrics.json peak_rss_mb)
// must stay within 20 MB of the smaller one's. Anything kept per document (the texts, their bags
// of words, doc-topic rows, the loss of every step) costs tens of MB on the larger corpus: it holds
// ~8,000 more documents, each ~100 tokens. The shuffle buffer (10,000, as in bench/scale) is larger
// than the small corpus and about the size of the large one, so a buffer that grows with what it
// holds shows here too (it did: [id, count] pair arrays in old space, +250 MB at 20 MB on the
// bench's K=20 model, before 07f0899). Needs the dist/ build, like the other CLI tests.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bin, distBuilt, root } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-flat-memory-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const GENERATE = path.join(root, 'bench', 'generate.mjs');
const SIZES = [
  { name: 'small', bytes: '2MB' },
  { name: 'large', bytes: '8MB' },
];
/**
 * Allowed growth of peak RSS from the small corpus to the large one, MB. Measured (with NODE_FLAGS):
 * +14 MB (138.4 -> 152.4); with the shuffle buffer as [id, count] pair arrays (before 07f0899) +32 MB
 * (151.4 -> 183.6).
 */
const TOLERANCE_MB = 20;

const pipeline = `name: flat-memory
source: { ndjson: corpus.ndjson, text: text, id: id, on_error: skip }
preprocess: default
dictionary: { mode: two-pass, no_below: 5, no_above: 0.5, keep_n: 100000 }
batch: { size: 64, shuffle: 10000 }
model: { prodlda: { topics: 5, hidden: [16], dropout: 0.2 } }
train:
  epochs: 1
  optimizer: { adam: { learning_rate: 0.002 } }
  backend: wasm
  seed: 1
  checkpoint_every: 0
output: out
`;

// V8 lets the old space grow to a few times its live size before a full GC, so on its own the peak of a
// longer run is mostly garbage and depends on when the GC happens to run (2 MB vs 8 MB: +5 to +70 MB with
// nothing retained). A small old-space limit makes V8 collect early: the peak is then what is really
// held, and a corpus-sized buffer either shows or runs out of heap (a failing exit code).
const NODE_FLAGS = ['--max-old-space-size=128'];

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Without tap's NODE_OPTIONS: its TypeScript loader in the child would add to the RSS measured.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [...NODE_FLAGS, bin, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

t.test('peak RSS of corpusflow run is flat from a 2 MB to an 8 MB corpus', async (t) => {
  const peaks: Record<string, number> = {};
  const docs: Record<string, number> = {};
  for (const { name, bytes } of SIZES) {
    const sub = path.join(dir, name);
    const corpus = path.join(sub, 'corpus.ndjson');
    mkdirSync(sub, { recursive: true });
    execFileSync(process.execPath, [GENERATE, '--quiet', '--bytes', bytes, '--topics', '5', '--vocab', '2000', '--seed', '3', '--out', corpus]);
    writeFileSync(path.join(sub, 'pipeline.yaml'), pipeline);
    const r = await run(['run', path.join(sub, 'pipeline.yaml')]);
    t.equal(r.code, 0, `${name}: exit code (stderr: ${r.stderr.slice(-500)})`);
    const metrics = JSON.parse(readFileSync(path.join(sub, 'out', 'metrics.json'), 'utf8')) as { peak_rss_mb: number; docs: number };
    peaks[name] = metrics.peak_rss_mb;
    docs[name] = metrics.docs;
    t.comment(`${name} (${bytes}): ${metrics.docs} docs, peak RSS ${metrics.peak_rss_mb} MB`);
  }
  // The corpora differ as intended: the large one holds ~4x the documents, more than the shuffle buffer.
  t.ok(docs.large! > 3.5 * docs.small! && docs.large! > 10000, `docs: ${docs.small} vs ${docs.large}`);
  t.ok(peaks.large! <= peaks.small! + TOLERANCE_MB, `peak RSS ${peaks.large} MB (8 MB corpus) <= ${peaks.small} MB (2 MB corpus) + ${TOLERANCE_MB} MB`);
});
