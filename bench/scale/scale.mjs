#!/usr/bin/env node
// Scale benchmarks (issue 6).
//
// `scale`: preprocessing, dictionary and one epoch of ProdLDA over generated
// LDA corpora of 200 MB and 2 GB through `corpusflow run`, reporting peak RSS
// (< 512 MB at 2 GB, and 2 GB within 10% of 200 MB). The recovery of the
// largest run's model is printed beside them for information.
// Long: it runs only when named, `node bench/run.js --only scale`, or
// directly `node bench/scale/scale.mjs [--sizes 200MB,2GB]`.
//
// `scale-recovery`: topic recovery against the generator's true topics (mean
// best-match cosine ≥ 0.9, bench/scale/recovery.mjs) on a model trained for
// that: the 20 MB corpus of the same generator (same seed, so the same true
// topics), 10 epochs, with the model's Dirichlet prior set to the generator's
// alpha. The memory runs keep the model's default prior (alpha 1) and see each
// document once; at alpha 1 the encoder spreads a one-topic document over
// several topics and the decoder's β rows sharpen to make up for it, so a
// one-topic decode is sharper than the true φ_k (measured 0.80 after 1 epoch
// and 0.877 after 5 at 20 MB, 0.817 after 1 epoch at 200 MB).
//
// The generated corpora stay in bench/data/ (gitignored) and are reused by later runs.

import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { absolute, pick } from '../lib/figures.js';
import { ROOT } from '../lib/env.js';
import { metricsResult } from '../e2e/e2e.mjs';

const PIPELINE = 'bench/scale/pipeline.yaml';
/** The generator's settings; K matches the pipeline's topics. */
export const GENERATOR = { topics: 20, vocab: 5000, alpha: 0.1, seed: 7 };
/** The recovery run: corpus size and epochs. */
export const RECOVERY = { size: '20MB', epochs: 10 };
export const DEFAULT_SIZES = ['200MB', '2GB'];

const slug = (size) => size.toLowerCase();

/**
 * Steps for one size: generate (once), then `corpusflow run` over it.
 * @param size e.g. '200MB'
 * @param extra `--set` overrides and an output name for runs other than the 1-epoch memory run
 */
