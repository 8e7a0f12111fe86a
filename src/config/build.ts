/**
 * A resolved pipeline -> the library pieces that run it: source ->
 * preprocess -> dictionary -> (shuffle) -> batch -> model -> train. Each
 * piece is a plain library call, so what a pipeline file does can always be
 * written by hand in TypeScript.
 */
import { filter, map, type Observable } from 'rxjs';
import { batchBow } from '../batch/bow.js';
import { shuffle } from '../batch/shuffle.js';
import type { BowBatch, BowDocument } from '../batch/types.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { toBow } from '../dictionary/to-bow.js';
import { updateDictionary } from '../dictionary/update-dictionary.js';
import { CorpusflowError } from '../errors.js';
import { ProdLDA } from '../models/prodlda.js';
import { mapAsync } from '../sources/map-async.js';
import type { TokenCacheWriter } from '../train/token-cache.js';
import type { Optimizer, OptimizerSpec } from '../train/optimizers.js';
import { onlineBatches, type OnlineVocabulary } from '../train/online.js';
import type { TokenizedDocument } from '../sources/types.js';
import type { ResolvedPipeline } from './resolve.js';
import { createPreprocess, createSource, type CliSource } from './sources.js';

/** The stages of a pipeline, ready to subscribe. */
export interface BuiltPipeline {
  pipeline: ResolvedPipeline;
  /** The document source; its `stats` report progress (bytesRead / bytesTotal). */
  source: CliSource;
  /** source -> preprocess; cold: each subscription reads the input again. */
  tokens: Observable<TokenizedDocument>;
}

/** Create the source and preprocessing a pipeline describes. */
export async function buildPipeline(pipeline: ResolvedPipeline): Promise<BuiltPipeline> {
  const source = await createSource(pipeline.source);
  return { pipeline, source, tokens: source.pipe(createPreprocess(pipeline.preprocess)) };
}

export interface BuildDictionaryOptions {
  /**
   * Also write every document's tokens to this cache (as ids), so that later passes read
   * `readTokenCache` instead of the input. The caller commits or aborts it.
   */
  tokenCache?: TokenCacheWriter;
}

/**
 * Pass 1 of two-pass training: stream every document into a new Dictionary,
 * then apply filter_extremes with the pipeline's bounds.
 *
 * @param built the pipeline.
 * @param run subscribes and resolves when the pass is over (lets the caller add progress and cancellation).
 */
export async function buildDictionary(
  built: BuiltPipeline,
  run: (pass: Observable<unknown>) => Promise<void>,
  options: BuildDictionaryOptions = {},
): Promise<Dictionary> {
  const d = built.pipeline.dictionary;
  if (d.mode !== 'two-pass') {
    // Online mode grows its vocabulary while training (src/train/online.ts): there is no pass 1.
    throw new CorpusflowError('INVALID_OPTION', 'dictionary mode "online" has no dictionary pass', {
      position: { file: built.pipeline.file, field: 'dictionary.mode' },
      hint: 'train online pipelines with `corpusflow run`',
    });
  }
  const dictionary = new Dictionary();
  const pass = built.tokens.pipe(updateDictionary(dictionary, { pruneAt: d.pruneAt }));
  const cache = options.tokenCache;
  // One write at a time, in document order; the source's flow control pauses reading while the disk catches up.
  await run(cache ? pass.pipe(mapAsync((doc) => cache.write(doc.id, doc.tokens), { flow: built.source.flow })) : pass);
  dictionary.filterExtremes({ noBelow: d.noBelow, noAbove: d.noAbove, keepN: d.keepN, ...(d.keepTokens ? { keepTokens: d.keepTokens } : {}) });
  if (dictionary.size === 0) {
    throw new CorpusflowError('INVALID_OPTION', `the dictionary is empty after filter_extremes (no_below=${d.noBelow}, no_above=${d.noAbove}) over ${dictionary.numDocs} documents`, {
      position: { file: built.pipeline.file, field: 'dictionary' },
      hint: 'lower dictionary.no_below or raise dictionary.no_above',
    });
  }
  return dictionary;
}

export interface BatchOptions {
  /** Shuffle as the pipeline says (training) or keep input order (inference, metrics). */
  shuffled: boolean;
  /** Epoch number of the first subscription, so a resumed run shuffles as the original did. */
  startEpoch?: number;
  /** Drop documents with no known token (they carry no signal for training). Default true. */
  dropEmpty?: boolean;
  /** Override the batch size (e.g. larger batches for evaluation). */
  size?: number;
  /**
   * The bags of words to batch, e.g. `readTokenCache(...)`. Default: `built.tokens` through
   * `toBow(dictionary)`, which reads and preprocesses the input again. Must be cold (one read per
   * subscription) and emit the same documents in the same order for the batches to be the same.
   */
  bows?: Observable<BowDocument>;
  /**
   * Token id range of the batches. Default `dictionary.size`; an online dictionary's ids are model
   * rows with gaps, so pass the model's capacity.
   */
  vocabSize?: number;
}

