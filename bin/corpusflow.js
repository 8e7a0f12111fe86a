#!/usr/bin/env node
// The corpusflow CLI. The package is built with tsc into dist/ (npm install runs it via `prepare`).
import v8 from 'node:v8';

// Keep V8's heap close to its live size. By default V8 lets the heap grow to several times the live
// data between full collections (this machine's limit is ~4 GB), and a training run's garbage
// (batches, tensors' JS wrappers) filled that headroom: `corpusflow run` on the SpamAssassin e2e
// pipeline (2 epochs) peaked at 314 MB RSS with ~40 MB live. With this flag: 206-212 MB, and no
// measurable cost per training step (24.0 vs 24.1 ms CPU, min over interleaved rounds of bbc-news-sized steps). Set at start-up,
// before any allocation of note; no hard limit, so large dictionaries still fit.
v8.setFlagsFromString('--optimize-for-size');
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli/main.js')) {
    console.error('corpusflow: the build is missing (dist/cli/main.js); run `npm run build` first');
    process.exit(1);
  }
  throw e;
}

process.exitCode = await main(process.argv.slice(2));
