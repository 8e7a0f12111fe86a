// corpusflow preprocessString over a gz NDJSON corpus, single-threaded; the peer is bench/peers/preprocess.py.
// Build first:  npx tsc -p tsconfig.json --noEmitOnError false
// Run:          node bench/preprocess/preprocess.mjs test/fixtures/corpora/spam-shared.ndjson.gz [default|simple] [PASSES]
// Only the preprocessing is timed (texts are loaded first). PASSES (default 3) passes over all texts, as in the peer:
// prints JSON with the best pass (docs_per_s, seconds; docs_per_cpu_s, cpu_seconds: the least CPU time of a pass)
// and the first, cold pass on its own (cold_*: the JIT compiles and the token memo starts empty during it).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { preprocessString, simplePreprocess } from '../../dist/preprocess/index.js';

const [path, mode = 'default', passesArg = '3'] = process.argv.slice(2);
const passes = Number(passesArg);
if (!path || !(Number.isInteger(passes) && passes >= 1)) {
  console.error('usage: node bench/preprocess/preprocess.mjs CORPUS.ndjson.gz [default|simple] [PASSES]');
  process.exit(2);
}
const texts = gunzipSync(readFileSync(path))
  .toString('utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line).text);
const bytes = texts.reduce((n, s) => n + Buffer.byteLength(s), 0);
const run = mode === 'simple' ? (s) => simplePreprocess(s) : (s) => preprocessString(s);

const walls = [];
const cpus = [];
let tokens = 0;
for (let p = 0; p < passes; p++) {
  tokens = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const text of texts) tokens += run(text).length;
  const cpu = process.cpuUsage(cpuStart);
  walls.push(Number(process.hrtime.bigint() - start) / 1e9);
  // CPU seconds of this process (user + system) are reported too: on a shared, loaded machine they are steadier than wall time.
  cpus.push((cpu.user + cpu.system) / 1e6);
}
const seconds = Math.min(...walls);
const cpuSeconds = Math.min(...cpus);
console.log(JSON.stringify({
  impl: 'corpusflow', mode, passes, docs: texts.length, tokens,
  seconds: +seconds.toFixed(3), docs_per_s: Math.round(texts.length / seconds), mb_per_s: +(bytes / 1e6 / seconds).toFixed(2),
  cpu_seconds: +cpuSeconds.toFixed(3), docs_per_cpu_s: Math.round(texts.length / cpuSeconds),
  cold_seconds: +walls[0].toFixed(3), cold_docs_per_s: Math.round(texts.length / walls[0]),
  cold_cpu_seconds: +cpus[0].toFixed(3), cold_docs_per_cpu_s: Math.round(texts.length / cpus[0]),
}));
