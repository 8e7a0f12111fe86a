// Where a Dictionary build's time goes, in one process (bench/dictionary/README.md, session 4):
// `fresh build` = new Dictionary(docs); `re-add` = addDocuments(docs) again on it (same occurrences,
// no new token); `filter` = filterExtremes. Milliseconds per round.
// Usage (after `npm run build`): node bench/dictionary/probes/split.mjs [TOKENS.ndjson.gz] [ROUNDS]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Dictionary } from '../../../dist/dictionary/dictionary.js';

const file = process.argv[2] || new URL('../../../test/fixtures/preprocess/spam-shared.preprocess.ndjson.gz', import.meta.url);
const rounds = Number(process.argv[3] ?? 8);
const docs = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l).tokens);
const fresh = [], again = [], filter = [];
for (let i = 0; i < rounds; i++) {
  let t = performance.now();
  const d = new Dictionary(docs);
  fresh.push(performance.now() - t);
  t = performance.now();
  d.addDocuments(docs);
  again.push(performance.now() - t);
  t = performance.now();
  d.filterExtremes({ noBelow: 5, noAbove: 0.5, keepN: 100000 });
  filter.push(performance.now() - t);
}
const f = (x) => x.map((v) => v.toFixed(1)).join(' ');
console.log(`fresh build ${f(fresh)}\nre-add      ${f(again)}\nfilter      ${f(filter)}`);
