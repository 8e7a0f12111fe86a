/**
 * Online, single-pass vocabulary mode: the vocabulary grows while the model
 * trains, inside a fixed number of model rows (the capacity).
 *
 * Design: rows are stable, ids are not. gensim's `Dictionary` hands out ids
 * densely (`len(token2id)`) and compacts them after every filter, which would
 * move a token to another model row under the trainer's feet. So the online
 * vocabulary keeps its own token → row map: a new token takes a free row, a
 * pruned token gives its row back, and nothing is ever renumbered. The model
 * rows and the optimizer state of a row are reset when a new token takes it.
 * `toDictionary()` exports the live vocabulary as a gensim `Dictionary` whose
 * ids ARE the rows (so it may have gaps; gensim's text format allows that).
 */
import * as tf from '@tensorflow/tfjs';
import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { BowBatch, BowDocument } from '../batch/types.js';
import { toDenseBowBatch, toSparseBowBatch } from '../batch/tensors.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { invalidOption } from '../errors.js';
import { ProdLDA, type ProdLDAOptions } from '../models/prodlda.js';
import type { TokenizedDocument } from '../sources/types.js';
import { shuffle } from '../batch/shuffle.js';
import { createOptimizer, Optimizer } from './optimizers.js';
import { train, type TrainEvent, type TrainOptions } from './train.js';

/** Options of `new OnlineVocabulary(...)`. */
export interface OnlineVocabularyOptions {
  /** Model rows available to tokens; the most tokens live at once. */
  capacity: number;
  /** Prune every this many documents. Default 10,000. */
  pruneEvery?: number;
  /**
   * Drop tokens seen in fewer than `noBelow` documents per `pruneEvery` documents (a rate, measured
   * since the token arrived, and only once it has been around for `pruneEvery` documents). Default 5.
   */
  noBelow?: number;
  /**
   * Drop tokens seen in more than this fraction of the documents since they arrived (gensim's
   * `no_above`), and refuse them from then on. Default 1 (off).
   */
  noAbove?: number;
  /**
   * When a prune leaves fewer than this fraction of the rows free, the rarest tokens (by rate) go
   * too, so that new tokens still find rows. Default 0.05.
   */
  headroom?: number;
}

/** Counters of an online vocabulary. */
export interface OnlineVocabularyStats {
  /** Documents added. */
  docs: number;
  /** Tokens currently holding a row. */
  live: number;
  /** Rows ever handed to a token (the first time or again). */
  admitted: number;
  /** Tokens pruned so far. */
  pruned: number;
  /** Token occurrences dropped because every row was taken (or the token was refused by `noAbove`). */
  rejected: number;
  /** Prunes run. */
  prunes: number;
}

/**
 * A gensim-like dictionary for a stream seen once, over a fixed number of rows.
 *
 * Like a car park with numbered bays: a new token parks in a free bay, the
 * bay number (row) stays its id while it is there, and the warden
 * periodically tows away cars that hardly ever move (rare tokens) so that
 * newcomers find space.
 *
 * ## Example
 * ```ts
 * import { OnlineVocabulary } from 'corpusflow';
 * const vocab = new OnlineVocabulary({ capacity: 50_000, pruneEvery: 10_000 });
 * const { bow, newRows } = vocab.addDocument(['human', 'computer', 'human']);
 * const freed = vocab.shouldPrune() ? vocab.prune() : [];
 * ```
 */
export class OnlineVocabulary {
  readonly capacity: number;
  readonly pruneEvery: number;
  readonly noBelow: number;
  readonly noAbove: number;
  readonly headroom: number;
  /** token → row; rows never move while the token lives. */
  readonly token2row = new Map<string, number>();
  /** row → token (undefined for a free row). */
  readonly row2token: Array<string | undefined>;
  /** Document frequency per row, since its token arrived. */
  readonly dfs: Float64Array;
  /** Collection frequency per row, since its token arrived. */
  readonly cfs: Float64Array;
  /** `docs` when the row's token arrived. */
  private readonly born: Float64Array;
  /** Free rows, popped from the end: lowest rows first on a fresh vocabulary. */
  private readonly free: number[] = [];
  /** Tokens refused for being too common (`noAbove`): bounded by 1/noAbove per document position. */
  private readonly refused = new Set<string>();
  private docsAtLastPrune = 0;
  private numPos = 0;
  private numNnz = 0;
  readonly stats: OnlineVocabularyStats = { docs: 0, live: 0, admitted: 0, pruned: 0, rejected: 0, prunes: 0 };

