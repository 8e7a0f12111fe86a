/**
 * A validated config with every default filled in and keys in the library's
 * camelCase: the one place defaults live, shared by `run`, `inspect` and the
 * report's metadata, so what `inspect` prints is what `run` does.
 */
import path from 'node:path';
import type { OnError } from '../sources/types.js';
import type { FilterName, PipelineConfig, SourceKind } from './schema.js';

export interface ResolvedSource {
  kind: SourceKind;
  /** Absolute path, glob or '-' for stdin. */
  path: string;
  /** Dotted path of the text field (ndjson/csv). */
  textField: string;
  /** False when `textField` is the default rather than the user's choice (a headerless CSV then reads column 0). */
  textFieldGiven?: boolean;
  /** Dotted path of the id field; undefined = running record number. */
  idField?: string;
  onError: OnError;
  deadLetter?: string;
  maxLineBytes?: number;
  delimiter?: string;
  header?: boolean;
}

export interface ResolvedPipeline {
  name: string;
  /** The pipeline file, for messages. */
  file: string;
  source: ResolvedSource;
  preprocess: 'default' | 'simple' | 'none' | FilterName[];
  dictionary:
    | { mode: 'two-pass'; noBelow: number; noAbove: number; keepN: number; keepTokens?: string[]; pruneAt: number; cache: boolean }
    | { mode: 'online'; capacity: number };
  batch: { size: number; shuffle: number; format: 'sparse' | 'dense'; dropRemainder: boolean };
  model: { kind: 'prodlda'; topics: number; hidden: number[]; dropout: number; alpha: number; batchNorm: boolean };
  train: {
    epochs: number;
    optimizer: { kind: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number } | { kind: 'sgd'; learningRate: number; momentum: number };
    backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
    seed: number;
    checkpointEvery: number;
    logEvery: number;
  };
  evaluate: { coherence: 'c_npmi' | 'u_mass' | 'c_uci' | 'c_v'; topn: number };
  output: { dir: string; docTopics: boolean; topWords: number; report: boolean };
}

/** gensim's filter_extremes defaults; used for every bound the file leaves out. */
export const FILTER_EXTREMES_DEFAULTS = { noBelow: 5, noAbove: 0.5, keepN: 100000 } as const;

/**
 * Fill in every default: the settings a run actually uses.
 *
 * ## Example
 * ```ts
 * import { loadPipeline, resolvePipeline, describePipeline } from 'corpusflow';
 * const loaded = await loadPipeline('pipelines/quickstart.yaml');
 * console.log(describePipeline(resolvePipeline(loaded.config, loaded.file)));
 * ```
 *
 * @param cfg a validated config (paths already absolute, as `loadPipeline` returns them).
 * @param file the pipeline file, for messages and the default name.
 * @param cwd base of the default output directory `out/<name>`.
 * @return the resolved pipeline.
 */
