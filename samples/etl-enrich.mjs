#!/usr/bin/env node
// ETL with corpusflow inside a plain Node stream pipeline:
// NDJSON records in (file or stdin) -> enriched NDJSON records out (stdout).
//
//   node samples/etl-enrich.mjs samples/corpora/field-notes.ndjson > enriched.ndjson
//   cat records.ndjson | node samples/etl-enrich.mjs - > enriched.ndjson
//
// Each record keeps its fields and gains:
//   sha256       an async step (crypto.subtle), paced by the source's flow control
//   tokens       gensim's preprocess_string token count
//   top_terms    the record's five most frequent tokens
// Bad lines are skipped and written to enrich-dead-letter.ndjson instead of stopping the job.
// Memory stays flat whatever the input size: reading pauses while stdout is slow.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { map } from 'rxjs';
import { mapAsync, ndjsonSource, preprocessString, toReadable } from 'corpusflow';

const input = process.argv[2] ?? '-';
const docs = ndjsonSource(input, { onError: 'skip', deadLetter: 'enrich-dead-letter.ndjson' });

const sha256 = async (text) => {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('hex');
};

const topTerms = (tokens, n = 5) => {
  const counts = new Map();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([t]) => t);
};

const enriched = docs.pipe(
  // async work with at most 4 calls at once; `flow` makes the source wait for it
  mapAsync(async (doc) => ({ ...doc, sha256: await sha256(doc.text) }), { flow: docs.flow, concurrency: 4 }),
  map((doc) => {
    const tokens = preprocessString(doc.text);
    return { ...doc, tokens: tokens.length, top_terms: topTerms(tokens) };
  }),
);

const toNdjson = new Transform({
  writableObjectMode: true,
  transform(record, _encoding, callback) {
    callback(null, JSON.stringify(record) + '\n');
  },
});

await pipeline(toReadable(enriched), toNdjson, process.stdout);
const s = docs.stats;
console.error(`etl-enrich: ${s.emitted} records enriched, ${s.skipped} skipped`);