  /** @param options see `OnlineVocabularyOptions`. */
  constructor(options: OnlineVocabularyOptions) {
    const int = (name: string, v: unknown, min: number): number => {
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= min)) throw invalidOption(name, `an integer ≥ ${min}`, v);
      return v;
    };
    this.capacity = int('capacity', options.capacity, 1);
    this.pruneEvery = int('pruneEvery', options.pruneEvery ?? 10_000, 1);
    const noBelow = options.noBelow ?? 5;
    if (!(typeof noBelow === 'number' && noBelow >= 0)) throw invalidOption('noBelow', 'a number ≥ 0', noBelow);
    this.noBelow = noBelow;
    const noAbove = options.noAbove ?? 1;
    if (!(noAbove > 0 && noAbove <= 1)) throw invalidOption('noAbove', 'a number in (0, 1]', noAbove);
    this.noAbove = noAbove;
    const headroom = options.headroom ?? 0.05;
    if (!(headroom >= 0 && headroom < 1)) throw invalidOption('headroom', 'a number in [0, 1)', headroom);
    this.headroom = headroom;
    this.row2token = new Array(this.capacity).fill(undefined);
    this.dfs = new Float64Array(this.capacity);
    this.cfs = new Float64Array(this.capacity);
    this.born = new Float64Array(this.capacity);
    for (let r = this.capacity - 1; r >= 0; r--) this.free.push(r);
  }

  /** Tokens holding a row. */
  get size(): number {
    return this.token2row.size;
  }

  /**
   * Count a document and give its new tokens free rows (gensim's `doc2bow(allowUpdate=true)`, over rows).
   * @param tokens the document's tokens.
   * @return its bag of words over rows (sorted by row) and the rows its new tokens took: reset those in the model.
   */
  addDocument(tokens: readonly string[]): { bow: Array<[number, number]>; newRows: number[] } {
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const bow: Array<[number, number]> = [];
    const newRows: number[] = [];
    this.stats.docs++;
    for (const [token, n] of counts) {
      let row = this.token2row.get(token);
      if (row === undefined) {
        if (this.free.length === 0 || this.refused.has(token)) {
          this.stats.rejected += n;
          continue;
        }
        row = this.free.pop()!;
        this.token2row.set(token, row);
        this.row2token[row] = token;
        this.dfs[row] = 0;
        this.cfs[row] = 0;
        // Born before this document: it counts in the token's age.
        this.born[row] = this.stats.docs - 1;
        this.stats.admitted++;
        newRows.push(row);
      }
      this.dfs[row]! += 1;
      this.cfs[row]! += n;
      bow.push([row, n]);
    }
    this.numPos += tokens.length;
    this.numNnz += bow.length;
    this.stats.live = this.token2row.size;
    bow.sort((a, b) => a[0] - b[0]);
    return { bow, newRows };
  }

  /** Whether `pruneEvery` documents have arrived since the last prune. */
  shouldPrune(): boolean {
    return this.stats.docs - this.docsAtLastPrune >= this.pruneEvery;
  }

  /**
   * Drop rare tokens (and too common ones), then the rarest until `headroom` of the rows are free.
   * Tokens younger than `pruneEvery` documents are spared: their rate is not known yet.
   * @return the rows freed: mark them dead in the model.
   */
  prune(): number[] {
    this.docsAtLastPrune = this.stats.docs;
    this.stats.prunes++;
    const docs = this.stats.docs;
    const freed: number[] = [];
    const grown: Array<{ row: number; rate: number }> = [];
    for (const [token, row] of this.token2row) {
      const age = docs - this.born[row]!;
      if (age < this.pruneEvery) continue;
      const df = this.dfs[row]!;
      if (df > this.noAbove * age) {
        this.refused.add(token);
        freed.push(row);
      } else if (df * this.pruneEvery < this.noBelow * age) {
        freed.push(row);
      } else {
        grown.push({ row, rate: df / age });
      }
    }
    const wanted = Math.ceil(this.headroom * this.capacity);
    const short = wanted - (this.free.length + freed.length);
    if (short > 0) {
      // Rarest first; ties by row so the choice is reproducible.
      grown.sort((a, b) => a.rate - b.rate || a.row - b.row);
      for (const g of grown.slice(0, short)) freed.push(g.row);
    }
    for (const row of freed) this.release(row);
    // Lowest freed rows are handed out first.
    this.free.sort((a, b) => b - a);
    this.stats.pruned += freed.length;
    this.stats.live = this.token2row.size;
    return freed.sort((a, b) => a - b);
  }

  private release(row: number): void {
    const token = this.row2token[row]!;
    this.token2row.delete(token);
    this.row2token[row] = undefined;
    this.dfs[row] = 0;
    this.cfs[row] = 0;
    this.free.push(row);
  }

  /**
   * The live vocabulary as a gensim `Dictionary` whose ids are the rows (gaps where rows are free),
   * with document frequencies counted since each token arrived.
   */
  toDictionary(): Dictionary {
    const rows = [...this.token2row].sort((a, b) => a[1] - b[1]);
    return Dictionary.fromJSON({
      format: 'corpusflow.dictionary',
      version: 1,
      numDocs: this.stats.docs,
      numPos: this.numPos,
      numNnz: this.numNnz,
      token2id: rows,
      dfs: rows.map(([, r]) => [r, this.dfs[r]!]),
      cfs: rows.map(([, r]) => [r, this.cfs[r]!]),
    });
  }
}