export function resolvePipeline(cfg: PipelineConfig, file: string, cwd = process.cwd()): ResolvedPipeline {
  const s = cfg.source;
  const kind: SourceKind = s.ndjson !== undefined ? 'ndjson' : s.csv !== undefined ? 'csv' : s.files !== undefined ? 'files' : 'text';
  const sourcePath = (kind === 'text' ? s.text : s[kind])!;
  const name = cfg.name ?? path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  const d = cfg.dictionary ?? {};
  const adam = cfg.train?.optimizer?.adam;
  const sgd = cfg.train?.optimizer?.sgd;
  const m = cfg.model?.prodlda ?? {};
  const out = cfg.output;
  const outputDir = typeof out === 'string' ? out : (out?.dir ?? path.resolve(cwd, 'out', name));
  return {
    name,
    file,
    source: {
      kind,
      path: sourcePath,
      textField: kind === 'ndjson' || kind === 'csv' ? (s.text ?? 'text') : 'text',
      textFieldGiven: (kind === 'ndjson' || kind === 'csv') && s.text !== undefined,
      ...(s.id !== undefined ? { idField: s.id } : {}),
      onError: s.on_error ?? 'fail',
      ...(s.dead_letter !== undefined ? { deadLetter: s.dead_letter } : {}),
      ...(s.max_line_bytes !== undefined ? { maxLineBytes: s.max_line_bytes } : {}),
      ...(s.delimiter !== undefined ? { delimiter: s.delimiter } : {}),
      ...(s.header !== undefined ? { header: s.header } : {}),
    },
    preprocess: cfg.preprocess ?? 'default',
    dictionary:
      d.mode === 'online'
        ? { mode: 'online', capacity: d.capacity ?? 2 ** 16 }
        : {
            mode: 'two-pass',
            noBelow: d.no_below ?? FILTER_EXTREMES_DEFAULTS.noBelow,
            noAbove: d.no_above ?? FILTER_EXTREMES_DEFAULTS.noAbove,
            keepN: d.keep_n ?? FILTER_EXTREMES_DEFAULTS.keepN,
            ...(d.keep_tokens ? { keepTokens: d.keep_tokens } : {}),
            pruneAt: d.prune_at ?? 2_000_000,
            cache: d.cache ?? true,
          },
    batch: { size: cfg.batch?.size ?? 64, shuffle: cfg.batch?.shuffle ?? 10000, format: cfg.batch?.format ?? 'sparse', dropRemainder: cfg.batch?.drop_remainder ?? false },
    model: {
      kind: 'prodlda',
      topics: m.topics ?? 20,
      hidden: m.hidden ?? [100, 100],
      dropout: m.dropout ?? 0.2,
      alpha: m.alpha ?? 1,
      batchNorm: m.batch_norm ?? true,
    },
    train: {
      epochs: cfg.train?.epochs ?? 100,
      optimizer: sgd
        ? { kind: 'sgd', learningRate: sgd.learning_rate ?? 0.01, momentum: sgd.momentum ?? 0 }
        : { kind: 'adam', learningRate: adam?.learning_rate ?? 0.002, beta1: adam?.beta1 ?? 0.99, beta2: adam?.beta2 ?? 0.999, epsilon: adam?.epsilon ?? 1e-8 },
      backend: cfg.train?.backend ?? 'auto',
      seed: cfg.train?.seed ?? 1,
      checkpointEvery: cfg.train?.checkpoint_every ?? 500,
      logEvery: cfg.train?.log_every ?? 50,
    },
    evaluate: { coherence: cfg.evaluate?.coherence ?? 'c_npmi', topn: cfg.evaluate?.topn ?? 10 },
    output: {
      dir: outputDir,
      docTopics: typeof out === 'object' ? (out.doc_topics ?? false) : false,
      topWords: typeof out === 'object' ? (out.top_words ?? 25) : 25,
      report: typeof out === 'object' ? (out.report ?? true) : true,
    },
  };
}

/**
 * The pipeline as one line, like tf.data's `summary()`:
 * `ndjson(data/x.ndjson.gz) -> preprocess(none) -> dictionary(two-pass, no_below=5, ...) -> shuffle(10000) -> batch(64, sparse) -> prodlda(K=20) -> train(adam, 100 epochs)`.
 * Paths are shown relative to `cwd` when they lie under it.
 */
export function describePipeline(p: ResolvedPipeline, cwd = process.cwd()): string {
  const show = (f: string) => {
    if (f === '-') return 'stdin';
    const rel = path.relative(cwd, f);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : f;
  };
  const stages: string[] = [];
  const src = p.source;
  const srcArgs = [show(src.path)];
  if (src.kind === 'ndjson' || src.kind === 'csv') {
    if (src.textField !== 'text') srcArgs.push(`text=${src.textField}`);
    if (src.idField && src.idField !== 'id') srcArgs.push(`id=${src.idField}`);
  }
  if (src.onError === 'skip') srcArgs.push('on_error=skip');
  stages.push(`${src.kind}(${srcArgs.join(', ')})`);
  stages.push(`preprocess(${Array.isArray(p.preprocess) ? p.preprocess.join(', ') : p.preprocess})`);
  const d = p.dictionary;
  stages.push(d.mode === 'online' ? `dictionary(online, capacity=${d.capacity})` : `dictionary(two-pass, no_below=${d.noBelow}, no_above=${d.noAbove}, keep_n=${d.keepN})`);
  if (p.batch.shuffle > 0) stages.push(`shuffle(${p.batch.shuffle})`);
  stages.push(`batch(${p.batch.size}, ${p.batch.format}${p.batch.dropRemainder ? ', drop_remainder' : ''})`);
  stages.push(`${p.model.kind}(K=${p.model.topics}, hidden=[${p.model.hidden.join(', ')}], dropout=${p.model.dropout})`);
  const o = p.train.optimizer;
  stages.push(`train(${o.kind}(lr=${o.learningRate}), ${p.train.epochs} epoch${p.train.epochs === 1 ? '' : 's'}, backend=${p.train.backend}, seed=${p.train.seed})`);
  stages.push(`output(${show(p.output.dir)})`);
  return stages.join(' -> ');
}
