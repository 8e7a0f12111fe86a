// Every benchmark `npm run bench` knows, in the order RESULTS.md lists them.
// Each pairs a corpusflow script with its peer on the same file and settings;
// the scripts themselves live beside their area (bench/preprocess, ...).

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { absolute, pick, throughput } from './figures.js';
import { ROOT, plainCorpus } from './env.js';
import { e2eBenchmark } from '../e2e/e2e.mjs';
import { scaleBenchmark, scaleRecoveryBenchmark } from '../scale/scale.mjs';

/** Env that pins a peer's BLAS/OpenMP pools to `threads`. */
export function peerThreadsEnv(threads) {
  return { OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
}

const node = (script, ...args) => ['node', script, ...args];
const rel = (p) => p.startsWith(ROOT) ? p.slice(ROOT.length + 1) : p;

/** Best (highest docs/s) of several peer runs, so the ratio is against the peer's best configuration. */
function bestRun(runs, keys) {
  let best = null;
  for (const key of keys) {
    const r = runs.get(key);
    const v = pick(r?.result, 'docs_per_s');
    if (v !== null && (best === null || v > pick(best.result, 'docs_per_s'))) best = r;
  }
  return best;
}

/**
 * The ≥ 10× bar on wall-clock docs/s, plus docs per CPU second where both
 * scripts report it: on a shared machine CPU time is the steadier measure.
 */
function singleThreadFigures(runs) {
  const ours = runs.get('ours')?.result;
  const peer = runs.get('peer')?.result;
  const perCpu = (r) => pick(r, 'docs_per_cpu_s') ?? (pick(r, 'docs') !== null && pick(r, 'cpu_seconds') ? pick(r, 'docs') / pick(r, 'cpu_seconds') : null);
  const out = [throughput('docs/s', pick(ours, 'docs_per_s'), pick(peer, 'docs_per_s'), 10)];
  if (perCpu(ours) !== null && perCpu(peer) !== null) {
    out.push(throughput('docs per CPU second', perCpu(ours), perCpu(peer), 10, 'docs/CPU s'));
  }
  return out;
}

export const preprocessBenchmark = {
  name: 'preprocess',
  title: 'preprocessString vs gensim preprocess_string (DEFAULT_FILTERS) on spam-shared',
  issue: 3,
  quick: true,
  requires: ['gensim'],
  scripts: ['bench/preprocess/preprocess.mjs', 'bench/peers/preprocess.py'],
  needsDist: true,
  plan(ctx) {
    // Both scripts read the gzipped file and time only the preprocessing.
    const corpus = 'test/fixtures/corpora/spam-shared.ndjson.gz';
    if (!existsSync(join(ROOT, corpus))) throw new Error(`${corpus} missing`);
    return {
      settings: [
        `corpus: ${corpus} (3,000 raw emails), both sides read the same file and time only preprocessing`,
        'both sides make 3 passes over all texts in one process; "best of 3" is the fastest pass (least wall time, least CPU time), as in the dictionary benchmark; "cold" is the first pass alone (for corpusflow it includes V8 compiling the code and the token memo starting empty; gensim keeps no cache between passes)',
        'both sides single-threaded (gensim is; preprocessString runs on the main thread)',
      ],
      steps: [
        { key: 'peer', side: 'peer', label: 'gensim preprocess_string', argv: [ctx.python, 'bench/peers/preprocess.py', corpus, 'default', '3'], env: peerThreadsEnv(1) },
        { key: 'ours', side: 'corpusflow', label: 'corpusflow preprocessString', argv: node('bench/preprocess/preprocess.mjs', corpus, 'default', '3') },
      ],
    };
  },
  figures(runs) {
    const ours = runs.get('ours')?.result;
    const peer = runs.get('peer')?.result;
    return [
      throughput('docs/s, best of 3 passes', pick(ours, 'docs_per_s'), pick(peer, 'docs_per_s'), 10),
      throughput('docs per CPU second, best of 3 passes', pick(ours, 'docs_per_cpu_s'), pick(peer, 'docs_per_cpu_s'), 10, 'docs/CPU s'),
      throughput('docs/s, first (cold) pass', pick(ours, 'cold_docs_per_s'), pick(peer, 'cold_docs_per_s'), 10),
      throughput('docs per CPU second, first (cold) pass', pick(ours, 'cold_docs_per_cpu_s'), pick(peer, 'cold_docs_per_cpu_s'), 10, 'docs/CPU s'),
    ];
  },
};

export const dictionaryBenchmark = {
  name: 'dictionary',
  title: 'Dictionary + filterExtremes vs gensim Dictionary + filter_extremes on spam-shared tokens',
  issue: 3,
  quick: true,
  requires: ['gensim'],
  scripts: ['bench/dictionary/dictionary.mjs', 'bench/peers/dictionary.py'],
  needsDist: true,
  plan(ctx) {
    const tokens = 'test/fixtures/preprocess/spam-shared.preprocess.ndjson.gz';
    if (!existsSync(join(ROOT, tokens))) throw new Error(`${tokens} missing`);
    return {
      settings: [`tokens: ${tokens} (gensim's preprocess_string output for spam-shared); timing excludes reading the file on both sides; best of 3`, 'filter_extremes(no_below=5, no_above=0.5, keep_n=100000); both sides single-threaded'],
      steps: [
        { key: 'peer', side: 'peer', label: 'gensim Dictionary + filter_extremes', argv: [ctx.python, 'bench/peers/dictionary.py', tokens], env: peerThreadsEnv(1) },
        { key: 'ours', side: 'corpusflow', label: 'corpusflow Dictionary + filterExtremes', argv: node('bench/dictionary/dictionary.mjs', tokens) },
      ],
    };
  },
  figures: singleThreadFigures,
};

export const trainBenchmark = {
  name: 'train-prodlda',
  title: 'ProdLDA training throughput on bbc-news vs the PyTorch tutorial ProdLDA',
  issue: 4,
  quick: true,
  requires: ['torch', 'gensim'],
  scripts: ['bench/train/prodlda.mjs', 'bench/peers/prodlda.py'],
  needsDist: true,
  async plan(ctx) {
    const corpus = rel(await plainCorpus('bbc-news'));
    const epochs = String(ctx.quick ? 3 : 10);
    const common = ['--input', corpus, '--epochs', epochs, '--topics', '20', '--batch', '64', '--seed', '1'];
    const steps = [
      { key: `peer-t${ctx.threads}`, side: 'peer', label: `PyTorch ProdLDA, ${ctx.threads} threads`, argv: [ctx.python, 'bench/peers/prodlda.py', ...common, '--threads', String(ctx.threads)], env: peerThreadsEnv(ctx.threads) },
    ];
    if (ctx.threads > 1) {
      steps.push({ key: 'peer-t1', side: 'peer', label: 'PyTorch ProdLDA, 1 thread', argv: [ctx.python, 'bench/peers/prodlda.py', ...common, '--threads', '1'], env: peerThreadsEnv(1) });
    }
    steps.push(
      { key: 'ours-wasm', side: 'corpusflow', label: 'corpusflow ProdLDA, wasm', argv: node('bench/train/prodlda.mjs', ...common, '--backend', 'wasm') },
      // The pure-JS backend is ~5x slower than wasm: one epoch is enough for its docs/s.
      { key: 'ours-cpu', side: 'corpusflow', label: 'corpusflow ProdLDA, cpu (pure JS), 1 epoch', argv: node('bench/train/prodlda.mjs', ...common.slice(0, 3), '1', ...common.slice(4), '--backend', 'cpu'), optional: true },
    );
    if (await tfjsNodeAvailable()) {
      steps.push({ key: 'ours-tensorflow', side: 'corpusflow', label: 'corpusflow ProdLDA, tfjs-node', argv: node('bench/train/prodlda.mjs', ...common, '--backend', 'tensorflow') });
    }
    return {
      settings: [
        `corpus: ${corpus} (2,225 pre-tokenised docs, text split on spaces, unfiltered dictionary); K=20, batch 64, ${epochs} epochs, seed 1, reshuffled every epoch`,
        'docs/s = training documents ÷ seconds of the training epochs (excluding reading the file and building the dictionary) on both sides; "after the first epoch" = the same over epochs 2..N of the same runs (for information; the target is on the whole run)',
        `the peer runs twice, with torch.set_num_threads(${ctx.threads}) and (1); the ratio is against the faster of the two`,
      ],
      notes: (await tfjsNodeAvailable()) ? [] : ['tfjs-node is not installable on this machine: no tensorflow-backend figure'],
      steps,
    };
  },
  figures(runs) {
    const peer = bestRun(runs, [...runs.keys()].filter((k) => k.startsWith('peer')));
    const peerRate = pick(peer?.result, 'docs_per_s');
    const out = [throughput('docs/s, wasm', pick(runs.get('ours-wasm')?.result, 'docs_per_s'), peerRate, 1.0)];
    // For information: the same runs after their first epoch (warm-up: JIT, wasm tier-up; the peer's is small).
    const peerSteady = pick(peer?.result, 'steady_docs_per_s');
    out.push(throughput('docs/s after the first epoch, wasm', pick(runs.get('ours-wasm')?.result, 'steady_docs_per_s'), peerSteady));
    if (runs.has('ours-cpu')) out.push(throughput('docs/s, cpu backend', pick(runs.get('ours-cpu')?.result, 'docs_per_s'), peerRate));
    if (runs.has('ours-tensorflow')) out.push(throughput('docs/s, tfjs-node', pick(runs.get('ours-tensorflow')?.result, 'docs_per_s'), peerRate));
    return out;
  },
};

const QUALITY_JSON = 'bench/out/quality-bbc.json';

/** Means over seeds of bench/quality/bbc.mjs's --json rows. */
export function qualityResult(report) {
  const rows = report.rows ?? [];
  const mean = (key) => (rows.length ? rows.reduce((s, r) => s + r[key], 0) / rows.length : null);
  return {
    seeds: rows.map((r) => r.seed),
    npmi: mean('npmi'),
    diversity_top10: mean('diversity10'),
    diversity_top25: mean('diversity25'),
    docs_per_s: mean('docsPerSecond'),
    backend: report.backend ?? null,
    epochs: report.epochs ?? null,
  };
}

export const qualityBenchmark = {
  name: 'quality-bbc',
  title: 'ProdLDA topic quality on bbc-news (K=20, 100 epochs, c_npmi and diversity)',
  issue: 4,
  quick: false,
  requires: ['torch', 'gensim'],
  scripts: ['bench/quality/bbc.mjs', 'bench/peers/prodlda.py'],
  needsDist: true,
  async plan(ctx) {
    const corpus = rel(await plainCorpus('bbc-news'));
    return {
      settings: [
        `corpus: ${corpus}; K=20, batch 64, 100 epochs; corpusflow: bench/quality/bbc.mjs, seeds 1, 2, 3 (figures are their mean), c_npmi by corpusflow's gensim-identical coherence; peer: the PyTorch ProdLDA, seed 1, topics scored by gensim CoherenceModel(c_npmi, topn 10) over the corpus`,
        'no ratio: quality has absolute bars (NPMI ≥ 0.10, top-10 diversity ≥ 0.85); the peer\'s scores are shown beside ours',
      ],
      steps: [
        { key: 'peer', side: 'peer', label: 'PyTorch ProdLDA, 100 epochs, gensim c_npmi', argv: [ctx.python, 'bench/peers/prodlda.py', '--input', corpus, '--epochs', '100', '--seed', '1', '--threads', '1', '--npmi'], env: peerThreadsEnv(1) },
        {
          key: 'ours', side: 'corpusflow', label: 'corpusflow ProdLDA quality, seeds 1,2,3, wasm',
          argv: node('bench/quality/bbc.mjs', '--seeds', '1,2,3', '--epochs', '100', '--backend', 'wasm', '--json', QUALITY_JSON),
          prepare: () => {
            rmSync(join(ROOT, QUALITY_JSON), { force: true });
            mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
          },
          // bbc.mjs writes its figures per seed to --json; the bar is on their mean.
          collect: () => qualityResult(JSON.parse(readFileSync(join(ROOT, QUALITY_JSON), 'utf8'))),
        },
      ],
    };
  },
  figures(runs) {
    const ours = runs.get('ours')?.result;
    const peer = runs.get('peer')?.result;
    return [
      absolute('NPMI (c_npmi, top 10), mean of seeds', pick(ours, 'npmi'), { op: '>=', value: 0.1 }, { peer: pick(peer, 'npmi') }),
      absolute('top-10 diversity, mean of seeds', pick(ours, 'diversity_top10'), { op: '>=', value: 0.85 }, { peer: pick(peer, 'diversity_top10') }),
      absolute('top-25 diversity, mean of seeds', pick(ours, 'diversity_top25'), null, { peer: pick(peer, 'diversity_top25') }),
    ];
  },
};

const ONLINE_JSON = 'bench/out/quality-online.json';

export const onlineQualityBenchmark = {
  name: 'quality-online',
  title: 'ProdLDA online single-pass mode on 100 shuffled copies of bbc-news, dictionary empty at start (c_npmi, diversity)',
  issue: 4,
  long: true,
  scripts: ['bench/quality/online.mjs'],
  needsDist: true,
  async plan() {
    return {
      settings: [
        'bench/quality/online.mjs: 100 copies of bbc-news, each in its own seeded order, read once by fitOnlineTopicModel; vocabulary starts empty, capacity 4096, prune every 10,000 docs (no_below 5); K=20, batch 64, seed 1, wasm',
        'c_npmi by corpusflow\'s gensim-identical coherence over the corpus (top 10); no peer: gensim and the PyTorch tutorial have no online-vocabulary ProdLDA',
      ],
      steps: [
        {
          key: 'ours', side: 'corpusflow', label: 'corpusflow ProdLDA online, 100 copies, seed 1, wasm',
          argv: node('bench/quality/online.mjs', '--copies', '100', '--seed', '1', '--backend', 'wasm', '--every', '20', '--json', ONLINE_JSON),
          prepare: () => {
            rmSync(join(ROOT, ONLINE_JSON), { force: true });
            mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
          },
          collect: () => {
            const r = JSON.parse(readFileSync(join(ROOT, ONLINE_JSON), 'utf8'));
            return { npmi: r.npmi, diversity_top10: r.diversity10, diversity_top25: r.diversity25, docs: r.docs, docs_per_s: r.docsPerSecond, live: r.vocabulary?.live ?? null, pruned: r.vocabulary?.pruned ?? null };
          },
        },
      ],
    };
  },
  figures(runs) {
    const ours = runs.get('ours')?.result;
    return [
      absolute('NPMI (c_npmi, top 10), online, 100 copies', pick(ours, 'npmi'), { op: '>=', value: 0.09 }),
      absolute('top-10 diversity, online', pick(ours, 'diversity_top10'), null),
      absolute('docs/s, online (wasm)', pick(ours, 'docs_per_s'), null),
    ];
  },
};

export const ndjsonReaderBenchmark = {
  name: 'sources-ndjson',
  title: 'ndjsonSource line reader vs the ndjson npm package',
  issue: 2,
  quick: false,
  scripts: ['bench/sources/ndjson-reader.mjs'],
  needsDist: true,
  plan() {
    return {
      settings: ['the script measures both readers itself on a generated file; see its header for sizes'],
      steps: [{ key: 'ours', side: 'corpusflow', label: 'ndjsonSource vs ndjson', argv: node('bench/sources/ndjson-reader.mjs') }],
    };
  },
  figures(runs) {
    const r = runs.get('ours')?.result;
    return [
      throughput('docs/s (peer: ndjson npm package)', pick(r, 'docs_per_s', 'corpusflow.docs_per_s', 'ours.docs_per_s'), pick(r, 'ndjson.docs_per_s', 'peer.docs_per_s', 'ndjson_docs_per_s')),
    ];
  },
};

/** Whether @tensorflow/tfjs-node is installed (an optional dependency); resolved, not loaded, to keep the harness light. */
export async function tfjsNodeAvailable() {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

/** All benchmarks, in RESULTS.md order. */
export const BENCHMARKS = [
  preprocessBenchmark,
  dictionaryBenchmark,
  ndjsonReaderBenchmark,
  trainBenchmark,
  qualityBenchmark,
  onlineQualityBenchmark,
  e2eBenchmark,
  scaleBenchmark,
  scaleRecoveryBenchmark,
];
