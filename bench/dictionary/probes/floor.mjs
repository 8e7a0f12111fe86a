// The floor of a V8 string-keyed index on this corpus (bench/dictionary/README.md, session 4): a build
// loop with nothing but a prototype-less object index, ids in first-occurrence order and df/cf counts —
// no sorting of new tokens, no gensim id order, no error paths. Milliseconds per round.
// Usage: node bench/dictionary/probes/floor.mjs [TOKENS.ndjson.gz] [ROUNDS]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const file = process.argv[2] || new URL('../../../test/fixtures/preprocess/spam-shared.preprocess.ndjson.gz', import.meta.url);
const rounds = Number(process.argv[3] ?? 10);
const docs = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l).tokens);

function build(docs) {
  const index = Object.create(null);
  let n = 0;
  let cap = 1024, cf = new Float64Array(cap), df = new Int32Array(cap), seen = new Int32Array(cap);
  const tokens = [];
  for (let d = 0; d < docs.length; d++) {
    const doc = docs[d];
    const stamp = d + 1;
    if (n + doc.length > cap) {
      while (cap < n + doc.length) cap *= 2;
      const c2 = new Float64Array(cap); c2.set(cf); cf = c2;
      const d2 = new Int32Array(cap); d2.set(df); df = d2;
      const s2 = new Int32Array(cap); s2.set(seen); seen = s2;
    }
    for (let i = 0; i < doc.length; i++) {
      const w = doc[i];
      let id = index[w];
      if (id === undefined) { id = n++; index[w] = id; tokens.push(w); }
      cf[id] += 1;
      if (seen[id] !== stamp) { seen[id] = stamp; df[id]++; }
    }
  }
  return n;
}
const times = [];
for (let i = 0; i < rounds; i++) { const t = performance.now(); build(docs); times.push((performance.now() - t).toFixed(1)); }
console.log(times.join(' '));