/**
 * Pass 2: documents -> bags of words -> (shuffled) tensor batches. Cold: each
 * subscription is one epoch; the consumer disposes each batch. The bags of
 * words come from `options.bows` (a token cache) or from tokenising the input
 * again; what follows (drop empty, shuffle, batch) is the same either way.
 */
export function bowBatches(built: BuiltPipeline, dictionary: Dictionary, options: BatchOptions): Observable<BowBatch> {
  const p = built.pipeline;
  // Built once, not per subscription: shuffle counts its subscriptions to give each epoch a new order.
  let docs: Observable<{ id: string | number; bow: Array<[number, number]> }> = options.bows ?? built.tokens.pipe(toBow(dictionary));
  if (options.dropEmpty ?? true) docs = docs.pipe(filter((d) => d.bow.length > 0));
  if (options.shuffled && p.batch.shuffle > 1) {
    // The buffer holds `batch.shuffle` documents for most of an epoch, long enough to reach V8's old
    // space: as [id, count] pair arrays that was ~70 heap bytes a pair (55 MB for 10,000 documents of
    // the scale corpus), and V8 lets the heap grow to a few times its live size before a full GC, so
    // peak RSS rose by ~250 MB as the buffer filled. Packed, a pair is 8 bytes off the heap.
    docs = docs.pipe(
      map(packBow),
      shuffle({ bufferSize: p.batch.shuffle, seed: p.train.seed, startEpoch: options.startEpoch ?? 0 }),
      map(unpackBow),
    );
  }
  return docs.pipe(
    batchBow({ batchSize: options.size ?? p.batch.size, vocabSize: options.vocabSize ?? dictionary.size, format: p.batch.format, dropRemainder: options.shuffled && p.batch.dropRemainder }),
  );
}

/** A bag of words as one Int32Array `[id0, count0, id1, count1, ...]` (toBow's counts are integers). */
interface PackedBowDocument {
  id: string | number;
  packed: Int32Array;
}

function packBow(doc: { id: string | number; bow: Array<[number, number]> }): PackedBowDocument {
  const packed = new Int32Array(doc.bow.length * 2);
  for (let i = 0; i < doc.bow.length; i++) {
    packed[2 * i] = doc.bow[i]![0];
    packed[2 * i + 1] = doc.bow[i]![1];
  }
  return { id: doc.id, packed };
}

function unpackBow(doc: PackedBowDocument): { id: string | number; bow: Array<[number, number]> } {
  const { packed } = doc;
  const bow = new Array<[number, number]>(packed.length / 2);
  for (let i = 0; i < bow.length; i++) bow[i] = [packed[2 * i]!, packed[2 * i + 1]!];
  return { id: doc.id, bow };
}

/**
 * A new ProdLDA sized for the dictionary, with the pipeline's settings. With `capacity` (online mode)
 * every row starts free: the online vocabulary makes rows live as tokens arrive.
 */
export function createModel(pipeline: ResolvedPipeline, vocabSize: number, capacity?: number): ProdLDA {
  const m = pipeline.model;
  if (capacity !== undefined) {
    const model = new ProdLDA({ vocabSize: capacity, capacity, topics: m.topics, hidden: m.hidden, dropout: m.dropout, alpha: m.alpha, batchNorm: m.batchNorm, seed: pipeline.train.seed });
    model.setLive(Array.from({ length: capacity }, (_, i) => i), false);
    return model;
  }
  return new ProdLDA({ vocabSize, topics: m.topics, hidden: m.hidden, dropout: m.dropout, alpha: m.alpha, batchNorm: m.batchNorm, seed: pipeline.train.seed });
}

/** The pipeline's optimizer in the trainer's terms. */
export function optimizerSpec(pipeline: ResolvedPipeline): OptimizerSpec {
  const o = pipeline.train.optimizer;
  return o.kind === 'adam'
    ? { adam: { learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon } }
    : o.momentum > 0
      ? { momentum: { learningRate: o.learningRate, momentum: o.momentum } }
      : { sgd: { learningRate: o.learningRate } };
}

/**
 * Online mode: tokenised documents -> (shuffled) batches over the model's rows, growing `vocabulary`
 * as they go (new tokens take free rows, reset in `model` and `optimizer`). Subscribe once: it is the
 * single pass.
 */
export function onlineBowBatches(built: BuiltPipeline, vocabulary: OnlineVocabulary, model: ProdLDA, optimizer: Optimizer): Observable<BowBatch> {
  const p = built.pipeline;
  let docs = built.tokens;
  // Shuffling tokenised documents (not bags of words) is safe: rows are assigned only as batches form.
  if (p.batch.shuffle > 1) docs = docs.pipe(shuffle({ bufferSize: p.batch.shuffle, seed: p.train.seed }));
  return docs.pipe(onlineBatches(vocabulary, model, { batchSize: p.batch.size, format: p.batch.format, optimizer }));
}
