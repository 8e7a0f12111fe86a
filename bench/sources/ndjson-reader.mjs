// NDJSON reading speed: corpusflow's ndjsonSource (own Buffer line splitter,
// UTF-8 validation, byte offsets) against the `ndjson` npm package (split2 +
// JSON.parse) and a readline + JSON.parse baseline, on a generated ~200 MB file.
//
// Build first:  npx tsc -p tsconfig.json --noEmitOnError false
// Run:          node bench/sources/ndjson-reader.mjs [sizeMB=200] [runs=3]
// Each reader runs in its own child process; reported: best and median wall
// time, MB/s, best and median CPU time (user+system, less sensitive to other
// load on a shared machine), documents, and the child's peak RSS.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, openSync, statSync, writeSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function runOne(reader, path) {
  // Load modules before starting the clock: only reading is measured.
  const { ndjsonSource } = reader === 'corpusflow' ? await import(join(root, 'dist', 'sources', 'ndjson.js')) : {};
  const ndjson = reader === 'ndjson' ? (await import('ndjson')).default : undefined;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let docs = 0;
  let chars = 0;
  if (reader === 'corpusflow') {
    await new Promise((resolve, reject) =>
      ndjsonSource(path, { highWaterMark: 64 * 1024 }).subscribe({
        next: (d) => {
          docs++;
          chars += d.text.length;
        },
        error: reject,
        complete: resolve,
      }),
    );
  } else if (reader === 'ndjson') {
    await new Promise((resolve, reject) => {
      createReadStream(path, { highWaterMark: 64 * 1024 })
        .pipe(ndjson.parse())
        .on('data', (o) => {
          docs++;
          chars += o.text.length;
        })
        .on('error', reject)
        .on('end', resolve);
    });
  } else if (reader === 'readline') {
    const lines = createInterface({ input: createReadStream(path, { highWaterMark: 64 * 1024 }), crlfDelay: Infinity });
    for await (const line of lines) {
      const o = JSON.parse(line);
      docs++;
      chars += o.text.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(JSON.stringify({ reader, seconds, cpuSeconds, docs, chars, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

function generate(path, sizeMB) {
  mkdirSync(dirname(path), { recursive: true });
  const words = 'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their'.split(' ');
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const fd = openSync(path, 'w');
  let written = 0;
  let block = '';
  for (let i = 0; written < sizeMB * 1024 * 1024; i++) {
    const n = 50 + Math.floor(rand() * 250);
    let text = '';
    for (let w = 0; w < n; w++) text += (w ? ' ' : '') + words[Math.floor(rand() * words.length)];
    block += JSON.stringify({ id: `doc-${i}`, text, source: 'bench', score: rand() }) + '\n';
    if (block.length > 1 << 20) {
      writeSync(fd, block);
      written += block.length;
      block = '';
    }
  }
  writeSync(fd, block);
  closeSync(fd);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === '--child') {
  await runOne(a, b);
} else {
  const sizeMB = Number(mode ?? 200);
  const runs = Number(a ?? 3);
  if (!existsSync(join(root, 'dist', 'sources', 'ndjson.js'))) {
    console.error('dist/sources/ndjson.js missing: run `npx tsc -p tsconfig.json --noEmitOnError false` first');
    process.exit(1);
  }
  const path = join(root, 'bench', 'data', `ndjson-reader-${sizeMB}mb.ndjson`);
  if (!existsSync(path)) generate(path, sizeMB);
  const bytes = statSync(path).size;
  console.log(`file: ${path} (${(bytes / 2 ** 20).toFixed(0)} MiB), ${runs} runs per reader, node ${process.version}`);
  // The last line is one JSON object for bench/run.js: each reader's best docs/s, bytes/s and peak RSS.
  const summary = {};
  for (const reader of ['corpusflow', 'ndjson', 'readline']) {
    const results = [];
    for (let r = 0; r < runs; r++) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', reader, path], { encoding: 'utf8' });
      if (child.status !== 0) {
        console.error(child.stderr);
        process.exit(1);
      }
      results.push(JSON.parse(child.stdout.trim()));
    }
    const times = results.map((x) => x.seconds).sort((x, y) => x - y);
    const best = times[0];
    const median = times[Math.floor(times.length / 2)];
    const rss = Math.max(...results.map((x) => x.maxRssMB));
    const cpus = results.map((x) => x.cpuSeconds).sort((x, y) => x - y);
    const cpuMedian = cpus[Math.floor(cpus.length / 2)];
    console.log(
      `${reader.padEnd(11)} best ${best.toFixed(2)} s (${(bytes / 2 ** 20 / best).toFixed(0)} MiB/s), median ${median.toFixed(2)} s; CPU best ${cpus[0].toFixed(2)} s, median ${cpuMedian.toFixed(2)} s; docs ${results[0].docs}, peak RSS ${rss.toFixed(0)} MB`,
    );
    summary[reader] = { docs_per_s: Math.round(results[0].docs / best), mib_per_s: Number((bytes / 2 ** 20 / best).toFixed(1)), seconds: best, cpu_seconds: cpus[0], peak_rss_mb: Math.round(rss) };
  }
  console.log(JSON.stringify(summary));
}
