#!/usr/bin/env node
// Synthetic corpus generator (issue 6): writes an NDJSON corpus of any size
// drawn from LDA's generative model with known topics, so that topic recovery
// can be measured against the truth.
//
//   node bench/generate.mjs --bytes 2GB --out bench/data/big.ndjson --truth bench/data/big.truth.json
//   node bench/generate.mjs --docs 1000 --topics 10 --vocab 2000 --seed 3 --out small.ndjson.gz
//
// The model, with K topics over a vocabulary of V words:
//   topic k:            φ_k ~ Dirichlet(beta · 1_V)
//   document d:         θ_d ~ Dirichlet(alpha · 1_K), length N_d ~ Poisson(docLength) (at least 1)
//   each token of d:    z ~ Categorical(θ_d), word ~ Categorical(φ_z)
// Each line is {"id": <0-based number>, "text": "<words separated by single spaces>"}.
//
// The words are pronounceable pseudo-words (1–3 consonant-vowel syllables, then
// consonant + a|o|u + one of b d g k m n p t v z: 5 to 9 letters). That shape
// is chosen so gensim's default preprocessing (and corpusflow's 'default'
// filters) keeps every word as is: none is a stop word, none is shorter than 3
// letters, and Porter's stemmer leaves each unchanged (checked exhaustively
// for the 5-letter words and on 200,000 longer ones against gensim 4.2). So
// learned topics can be compared with the truth word for word.
//
// Streaming: documents are written in ~1 MB chunks and the writer waits for
// 'drain' whenever the destination is full, so memory stays flat at any size.
// Output goes to a temporary file renamed into place at the end (or to stdout
// with --out -); .gz outputs, or --gzip, are gzip-compressed. --bytes counts
// uncompressed NDJSON bytes; generation stops after the document that reaches
// it. With the same options and seed the output is byte-identical, and a
// --bytes corpus starts with the same documents as a --docs one.
//
// --truth FILE writes the true topics as JSON:
//   {generator, seed, numTopics, vocabSize, alpha, beta, docLength,
//    vocabulary: [word...], topics: [[p(word_j | topic k) ...] ...]}
// (the shape src/eval/topic-recovery.ts takes; probabilities below 1e-12 are written as 0).
//
// Prints one JSON summary line to stdout at the end (unless the corpus itself goes to stdout):
//   {"docs", "tokens", "bytes", "seconds", "mb_per_s", "out", "truth"}

