/**
 * The pipeline file's schema: one zod description that validates files, types
 * the parsed config and generates the published JSON Schema
 * (schema/pipeline.schema.json), so the three can never drift apart.
 *
 * Every object is strict: an unknown key is an error (with a did-you-mean,
 * see load.ts), because a misspelled `no_bellow` silently falling back to a
 * default is the worst kind of config bug.
 */
import { z } from 'zod/v4';

/** gensim.parsing.preprocessing filter names (the default ones first, in DEFAULT_FILTERS order), as the preprocess FILTERS registry knows them. */
export const FILTER_NAMES = [
  'lowercase',
  'strip_tags',
  'strip_punctuation',
  'strip_multiple_whitespaces',
  'strip_numeric',
  'remove_stopwords',
  'strip_short',
  'stem_text',
  'strip_non_alphanum',
  'split_alphanum',
  // gensim's aliases
  'lower_to_unicode',
  'stem',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/** The keys of `source` that name the input; exactly one must be present. */
export const SOURCE_KINDS = ['ndjson', 'csv', 'files', 'text'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Backends tfjs can run on; `auto` picks the fastest that loads. */
export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const probability = z.number().gt(0).lte(1);

const sourceSchema = z
  .strictObject({
    ndjson: z.string().min(1).optional().describe('NDJSON file (".gz" is gunzipped) or "-" for stdin'),
    csv: z.string().min(1).optional().describe('CSV/TSV file or "-" for stdin'),
    files: z.string().min(1).optional().describe('directory or glob of text files, one document per file'),
    text: z
      .string()
      .min(1)
      .optional()
      .describe(
        'with ndjson/csv: dotted path (or CSV column) of the document text, default "text"; alone: a plain-text file with one document per line',
      ),
    id: z.string().min(1).optional().describe('dotted path (or CSV column) of the document id; default: the record number'),
    on_error: z.enum(['fail', 'skip']).optional().describe('what to do with a bad record'),
    dead_letter: z.string().min(1).optional().describe('NDJSON file that receives skipped records and their reasons'),
    max_line_bytes: positiveInt.optional().describe('longest accepted line, default 16 MiB'),
    delimiter: z.string().min(1).optional().describe('CSV delimiter, default ","'),
    header: z.boolean().optional().describe('CSV: whether the first row names the columns, default true'),
  })
  .describe('Where documents come from: exactly one of ndjson | csv | text | files');

const preprocessSchema = z
  .union([z.enum(['default', 'simple', 'none']), z.array(z.enum(FILTER_NAMES)).min(1)])
  .describe('default | simple | none (split on whitespace) | a list of gensim filter names');

const dictionarySchema = z
  .strictObject({
    mode: z.enum(['two-pass', 'online']).optional().describe('two-pass: build the vocabulary first; online: hashed vocabulary grown while training'),
    no_below: nonNegativeInt.optional().describe('drop tokens in fewer than this many documents'),
    no_above: probability.optional().describe('drop tokens in more than this fraction of documents'),
    keep_n: positiveInt.optional().describe('keep at most this many most frequent tokens'),
    keep_tokens: z.array(z.string()).optional().describe('tokens kept whatever their frequency'),
    prune_at: positiveInt.optional().describe('gensim prune_at while building'),
    capacity: positiveInt.optional().describe('online mode: fixed vocabulary size (hash buckets)'),
    cache: z
      .boolean()
      .optional()
      .describe(
        'two-pass: pass 1 writes the token ids to <output>/checkpoints/tokens.cache (its vocabulary to tokens.cache.vocab, holding at most prune_at distinct tokens in memory), and the training epochs and the evaluation read them instead of re-reading and re-preprocessing the input (same results); default true',
      ),
  })
  .describe('Dictionary building and filter_extremes');

const batchSchema = z
  .strictObject({
    size: positiveInt.optional().describe('documents per batch, default 64'),
    shuffle: nonNegativeInt.optional().describe('shuffle buffer size in documents; 0 turns shuffling off'),
    format: z.enum(['sparse', 'dense']).optional().describe('tensor layout of a batch'),
    drop_remainder: z.boolean().optional().describe('drop the last, smaller batch of an epoch'),
  })
  .describe('Batching of bag-of-words documents into tensors');

const prodldaSchema = z.strictObject({
  topics: positiveInt.optional().describe('number of topics K, default 20'),
  hidden: z.array(positiveInt).min(1).optional().describe('encoder hidden layer sizes, default [100, 100]'),
  dropout: z.number().gte(0).lt(1).optional().describe('dropout rate, default 0.2'),
  alpha: z.number().positive().optional().describe('symmetric Dirichlet prior, default 1'),
  batch_norm: z.boolean().optional().describe('batch norm on the decoder, default true'),
});

const modelSchema = z
  .strictObject({
    prodlda: prodldaSchema.optional().describe('ProdLDA neural topic model'),
  })
  .describe('The model to train: exactly one key');

const adamSchema = z.strictObject({
  learning_rate: z.number().positive().optional(),
  beta1: z.number().gte(0).lt(1).optional(),
  beta2: z.number().gte(0).lt(1).optional(),
  epsilon: z.number().positive().optional(),
});
const sgdSchema = z.strictObject({
  learning_rate: z.number().positive().optional(),
  momentum: z.number().gte(0).lt(1).optional(),
});

const optimizerSchema = z
  .strictObject({ adam: adamSchema.optional(), sgd: sgdSchema.optional() })
  .describe('exactly one of adam | sgd');

const trainSchema = z
  .strictObject({
    epochs: positiveInt.optional().describe('passes over the corpus, default 100'),
    optimizer: optimizerSchema.optional(),
    backend: z.enum(BACKENDS).optional().describe('tfjs backend, default auto'),
    seed: z.number().int().optional().describe('seed for initialisation, dropout and shuffling'),
    checkpoint_every: nonNegativeInt.optional().describe('steps between checkpoints; 0 = only at the end and on interrupt'),
    log_every: positiveInt.optional().describe('steps between log lines when not on a TTY'),
  })
  .describe('Training loop settings');

const evaluateSchema = z
  .strictObject({
    coherence: z.enum(['c_npmi', 'u_mass', 'c_uci', 'c_v']).optional().describe('coherence measure, default c_npmi'),
    topn: positiveInt.optional().describe('top words per topic for coherence, default 10'),
  })
  .describe('Metrics computed after training');

const outputObjectSchema = z.strictObject({
  dir: z.string().min(1).describe('output directory'),
  doc_topics: z.boolean().optional().describe('also write doc-topics.ndjson'),
  top_words: positiveInt.optional().describe('words per topic in topics.json, default 25'),
  report: z.boolean().optional().describe('write report.html, default true'),
});

export const pipelineSchema = z
  .strictObject({
    $schema: z.string().optional().describe('path or URL of this JSON Schema, for editors'),
    name: z.string().min(1).optional().describe('pipeline name, shown in logs and the report'),
    source: sourceSchema,
    preprocess: preprocessSchema.optional(),
    dictionary: dictionarySchema.optional(),
    batch: batchSchema.optional(),
    model: modelSchema.optional(),
    train: trainSchema.optional(),
    evaluate: evaluateSchema.optional(),
    output: z.union([z.string().min(1), outputObjectSchema]).optional().describe('output directory, or {dir, doc_topics, top_words, report}'),
  })
  .describe('A corpusflow pipeline: source -> preprocess -> dictionary -> batch -> model -> train -> output');

/** A pipeline file as written (snake_case keys, every default still unset). */
export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type PreprocessConfig = z.infer<typeof preprocessSchema>;

/** Rules a JSON-Schema-shaped object can't say cleanly; checked after zod. Returns [keyPath, reason, hint?]. */
export function crossFieldIssues(cfg: PipelineConfig): Array<{ path: (string | number)[]; reason: string; hint?: string }> {
  const issues: Array<{ path: (string | number)[]; reason: string; hint?: string }> = [];
  const kinds = SOURCE_KINDS.filter((k) => k !== 'text' && cfg.source[k] !== undefined);
  if (kinds.length > 1) {
    issues.push({ path: ['source', kinds[1]!], reason: `expected exactly one of ndjson | csv | text | files, found ${kinds.join(' and ')}` });
  } else if (kinds.length === 0 && cfg.source.text === undefined) {
    issues.push({ path: ['source'], reason: 'expected exactly one of ndjson | csv | text | files, found none', hint: 'e.g. source: { ndjson: data/corpus.ndjson }' });
  }
  const kind = kinds[0] ?? (cfg.source.text !== undefined ? 'text' : undefined);
  if (kind !== undefined && kind !== 'csv') {
    for (const k of ['delimiter', 'header'] as const) {
      if (cfg.source[k] !== undefined) issues.push({ path: ['source', k], reason: `"${k}" applies only to csv sources, found a ${kind} source` });
    }
  }
  if (kind !== undefined && (kind === 'files' || kind === 'text')) {
    if (cfg.source.id !== undefined) issues.push({ path: ['source', 'id'], reason: `"id" applies only to ndjson and csv sources, found a ${kind} source` });
  }
  if (cfg.model) {
    const models = Object.keys(cfg.model).filter((k) => (cfg.model as Record<string, unknown>)[k] !== undefined);
    if (models.length !== 1) issues.push({ path: ['model'], reason: `expected exactly one model (prodlda), found ${models.length}` });
  }
  if (cfg.train?.optimizer) {
    const opts = Object.keys(cfg.train.optimizer).filter((k) => (cfg.train!.optimizer as Record<string, unknown>)[k] !== undefined);
    if (opts.length !== 1) issues.push({ path: ['train', 'optimizer'], reason: `expected exactly one optimizer (adam | sgd), found ${opts.length === 0 ? 'none' : opts.join(' and ')}` });
  }
  const d = cfg.dictionary;
  if (d?.mode === 'online') {
    for (const k of ['no_below', 'no_above', 'keep_n', 'keep_tokens', 'prune_at', 'cache'] as const) {
      if (d[k] !== undefined) issues.push({ path: ['dictionary', k], reason: `"${k}" applies only to mode two-pass, found mode online`, hint: 'online mode uses "capacity"' });
    }
  } else if (d?.capacity !== undefined) {
    issues.push({ path: ['dictionary', 'capacity'], reason: '"capacity" applies only to mode online, found mode two-pass' });
  }
  return issues;
}

/**
 * The JSON Schema published at schema/pipeline.schema.json, generated from
 * `pipelineSchema` plus the "exactly one of" rules that zod checks in code.
 */
export function pipelineJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(pipelineSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  const { $schema, ...rest } = generated;
  const schema: Record<string, any> = { $schema, $id: 'https://github.com/corpusflow/corpusflow/schema/pipeline.schema.json', title: 'corpusflow pipeline', ...rest };
  const source = schema.properties.source;
  const others = ['ndjson', 'csv', 'files'];
  source.oneOf = [
    ...others.map((k) => ({ required: [k] })),
    { required: ['text'], not: { anyOf: others.map((k) => ({ required: [k] })) } },
  ];
  schema.properties.model.minProperties = 1;
  schema.properties.model.maxProperties = 1;
  const train = schema.properties.train;
  train.properties.optimizer.minProperties = 1;
  train.properties.optimizer.maxProperties = 1;
  return schema;
}