/** Options of `onlineBatches`. */
export interface OnlineBatchesOptions {
  /** Documents per batch. Default 64. */
  batchSize?: number;
  /** Tensor layout. Default 'sparse'. */
  format?: 'sparse' | 'dense';
  /** The optimizer the trainer uses: its state for recycled rows is zeroed. */
  optimizer?: Optimizer;
  /** Called after each prune with the rows it freed (for logs and tests). */
  onPrune?: (freed: number[], vocabulary: OnlineVocabulary) => void;
}

/**
 * Turn a stream of tokenised documents into training batches while growing the vocabulary.
 *
 * Like `toBow(dictionary)` + `batchBow(...)` with `doc2bow(allow_update=True)`, except that
 * token ids are model rows: new tokens take free rows (reset in the model and the optimizer),
 * and every `pruneEvery` documents rare tokens give theirs back (marked dead, so the decoder's
 * softmax leaves them out). Prunes happen only between batches, so no batch in flight refers
 * to a row that changed hands. Documents left with no token are skipped.
 *
 * ## Example
 * ```ts
 * import { OnlineVocabulary, onlineBatches, ProdLDA, train, createOptimizer } from 'corpusflow';
 * const vocab = new OnlineVocabulary({ capacity: 50_000 });
 * const model = new ProdLDA({ vocabSize: 50_000, capacity: 50_000 });
 * model.setLive([...Array(50_000).keys()], false);
 * const optimizer = createOptimizer(model.defaultOptimizer());
 * docs$.pipe(onlineBatches(vocab, model, { optimizer }), train(model, { optimizer })).subscribe();
 * ```
 *
 * **Warning:** buffers one batch of tokenised documents.
 *
 * @param vocabulary the growing vocabulary (its capacity must be the model's).
 * @param model the ProdLDA being trained.
 * @param options see `OnlineBatchesOptions`.
 * @return an operator from tokenised documents to bag-of-words batches over `capacity` rows (the consumer disposes them).
 */
