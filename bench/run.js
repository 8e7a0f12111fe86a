#!/usr/bin/env node
// `npm run bench`: runs every benchmark side by side with its peer (gensim /
// PyTorch at /usr/bin/python3) on the same data with the same settings, in one
// run; prints each figure with the exact command that produced it, the peak
// RSS of each command's process tree and the ratios; rewrites bench/RESULTS.md.

import { BENCHMARKS } from './lib/registry.js';
import { runBenchmarks } from './lib/runner.js';

const USAGE = `usage: node bench/run.js [--only NAME,...] [--quick] [--no-build] [--scale-sizes 200MB,2GB] [--list]

  --only NAME,...   run just these benchmarks (long ones such as "scale" run only when named)
  --quick           the quick set, with smaller settings (e.g. e2e on spam-shared, 2 epochs)
  --no-build        do not rebuild dist/ even when src/ is newer
  --scale-sizes     corpus sizes for the scale benchmark (default 200MB,2GB)
  --list            list the benchmarks and exit

The peer interpreter is /usr/bin/python3, or CORPUSFLOW_BENCH_PYTHON.
Results: bench/RESULTS.md (sections of benchmarks not run this time are kept).`;

function parseArgs(argv) {
  const options = { only: [], quick: false, build: true, list: false, context: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') options.only.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (arg.startsWith('--only=')) options.only.push(...arg.slice(7).split(',').filter(Boolean));
    else if (arg === '--quick') options.quick = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--scale-sizes') options.context.scaleSizes = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--list') options.list = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown option ${arg}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
if (options.list) {
  for (const b of BENCHMARKS) process.stdout.write(`${b.name.padEnd(16)} ${b.long ? '[long] ' : b.quick ? '[quick] ' : ''}${b.title}\n`);
  process.exit(0);
}
const { unknown } = await runBenchmarks({
  benchmarks: BENCHMARKS,
  only: options.only,
  quick: options.quick,
  build: options.build,
  context: options.context,
  command: ['node bench/run.js', ...process.argv.slice(2)].join(' '),
});
process.exitCode = unknown.length > 0 ? 2 : 0;