import { createWriteStream, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

const HELP = `usage: node bench/generate.mjs (--bytes SIZE | --docs N) --out FILE|- [options]
  --bytes SIZE      stop once this many uncompressed bytes are written: 500KB, 200MB, 2GB (powers of 1000), 1GiB (of 1024)
  --docs N          number of documents
  --out FILE        output NDJSON (.gz: gzip); '-' for stdout
  --truth FILE      also write the true topic-word distributions as JSON
  --topics K        number of topics (default 20)
  --vocab V         vocabulary size (default 5000)
  --alpha A         document-topic Dirichlet concentration per topic (default 0.1)
  --beta B          topic-word Dirichlet concentration per word (default 0.01)
  --doc-length L    mean document length in tokens, Poisson (default 100)
  --seed S          random seed, an integer (default 1)
  --gzip            gzip the output whatever its name
  --quiet           no progress on stderr`;

const UNITS = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** Parses '2GB', '200 MB', '1.5GiB', '1000' into bytes. */
export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`Invalid option bytes: expected a size such as 200MB or 2GB, got ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * unit);
}

/**
 * A small, fast seeded generator (sfc32, seeded through splitmix32): the same
 * seed gives the same stream on every platform.
 */
export function createRandom(seed) {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  /** Uniform in [0, 1). */
  const uniform = () => next() / 4294967296;
  let spare = null;
  const normal = () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * uniform();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
  /** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 through Gamma(shape + 1) · U^(1/shape). */
  const gamma = (shape) => {
    if (shape < 1) {
      let u = 0;
      while (u === 0) u = uniform();
      return gamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    const dd = shape - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      let x, v;
      do {
        x = normal();
        v = 1 + cc * x;
      } while (v <= 0);
      v = v * v * v;
      const u = uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return dd * v;
      if (Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
    }
  };
  /** Dirichlet(concentration · 1_n) as a Float64Array summing to 1. */
  const dirichlet = (n, concentration) => {
    const out = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += out[i] = gamma(concentration);
    if (sum === 0) out[Math.floor(uniform() * n)] = 1; // every draw underflowed: put the mass on one
    else for (let i = 0; i < n; i++) out[i] /= sum;
    return out;
  };
  /** Poisson(lambda): Knuth's product of uniforms, in pieces of at most 500 so exp(-λ) never underflows. */
  const poisson = (lambda) => {
    let total = 0;
    for (let rest = lambda; rest > 0; rest -= 500) {
      const l = Math.exp(-Math.min(rest, 500));
      let k = 0;
      let p = uniform();
      while (p > l) {
        k++;
        p *= uniform();
      }
      total += k;
    }
    return total;
  };
  return { uniform, normal, gamma, dirichlet, poisson };
}

const ONSETS = 'bdfghklmnprstvz';
const VOWELS = 'aeiou';
const FINAL_VOWELS = 'aou';
const FINAL_CODAS = 'bdgkmnptvz';

/** V distinct pseudo-words (see the header for why they look like this). */
export function makeVocabulary(size, random) {
  const pick = (letters) => letters[Math.floor(random.uniform() * letters.length)];
  const words = new Set();
  const capacity = 15 * 5 * 15 * 3 * 10 * (1 + 75 + 75 * 75);
  if (size > capacity / 2) throw new Error(`Invalid option vocab: expected at most ${Math.floor(capacity / 2)}, got ${size}`);
  while (words.size < size) {
    // mostly two or three syllables; a few long words, like real vocabularies
    const r = random.uniform();
    const syllables = r < 0.45 ? 1 : r < 0.9 ? 2 : 3;
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(ONSETS) + pick(VOWELS);
    w += pick(ONSETS) + pick(FINAL_VOWELS) + pick(FINAL_CODAS);
    words.add(w);
  }
  return [...words];
}

/**
 * Walker's alias tables for several distributions over the same n outcomes,
 * flattened into typed arrays: row r draws with one uniform in O(1).
 */
export function aliasTables(rows) {
  const n = rows[0].length;
  const prob = new Float64Array(rows.length * n);
  const alias = new Int32Array(rows.length * n);
  rows.forEach((probs, r) => {
    const base = r * n;
    const scaled = Float64Array.from(probs, (p) => p * n);
    const small = [];
    const large = [];
    for (let i = 0; i < n; i++) (scaled[i] < 1 ? small : large).push(i);
    while (small.length && large.length) {
      const s = small.pop();
      const l = large.pop();
      prob[base + s] = scaled[s];
      alias[base + s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) prob[base + i] = 1;
    for (const i of small) prob[base + i] = 1; // rounding leftovers
  });
  /** @param r the row; @param u a uniform in [0, 1). */
  return (r, u) => {
    const x = u * n;
    const i = Math.floor(x);
    return x - i < prob[r * n + i] ? i : alias[r * n + i];
  };
}

/** Validates the parsed command line into generator options (throws with csv-parse's message pattern). */
export function normalizeOptions(values) {
  const int = (name, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`Invalid option ${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const positive = (name, v) => {
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`Invalid option ${name}: expected a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  if (values.out === undefined) throw new Error('Invalid option out: expected a file path or -, got nothing');
  if ((values.bytes === undefined) === (values.docs === undefined)) throw new Error('Invalid option bytes/docs: expected exactly one of --bytes or --docs');
  return {
    bytes: values.bytes !== undefined ? parseSize(values.bytes) : undefined,
    docs: values.docs !== undefined ? int('docs', values.docs, 0) : undefined,
    out: values.out,
    truth: values.truth,
    topics: int('topics', values.topics ?? 20, 1),
    vocab: int('vocab', values.vocab ?? 5000, 1),
    alpha: positive('alpha', values.alpha ?? 0.1),
    beta: positive('beta', values.beta ?? 0.01),
    docLength: positive('doc-length', values['doc-length'] ?? 100),
    seed: int('seed', values.seed ?? 1, 0),
    gzip: Boolean(values.gzip) || (values.out !== '-' && values.out.endsWith('.gz')),
    quiet: Boolean(values.quiet),
  };
}

const CHUNK = 1 << 20; // bytes handed to the stream at a time

/**
 * Generates the corpus (and truth file) described by `opts` (see normalizeOptions).
 * @return {Promise<{docs: number, tokens: number, bytes: number, seconds: number}>}
 */
export async function generate(opts) {
  const started = process.hrtime.bigint();
  const random = createRandom(opts.seed);
  const vocabulary = makeVocabulary(opts.vocab, random);
  const topics = Array.from({ length: opts.topics }, () => random.dirichlet(opts.vocab, opts.beta));
  const drawWord = aliasTables(topics);

  if (opts.truth) {
    const rounded = topics.map((phi) => Array.from(phi, (p) => (p < 1e-12 ? 0 : Number(p.toPrecision(7)))));
    const truth = {
      generator: 'bench/generate.mjs',
      seed: opts.seed,
      numTopics: opts.topics,
      vocabSize: opts.vocab,
      alpha: opts.alpha,
      beta: opts.beta,
      docLength: opts.docLength,
      vocabulary,
      topics: rounded,
    };
    const tmp = join(dirname(resolve(opts.truth)), `.${basename(opts.truth)}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(truth) + '\n');
    renameSync(tmp, opts.truth);
  }

  const toStdout = opts.out === '-';
  const target = toStdout ? null : resolve(opts.out);
  const tmp = target ? join(dirname(target), `.${basename(target)}.${process.pid}.tmp`) : null;
  const file = toStdout ? process.stdout : createWriteStream(tmp);
  const gzip = opts.gzip ? createGzip({ level: 6 }) : null;
  if (gzip) gzip.pipe(file);
  const sink = gzip ?? file;

  let failure = null;
  const onError = (err) => {
    failure ??= err;
  };
  file.on('error', onError);
  gzip?.on('error', onError);
  /** Waits until `emitter` emits `event`, or fails on the first error of the output streams. */
  const waitFor = (emitter, event) =>
    new Promise((res, rej) => {
      if (failure) return rej(failure);
      const streams = gzip ? [gzip, file] : [file];
      const cleanup = () => {
        emitter.off(event, done);
        for (const st of streams) st.off('error', fail);
      };
      const done = () => {
        cleanup();
        res();
      };
      const fail = (err) => {
        cleanup();
        rej(err);
      };
      emitter.on(event, done);
      for (const st of streams) st.on('error', fail);
    });
  const write = async (chunk) => {
    if (failure) throw failure;
    if (!sink.write(chunk)) await waitFor(sink, 'drain');
  };

  const K = opts.topics;
  const cumulative = new Float64Array(K);
  // the words as ASCII bytes, so documents are assembled straight into the output buffer
  const wordStart = new Int32Array(vocabulary.length + 1);
  for (let i = 0; i < vocabulary.length; i++) wordStart[i + 1] = wordStart[i] + vocabulary[i].length;
  const wordBytes = Buffer.from(vocabulary.join(''), 'latin1');
  const maxWord = vocabulary.reduce((m, w) => Math.max(m, w.length), 0);
  const TEXT_FIELD = Buffer.from(',"text":"', 'latin1');
  let buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  let docs = 0;
  let tokens = 0;
  let bytes = 0;
  let nextReport = 100e6;
  try {
    while (opts.docs !== undefined ? docs < opts.docs : bytes < opts.bytes) {
      const theta = random.dirichlet(K, opts.alpha);
      let acc = 0;
      for (let k = 0; k < K; k++) cumulative[k] = acc += theta[k];
      let n = random.poisson(opts.docLength);
      if (n < 1) n = 1; // an empty text would be skipped or rejected by readers: keep every document
      const need = 32 + TEXT_FIELD.length + n * (maxWord + 1);
      if (pos + need > buf.length) {
        // the stream keeps the buffer it was given: hand it over and start a fresh one
        if (pos > 0) await write(buf.subarray(0, pos));
        buf = Buffer.allocUnsafe(Math.max(CHUNK, need));
        pos = 0;
      }
      const start = pos;
      pos += buf.write(`{"id":${docs}`, pos, 'latin1');
      pos += TEXT_FIELD.copy(buf, pos);
      for (let i = 0; i < n; i++) {
        const u = random.uniform() * acc;
        let z = 0;
        while (z < K - 1 && cumulative[z] <= u) z++;
        const w = drawWord(z, random.uniform());
        if (i > 0) buf[pos++] = 0x20; // space
        for (let j = wordStart[w], end = wordStart[w + 1]; j < end; j++) buf[pos++] = wordBytes[j]; // a loop beats copy() for 5-9 bytes
      }
      buf[pos++] = 0x22; // closing quote: pseudo-words need no JSON escaping
      buf[pos++] = 0x7d; // }
      buf[pos++] = 0x0a; // newline
      bytes += pos - start;
      tokens += n;
      docs++;
      if (!opts.quiet && bytes >= nextReport) {
        process.stderr.write(`generate: ${docs} docs, ${(bytes / 1e6).toFixed(0)} MB\n`);
        nextReport += 100e6;
      }
    }
    if (pos > 0) await write(buf.subarray(0, pos));
    if (!toStdout) {
      const finished = waitFor(file, 'finish');
      sink.end();
      await finished;
      renameSync(tmp, target);
    } else if (gzip) {
      const flushed = waitFor(gzip, 'end');
      gzip.end();
      await flushed;
    }
  } catch (err) {
    if (tmp) rmSync(tmp, { force: true });
    throw err;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { docs, tokens, bytes, seconds };
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        bytes: { type: 'string' },
        docs: { type: 'string' },
        out: { type: 'string' },
        truth: { type: 'string' },
        topics: { type: 'string' },
        vocab: { type: 'string' },
        alpha: { type: 'string' },
        beta: { type: 'string' },
        'doc-length': { type: 'string' },
        seed: { type: 'string' },
        gzip: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      process.stdout.write(HELP + '\n');
      return;
    }
    const opts = normalizeOptions(values);
    if (opts.out === '-') {
      // a closed pipe (| head) is a normal way to stop
      process.stdout.on('error', (err) => {
        if (err.code === 'EPIPE') process.exit(0);
      });
    }
    const r = await generate(opts);
    if (opts.out !== '-') {
      const summary = { docs: r.docs, tokens: r.tokens, bytes: r.bytes, seconds: +r.seconds.toFixed(3), mb_per_s: +(r.bytes / 1e6 / r.seconds).toFixed(1), out: opts.out, truth: opts.truth ?? null };
      process.stdout.write(JSON.stringify(summary) + '\n');
    }
  } catch (err) {
    // a usage mistake (ours or parseArgs') exits 2 with the help; anything else (I/O) exits 1
    const usage = err.message.startsWith('Invalid option') || String(err.code).startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`generate: ${err.message}\n${usage ? HELP + '\n' : ''}`);
    process.exitCode = usage ? 2 : 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
