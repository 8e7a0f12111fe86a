// corpusflow side of the Dictionary benchmark; peer: bench/peers/dictionary.py.
//
// Reads already-tokenised documents ({"id", "tokens"} NDJSON, optionally .gz),
// then times only `new Dictionary(docs)` + `filterExtremes()` with gensim's
// defaults: file reading and JSON parsing are excluded, as on the gensim side.
// Prints one JSON line: {tool, docs, seconds, docs_per_s, cpu_seconds, size}: the
// best wall-clock and best process CPU time of --repeat runs.
//
// Usage (after `npx tsc -p tsconfig.json --noEmitOnError false`):
//   node bench/dictionary/dictionary.mjs TOKENS.ndjson[.gz] [--repeat N]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Dictionary } from '../../dist/dictionary/dictionary.js';

const args = process.argv.slice(2);
let repeat = 3;
const r = args.indexOf('--repeat');
if (r !== -1) {
  repeat = Number(args[r + 1]);
  args.splice(r, 2);
}
const path = args[0];
if (!path) {
  console.error('usage: node bench/dictionary/dictionary.mjs TOKENS.ndjson[.gz] [--repeat N]');
  process.exit(2);
}
let raw = readFileSync(path);
if (path.endsWith('.gz')) raw = gunzipSync(raw);
const docs = raw
  .toString('utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line).tokens);

let best = Infinity;
let bestCpu = Infinity;
let size = 0;
for (let i = 0; i < repeat; i++) {
  const start = performance.now();
  const startCpu = process.cpuUsage();
  const dict = new Dictionary(docs);
  dict.filterExtremes({ noBelow: 5, noAbove: 0.5, keepN: 100000 });
  const cpu = process.cpuUsage(startCpu);
  best = Math.min(best, (performance.now() - start) / 1000);
  // All threads of the process (GC and JIT helpers included), like process_time() on the python side.
  bestCpu = Math.min(bestCpu, (cpu.user + cpu.system) / 1e6);
  size = dict.size;
}
console.log(
  JSON.stringify({
    tool: 'corpusflow',
    docs: docs.length,
    seconds: Number(best.toFixed(6)),
    docs_per_s: Number((docs.length / best).toFixed(1)),
    cpu_seconds: Number(bestCpu.toFixed(6)),
    size,
  }),
);
