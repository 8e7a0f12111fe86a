// A small version of the e2e benchmark's corpusflow side: `corpusflow run` on
// bench/e2e/pipeline.yaml over the 300-document lee_background fixture for one
// epoch, measured by the harness (wall time, tree-wide peak RSS) and read back
// from metrics.json the way the benchmark does. Spawns bin/corpusflow.js, which
// imports dist/ (CI builds it before the tests).
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureCommand } from '../../bench/lib/measure.js';
import { e2eBenchmark, metricsResult } from '../../bench/e2e/e2e.mjs';
import { readJsonFile } from '../../bench/lib/runner.js';

const root = resolve(import.meta.dirname, '../..');
const corpus = join(root, 'test/fixtures/corpora/lee_background.ndjson.gz');

t.test('corpusflow run trains the e2e pipeline on a small corpus and reports what the bench reads', async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'cf-e2e-')), 'out');
  const argv = ['node', 'bin/corpusflow.js', 'run', 'bench/e2e/pipeline.yaml',
    '--set', `source.ndjson=${corpus}`, '--set', 'train.epochs=1', '--set', 'batch.shuffle=100', '--set', `output=${out}`];
  const run = await measureCommand(argv, { cwd: root });
  t.equal(run.code, 0, run.stderrTail.slice(-2000));
  t.ok(existsSync(join(out, 'metrics.json')), 'metrics.json written');
  const result = metricsResult(readJsonFile(join(out, 'metrics.json')));
  t.equal(result.docs, 300, 'one epoch over the 300 documents');
  t.ok(typeof result.seconds === 'number' && result.seconds > 0);
  t.ok(run.peakRssMb !== null && run.peakRssMb > 30, `peak RSS measured (${run.peakRssMb} MB)`);

  // The figures the benchmark derives from such runs.
  const runs = new Map([
    ['ours', { ok: true, seconds: 10, peakRssMb: 200, result }],
    ['peer', { ok: true, seconds: 40, peakRssMb: 500, result: { docs: 300 } }],
  ]);
  const [time, memory] = e2eBenchmark.figures(runs);
  t.equal(time.ratio, 4);
  t.equal(time.met, true);
  t.equal(memory.ratio, 0.4);
  t.equal(memory.met, true);
});

t.test('metricsResult maps metrics.json fields', async (t) => {
  t.same(metricsResult({ docs: 10, epochs: 3, seconds: 2, docs_per_second: 5, peak_rss_mb: 100, backend: 'wasm', npmi: 0.1 }),
    { docs: 30, corpus_docs: 10, epochs: 3, seconds: 2, docs_per_s: 5, peak_rss_mb: 100, npmi: 0.1, backend: 'wasm' }, 'docs counts training documents over all epochs');
  t.same(metricsResult({ docs: 10, seconds: 2 }), { docs: 10, corpus_docs: 10, epochs: 1, seconds: 2, docs_per_s: 5, backend: null });
});
