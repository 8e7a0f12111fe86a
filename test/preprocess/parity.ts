// Parity with gensim 4.2 on real corpora: preprocess_string (DEFAULT_FILTERS) and simple_preprocess
// must give the same tokens for 100% of documents. Expected outputs: test/fixtures/preprocess/<corpus>.<kind>.ndjson.gz,
// copied from the shared gensim oracle; corpora: test/fixtures/corpora/<corpus>.ndjson.gz.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FILTERS } from '../../src/preprocess/filters.js';
import { preprocessString } from '../../src/preprocess/preprocess.js';
import { simplePreprocess } from '../../src/preprocess/tokenize.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function readNdjsonGz<T>(path: string): T[] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

const corpora = ['lee_background', 'spam-shared'];
const kinds: Array<{ kind: string; run: (text: string) => string[] }> = [
  { kind: 'preprocess', run: (text) => preprocessString(text) },
  // The unfused chain, filter by filter, must agree too.
  { kind: 'preprocess', run: (text) => preprocessString(text, [...DEFAULT_FILTERS]) },
  { kind: 'simple', run: (text) => simplePreprocess(text) },
];

for (const corpus of corpora) {
  const docs = readNdjsonGz<{ id: unknown; text: string }>(`${fixtures}corpora/${corpus}.ndjson.gz`);
  for (const [n, { kind, run }] of kinds.entries()) {
    t.test(`${corpus} ${kind} (variant ${n})`, async (t) => {
      const expected = readNdjsonGz<{ id: unknown; tokens: string[] }>(`${fixtures}preprocess/${corpus}.${kind}.ndjson.gz`);
      t.equal(expected.length, docs.length, 'one expected row per document');
      let mismatches = 0;
      for (let i = 0; i < docs.length; i++) {
        const got = run(docs[i]!.text);
        const want = expected[i]!;
        if (want.id !== docs[i]!.id || got.length !== want.tokens.length || got.some((tok, j) => tok !== want.tokens[j])) {
          if (mismatches < 3) t.same(got, want.tokens, `document ${String(docs[i]!.id)}`);
          mismatches++;
        }
      }
      t.equal(mismatches, 0, `all ${docs.length} documents equal gensim's`);
    });
  }
}
