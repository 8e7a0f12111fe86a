// corpusflow preprocessString over a gz NDJSON corpus, single-threaded; the peer is bench/peers/preprocess.py.
// Build first:  npx tsc -p tsconfig.json --noEmitOnError false
// Run:          node bench/preprocess/preprocess.mjs test/fixtures/corpora/spam-shared.ndjson.gz [default|simple] [PASSES]
// Prints JSON {docs, tokens, seconds, docs_per_s, mb_per_s, cpu_seconds, docs_per_cpu_s}. Only the preprocessing is timed (texts are loaded first),
// one cold pass (the stem cache starts empty), as in the peer.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { preprocessString, simplePreprocess } from '../../dist/preprocess/index.js';

const [path, mode = 'default', passesArg = '1'] = process.argv.slice(2);
// PASSES > 1 reports the last pass only: the steady state after the JIT has compiled and the token memo is warm.
const passes = Number(passesArg);
if (!path) {
  console.error('usage: node bench/preprocess/preprocess.mjs CORPUS.ndjson.gz [default|simple]');
  process.exit(2);
}
const texts = gunzipSync(readFileSync(path))
  .toString('utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line).text);
const bytes = texts.reduce((n, s) => n + Buffer.byteLength(s), 0);
const run = mode === 'simple' ? (s) => simplePreprocess(s) : (s) => preprocessString(s);

for (let p = 1; p < passes; p++) for (const text of texts) run(text);
let tokens = 0;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (const text of texts) tokens += run(text).length;
const cpu = process.cpuUsage(cpuStart);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
// CPU seconds of this process (user + system) are reported too: on a shared, loaded machine they are steadier than wall time.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({
  impl: 'corpusflow', mode, passes, docs: texts.length, tokens,
  seconds: +seconds.toFixed(3), docs_per_s: Math.round(texts.length / seconds), mb_per_s: +(bytes / 1e6 / seconds).toFixed(2),
  cpu_seconds: +cpuSeconds.toFixed(3), docs_per_cpu_s: Math.round(texts.length / cpuSeconds),
}));