export function onlineBatches(vocabulary: OnlineVocabulary, model: ProdLDA, options: OnlineBatchesOptions = {}): OperatorFunction<TokenizedDocument, BowBatch> {
  const batchSize = options.batchSize ?? 64;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw invalidOption('batchSize', 'an integer ≥ 1', batchSize);
  const format = options.format ?? 'sparse';
  if (format !== 'sparse' && format !== 'dense') throw invalidOption('format', "'sparse' or 'dense'", format);
  if (model.options.capacity !== vocabulary.capacity) {
    throw invalidOption('capacity', `the model's capacity ${model.options.capacity}`, vocabulary.capacity);
  }
  return (source) =>
    new Observable<BowBatch>((subscriber) => {
      let pending: TokenizedDocument[] = [];
      const flush = (): void => {
        const docs = pending;
        pending = [];
        if (vocabulary.shouldPrune()) {
          const freed = vocabulary.prune();
          if (freed.length > 0) model.setLive(freed, false);
          options.onPrune?.(freed, vocabulary);
        }
        const bows: BowDocument[] = [];
        const newRows: number[] = [];
        for (const d of docs) {
          const { bow, newRows: taken } = vocabulary.addDocument(d.tokens);
          for (const r of taken) newRows.push(r);
          if (bow.length > 0) bows.push({ id: d.id, bow });
        }
        // A row freed by the prune above may be taken again in this batch: resetRows makes it fresh and live.
        if (newRows.length > 0) {
          model.resetRows(newRows, options.optimizer);
          neutralDecoderColumns(model, newRows);
        }
        if (bows.length === 0) return;
        subscriber.next(format === 'dense' ? toDenseBowBatch(bows, vocabulary.capacity) : toSparseBowBatch(bows, vocabulary.capacity));
      };
      const sub: Subscription = source.subscribe({
        next(doc) {
          pending.push(doc);
          if (pending.length < batchSize) return;
          try {
            flush();
          } catch (e) {
            subscriber.error(e);
          }
        },
        error: (e) => subscriber.error(e),
        complete() {
          try {
            if (pending.length > 0) flush();
            subscriber.complete();
          } catch (e) {
            subscriber.error(e);
          }
        },
      });
      return () => {
        sub.unsubscribe();
        pending = [];
      };
    });
}

/** Options of `fitOnlineTopicModel`. */
export interface FitOnlineOptions {
  /** The tokenised stream; called (subscribed) exactly once. */
  documents: () => Observable<TokenizedDocument>;
  /** The vocabulary: capacity (required) and pruning. */
  vocabulary: OnlineVocabularyOptions;
  /** Batch size (default 64), tensor layout, and an optional shuffle buffer of tokenised documents (default off). */
  batch?: { size?: number; format?: 'sparse' | 'dense'; shuffle?: number | false; seed?: number };
  /** ProdLDA options except the vocabulary size and capacity, which come from the vocabulary. */
  model?: Omit<ProdLDAOptions, 'vocabSize' | 'capacity'>;
  /** Trainer options; `epochs` is always 1 (a single pass), `optimizer` may be a spec or an instance. */
  train?: Omit<TrainOptions, 'epochs' | 'resume' | 'checkpoint'>;
  /** Called after each prune. */
  onPrune?: (freed: number[], vocabulary: OnlineVocabulary) => void;
}

/** The training events of an online fit, with the model and vocabulary once it has started. */
export interface OnlineTopicModelFit extends Observable<TrainEvent> {
  readonly model: ProdLDA | undefined;
  readonly vocabulary: OnlineVocabulary | undefined;
  /** The live vocabulary as a Dictionary whose ids are model rows (a fresh snapshot on each read). */
  readonly dictionary: Dictionary | undefined;
}

