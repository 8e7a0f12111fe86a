#!/usr/bin/env node
// Scale benchmark (issue 6): preprocessing, dictionary and one epoch of
// ProdLDA over generated LDA corpora of 200 MB and 2 GB through `corpusflow
// run`, reporting peak RSS (< 512 MB at 2 GB, and 2 GB within 10% of 200 MB),
// and topic recovery against the generator's true topics (mean best-match
// cosine ≥ 0.9, measured on the largest run's model by bench/scale/recovery.mjs).
//
// Long: it runs only when named, `node bench/run.js --only scale`, or
// directly `node bench/scale/scale.mjs [--sizes 200MB,2GB]`. The generated
// corpora stay in bench/data/ (gitignored) and are reused by later runs.

import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { absolute, pick } from '../lib/figures.js';
import { ROOT } from '../lib/env.js';
import { metricsResult } from '../e2e/e2e.mjs';

const PIPELINE = 'bench/scale/pipeline.yaml';
/** The generator's settings; K matches the pipeline's topics. */
export const GENERATOR = { topics: 20, vocab: 5000, seed: 7 };
export const DEFAULT_SIZES = ['200MB', '2GB'];

const slug = (size) => size.toLowerCase();

/** Steps for one size: generate (once), then `corpusflow run` over it. */
export function sizeSteps(size) {
  const corpus = `bench/data/scale-${slug(size)}.ndjson`;
  const truth = `bench/data/scale-${slug(size)}.truth.json`;
  const out = join(ROOT, `bench/out/scale-${slug(size)}`);
  const steps = [];
  if (!existsSync(join(ROOT, corpus)) || !existsSync(join(ROOT, truth))) {
    steps.push({
      key: `generate-${size}`, side: 'setup', label: `generate ${size} LDA corpus`,
      argv: ['node', 'bench/generate.mjs', '--bytes', size, '--topics', String(GENERATOR.topics), '--vocab', String(GENERATOR.vocab),
        '--seed', String(GENERATOR.seed), '--out', corpus, '--truth', truth],
    });
  }
  steps.push({
    key: `run-${size}`, side: 'corpusflow', label: `corpusflow run, ${size}, 1 epoch`,
    argv: ['node', 'bin/corpusflow.js', 'run', PIPELINE, '--set', `source.ndjson=${join(ROOT, corpus)}`, '--set', `output=${out}`],
    prepare: () => rmSync(out, { recursive: true, force: true }),
    collect: async () => {
      const { readJsonFile } = await import('../lib/runner.js');
      return metricsResult(readJsonFile(join(out, 'metrics.json')));
    },
  });
  return { steps, corpus, truth, out };
}

export const scaleBenchmark = {
  name: 'scale',
  title: 'bounded memory on generated corpora (200 MB and 2 GB by default; preprocess + dictionary + 1 epoch ProdLDA via the CLI) and topic recovery',
  issue: 6,
  long: true,
  scripts: ['bench/generate.mjs', 'bin/corpusflow.js', PIPELINE, 'bench/scale/recovery.mjs'],
  needsDist: true,
  plan(ctx) {
    const sizes = ctx.scaleSizes ?? DEFAULT_SIZES;
    const steps = [];
    let last;
    for (const size of sizes) {
      last = sizeSteps(size);
      steps.push(...last.steps);
    }
    // Recovery on the largest run: the model that has seen the most documents.
    steps.push({
      key: 'recovery', side: 'corpusflow', label: `topic recovery, ${sizes[sizes.length - 1]} model vs generator truth`,
      argv: ['node', 'bench/scale/recovery.mjs', '--model', last.out, '--truth', last.truth],
    });
    return {
      settings: [
        `corpora: bench/generate.mjs --topics ${GENERATOR.topics} --vocab ${GENERATOR.vocab} --seed ${GENERATOR.seed} at ${sizes.join(' and ')} (NDJSON, text field)`,
        `pipeline: ${PIPELINE} (default filters, filter_extremes 5/0.5/100000, batch 64, shuffle 10000, K=20, 1 epoch, wasm)`,
        'no peer: these are corpusflow\'s own memory and recovery bars',
      ],
      steps,
    };
  },
  figures(runs, ctx) {
    const sizes = ctx.scaleSizes ?? DEFAULT_SIZES;
    const rss = (size) => (runs.get(`run-${size}`)?.ok ? runs.get(`run-${size}`).peakRssMb : null);
    const out = [];
    for (const size of sizes) {
      const r = runs.get(`run-${size}`);
      out.push(absolute(`peak RSS, ${size}`, rss(size), size === '2GB' ? { op: '<=', value: 512 } : null, { unit: 'MB' }));
      out.push(absolute(`docs/s, ${size}`, pick(r?.result, 'docs_per_s'), null, { unit: 'docs/s' }));
    }
    if (sizes.length > 1) {
      const a = rss(sizes[0]);
      const b = rss(sizes[sizes.length - 1]);
      out.push(absolute(`peak RSS ${sizes[sizes.length - 1]} ÷ ${sizes[0]}`, a && b ? b / a : null, { op: '<=', value: 1.1 }));
    }
    out.push(absolute('topic recovery (mean best-match cosine)', pick(runs.get('recovery')?.result, 'recovery', 'mean'), { op: '>=', value: 0.9 }));
    return out;
  },
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { runBenchmarks } = await import('../lib/runner.js');
  const { BENCHMARKS } = await import('../lib/registry.js');
  const at = process.argv.indexOf('--sizes');
  const sizes = at >= 0 ? process.argv[at + 1].split(',') : DEFAULT_SIZES;
  await runBenchmarks({ benchmarks: BENCHMARKS, only: ['scale'], context: { scaleSizes: sizes }, command: `node bench/scale/scale.mjs --sizes ${sizes.join(',')}` });
}