export function sizeSteps(size, extra = { name: `scale-${slug(size)}`, sets: [], label: '1 epoch' }) {
  const corpus = `bench/data/scale-${slug(size)}.ndjson`;
  const truth = `bench/data/scale-${slug(size)}.truth.json`;
  const out = join(ROOT, `bench/out/${extra.name}`);
  const steps = [];
  if (!existsSync(join(ROOT, corpus)) || !existsSync(join(ROOT, truth))) {
    steps.push({
      key: `generate-${size}`, side: 'setup', label: `generate ${size} LDA corpus`,
      argv: ['node', 'bench/generate.mjs', '--bytes', size, '--topics', String(GENERATOR.topics), '--vocab', String(GENERATOR.vocab),
        '--alpha', String(GENERATOR.alpha), '--seed', String(GENERATOR.seed), '--out', corpus, '--truth', truth],
    });
  }
  steps.push({
    key: `run-${size}`, side: 'corpusflow', label: `corpusflow run, ${size}, ${extra.label}`,
    argv: ['node', 'bin/corpusflow.js', 'run', PIPELINE, '--set', `source.ndjson=${join(ROOT, corpus)}`, '--set', `output=${out}`,
      ...extra.sets.flatMap((x) => ['--set', x])],
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
  title: 'bounded memory on generated corpora (200 MB and 2 GB by default; preprocess + dictionary + 1 epoch ProdLDA via the CLI)',
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
    // For information: recovery of the largest run's model (the bar is scale-recovery's).
    steps.push({
      key: 'recovery', side: 'corpusflow', label: `topic recovery, ${sizes[sizes.length - 1]} 1-epoch model vs generator truth`, optional: true,
      argv: ['node', 'bench/scale/recovery.mjs', '--model', last.out, '--truth', last.truth],
    });
    return {
      settings: [
        `corpora: bench/generate.mjs --topics ${GENERATOR.topics} --vocab ${GENERATOR.vocab} --alpha ${GENERATOR.alpha} --seed ${GENERATOR.seed} at ${sizes.join(' and ')} (NDJSON, text field)`,
        `pipeline: ${PIPELINE} (default filters, filter_extremes 5/0.5/100000, batch 64, shuffle 10000, K=20, 1 epoch, wasm)`,
        'no peer: these are corpusflow\'s own memory bars; the recovery bar is the scale-recovery benchmark\'s',
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
    out.push(absolute(`topic recovery of the ${sizes[sizes.length - 1]} 1-epoch model (information)`, pick(runs.get('recovery')?.result, 'recovery', 'mean'), null));
    return out;
  },
};

export const scaleRecoveryBenchmark = {
  name: 'scale-recovery',
  title: `topic recovery on a generated LDA corpus (${RECOVERY.size}, ${RECOVERY.epochs} epochs of ProdLDA via the CLI, model prior = generator alpha)`,
  issue: 6,
  scripts: ['bench/generate.mjs', 'bin/corpusflow.js', PIPELINE, 'bench/scale/recovery.mjs'],
  needsDist: true,
  plan() {
    const run = sizeSteps(RECOVERY.size, {
      name: `scale-recovery-${slug(RECOVERY.size)}`,
      sets: [`train.epochs=${RECOVERY.epochs}`, `model.prodlda.alpha=${GENERATOR.alpha}`],
      label: `${RECOVERY.epochs} epochs, alpha ${GENERATOR.alpha}`,
    });
    return {
      settings: [
        `corpus: bench/generate.mjs --topics ${GENERATOR.topics} --vocab ${GENERATOR.vocab} --alpha ${GENERATOR.alpha} --seed ${GENERATOR.seed} --bytes ${RECOVERY.size} (the scale corpora's generator: same true topics)`,
        `pipeline: ${PIPELINE} with train.epochs=${RECOVERY.epochs} and model.prodlda.alpha=${GENERATOR.alpha} (the generator's document-topic alpha; default 1)`,
        'measure: bench/scale/recovery.mjs: each model topic is the eval-mode decoder\'s word distribution for a one-topic mix; one-to-one (Hungarian) matching with the true φ_k by cosine, over the union of both vocabularies (words the dictionary filtered out count as 0 on the model side)',
        'no peer',
      ],
      steps: [
        ...run.steps,
        { key: 'recovery', side: 'corpusflow', label: `topic recovery, ${RECOVERY.size} ${RECOVERY.epochs}-epoch model vs generator truth`, argv: ['node', 'bench/scale/recovery.mjs', '--model', run.out, '--truth', run.truth] },
      ],
    };
  },
  figures(runs) {
    const r = runs.get('recovery')?.result;
    return [
      absolute('topic recovery (mean best-match cosine, one-to-one)', pick(r, 'recovery', 'mean'), { op: '>=', value: 0.9 }),
      absolute('worst matched topic (cosine)', pick(r, 'worst'), null),
      absolute(`docs/s, ${RECOVERY.size} × ${RECOVERY.epochs} epochs`, pick(runs.get(`run-${RECOVERY.size}`)?.result, 'docs_per_s'), null, { unit: 'docs/s' }),
    ];
  },
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { runBenchmarks } = await import('../lib/runner.js');
  const { BENCHMARKS } = await import('../lib/registry.js');
  const at = process.argv.indexOf('--sizes');
  const sizes = at >= 0 ? process.argv[at + 1].split(',') : DEFAULT_SIZES;
  await runBenchmarks({ benchmarks: BENCHMARKS, only: ['scale'], context: { scaleSizes: sizes }, command: `node bench/scale/scale.mjs --sizes ${sizes.join(',')}` });
}