/**
 * Fit ProdLDA in one pass over a stream, growing the vocabulary as it goes.
 *
 * Like gensim's online LDA with `doc2bow(allow_update=True)`, for a stream too
 * long (or too live) to read twice: no dictionary pass, the source is
 * subscribed once, the vocabulary lives in `capacity` model rows and is pruned
 * every `pruneEvery` documents.
 *
 * ## Example
 * ```ts
 * import { fitOnlineTopicModel, ndjsonSource, preprocess } from 'corpusflow';
 * const fit = fitOnlineTopicModel({
 *   documents: () => ndjsonSource('firehose.ndjson.gz').pipe(preprocess()),
 *   vocabulary: { capacity: 50_000, pruneEvery: 10_000, noBelow: 5 },
 *   model: { topics: 20 },
 * });
 * fit.subscribe({ complete: () => console.log(fit.model!.topics(fit.dictionary!, 10)) });
 * ```
 *
 * **Warning:** buffers one batch (plus `batch.shuffle` documents when set); the vocabulary holds at most `capacity` tokens.
 *
 * @param options see `FitOnlineOptions`.
 * @return an Observable of training events (each subscription trains a new model) with `model`, `vocabulary` and `dictionary`.
 */
export function fitOnlineTopicModel(options: FitOnlineOptions): OnlineTopicModelFit {
  if (typeof options.documents !== 'function') throw invalidOption('documents', 'a function returning an Observable of tokenised documents', options.documents);
  // Validate up front, not at subscription.
  const probe = new OnlineVocabulary(options.vocabulary);
  const capacity = probe.capacity;
  const seed = options.batch?.seed ?? options.train?.seed ?? options.model?.seed ?? 0;
  const shuffleSize = options.batch?.shuffle ?? false;
  const state: { model?: ProdLDA; vocabulary?: OnlineVocabulary } = {};

  const events = new Observable<TrainEvent>((subscriber) => {
    const vocabulary = state.vocabulary === undefined ? probe : new OnlineVocabulary(options.vocabulary);
    const model = new ProdLDA({ seed, ...options.model, vocabSize: capacity, capacity });
    // Every row starts free: tokens make them live as they arrive.
    model.setLive(Array.from({ length: capacity }, (_, i) => i), false);
    state.model = model;
    state.vocabulary = vocabulary;
    const given = options.train?.optimizer;
    const ownOptimizer = !(given instanceof Optimizer);
    const optimizer = createOptimizer(given ?? model.defaultOptimizer());
    let docs = options.documents();
    if (shuffleSize !== false && shuffleSize > 1) docs = docs.pipe(shuffle({ bufferSize: shuffleSize, seed }));
    const sub = docs
      .pipe(
        onlineBatches(vocabulary, model, { batchSize: options.batch?.size ?? 64, format: options.batch?.format ?? 'sparse', optimizer, ...(options.onPrune ? { onPrune: options.onPrune } : {}) }),
        train(model, { ...options.train, epochs: 1, optimizer }),
      )
      .subscribe(subscriber);
    return () => {
      sub.unsubscribe();
      if (ownOptimizer) optimizer.dispose();
    };
  });

  return Object.defineProperties(events, {
    model: { get: () => state.model },
    vocabulary: { get: () => state.vocabulary },
    dictionary: { get: () => state.vocabulary?.toDictionary() },
  }) as OnlineTopicModelFit;
}

/**
 * Start a new token's topic-word weights β at 0: no topic prefers it until it has been seen.
 * A random β (the two-pass initialisation) on a token seen once or twice outlives its few
 * updates and puts it among the topics' top words; in a two-pass fit every row trains for
 * many epochs, here a young token has had a handful of steps.
 */
function neutralDecoderColumns(model: ProdLDA, rows: number[]): void {
  const v = model.trainableVariables().find((x) => x.name.endsWith('/decoder/kernel'));
  if (!v || v.shape.length !== 2) return;
  const mask = new Float32Array(v.shape[1]!).fill(1);
  for (const r of rows) mask[r] = 0;
  tf.tidy(() => v.assign(tf.mul(v, tf.tensor2d(mask, [1, mask.length]))));
}
