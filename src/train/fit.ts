/**
 * The whole topic-model recipe in one call, gensim-style two passes: pass 1
 * builds the dictionary and filters it, pass 2 trains ProdLDA epoch by epoch.
 */
import { defer, map, Observable, type Subscription } from 'rxjs';
import type { TokenizedDocument } from '../sources/types.js';
import type { BowDocument } from '../batch/types.js';
import { Dictionary, type FilterExtremesOptions } from '../dictionary/dictionary.js';
import { toBow } from '../dictionary/to-bow.js';
import { shuffle } from '../batch/shuffle.js';
import { batchBow } from '../batch/bow.js';
import { ProdLDA, type ProdLDAOptions } from '../models/prodlda.js';
import { invalidOption } from '../errors.js';
import { train, type TrainEvent, type TrainOptions } from './train.js';
import { CacheRemap, TokenCacheWriter, readTokenCache } from './token-cache.js';
import { readCheckpoint } from './checkpoint.js';
import { fitOnlineTopicModel, type OnlineVocabularyOptions } from './online.js';

export interface FitTopicModelOptions {
  /** A factory of the tokenised corpus: each call must read it from the start (one pass). */
  documents: () => Observable<TokenizedDocument>;
  /**
   * How to build the dictionary in pass 1 (gensim's filterExtremes; default noBelow 5, noAbove 0.5,
   * keepN 100,000; `{noBelow: 0, noAbove: 1, keepN: null}` keeps everything), or a ready Dictionary (no pass 1).
   */
  dictionary?: FilterExtremesOptions | Dictionary;
  /**
   * `'two-pass'` (default), or `'online'`: one pass over `documents()`, the vocabulary grown while
   * training inside `online.capacity` rows (see `fitOnlineTopicModel`; `dictionary`, `tokenCache`
   * and the epochs do not apply).
   */
  mode?: 'two-pass' | 'online';
  /** The online vocabulary (mode `'online'` only): capacity and pruning. */
  online?: OnlineVocabularyOptions;
  /** Batch size (default 64) and shuffle buffer (documents; default 10,000; `false` to keep file order). */
  batch?: { size?: number; shuffle?: number | false; seed?: number };
  /** ProdLDA options except the vocabulary size, which comes from the dictionary. */
  model?: Omit<ProdLDAOptions, 'vocabSize'>;
  /** Trainer options (epochs, optimizer, checkpoints, ...). */
  train?: TrainOptions;
  /** Write the token ids to this file (and its vocabulary to `<tokenCache>.vocab`) in pass 1 and read them in every epoch instead of `documents()`. */
  tokenCache?: string;
}

/** The training events, plus the model and dictionary once pass 1 has built them. */
export interface TopicModelFit extends Observable<TrainEvent> {
  /** Set when pass 2 starts. */
  readonly model: ProdLDA | undefined;
  readonly dictionary: Dictionary | undefined;
}

/**
 * Fit a ProdLDA topic model to a corpus in two passes.
 *
 * Like gensim's `Dictionary(texts); dictionary.filter_extremes(); LdaModel(corpus, ...)`,
 * streamed: the corpus is never held in memory, only the dictionary and the
 * shuffle buffer are.
 *
 * ## Example
 * ```ts
 * import { fitTopicModel, ndjsonSource, preprocess } from 'corpusflow';
 * const fit = fitTopicModel({
 *   documents: () => ndjsonSource('news.ndjson.gz').pipe(preprocess()),
 *   dictionary: { noBelow: 5, noAbove: 0.5 },
 *   train: { epochs: 50 },
 * });
 * fit.subscribe({ complete: () => console.log(fit.model!.topics(fit.dictionary!, 10)) });
 * ```
 *
 * **Warning:** the shuffle buffer holds `batch.shuffle` documents (as bags of words).
 *
 * @param options see `FitTopicModelOptions`.
 * @return an Observable of training events (cold: each subscription runs both passes) with `model` and `dictionary`.
 */
export function fitTopicModel(options: FitTopicModelOptions): TopicModelFit {
  if (typeof options.documents !== 'function') throw invalidOption('documents', 'a function returning an Observable of tokenised documents', options.documents);
  if (options.mode === 'online') return fitOnline(options);
  if (options.mode !== undefined && options.mode !== 'two-pass') throw invalidOption('mode', "'two-pass' or 'online'", options.mode);
  const batchSize = options.batch?.size ?? 64;
  const bufferSize = options.batch?.shuffle ?? 10_000;
  const seed = options.batch?.seed ?? options.train?.seed ?? options.model?.seed ?? 0;
  const state: { model: ProdLDA | undefined; dictionary: Dictionary | undefined } = { model: undefined, dictionary: undefined };

  const events = new Observable<TrainEvent>((subscriber) => {
    let inner: Subscription | undefined;
    let closed = false;
    let cache: TokenCacheWriter | undefined;

    const passOne = (dictionary: Dictionary) =>
      new Promise<void>((resolve, reject) => {
        // Writes to the cache are awaited one document at a time, so pass 1 is paced by the disk.
        let chain = Promise.resolve();
        inner = options.documents().subscribe({
          next(doc) {
            dictionary.addDocument(doc.tokens);
            if (cache) {
              const c = cache;
              chain = chain.then(() => c.write(doc.id, doc.tokens));
            }
          },
          error: reject,
          complete: () => chain.then(resolve, reject),
        });
      });

    (async () => {
      let dictionary: Dictionary;
      if (options.dictionary instanceof Dictionary) {
        dictionary = options.dictionary;
      } else {
        dictionary = new Dictionary();
        if (options.tokenCache) cache = new TokenCacheWriter(options.tokenCache);
        await passOne(dictionary);
        await cache?.commit();
        dictionary.filterExtremes({ noBelow: 5, noAbove: 0.5, keepN: 100_000, ...(options.dictionary ?? {}) });
      }
      if (closed) return;
      if (dictionary.size === 0) throw invalidOption('dictionary', 'a non-empty vocabulary after filtering', 0);
      state.dictionary = dictionary;
      const model = new ProdLDA({ seed, ...options.model, vocabSize: dictionary.size });
      state.model = model;

      const remap = cache ? await CacheRemap.fromFile(cache.path, dictionary.token2id) : undefined;
      const bows = (): Observable<BowDocument> =>
        remap ? readTokenCache(options.tokenCache!, remap) : options.documents().pipe(toBow(dictionary), map((d) => d as BowDocument));
      // Read the checkpoint here (not in train) to know its epoch: startEpoch then keeps the
      // shuffle order of a resumed run the same as an uninterrupted one's.
      const resume = typeof options.train?.resume === 'string' ? await readCheckpoint(options.train.resume) : options.train?.resume;
      let epoch = resume ? resume.header.epoch - 1 : 0;
      const batches = defer(() => {
        const shuffled = bufferSize === false ? bows() : bows().pipe(shuffle({ bufferSize, seed, reshuffleEachEpoch: false, startEpoch: epoch }));
        epoch++;
        return shuffled.pipe(batchBow({ batchSize, vocabSize: dictionary.size }));
      });
      const trainOptions: TrainOptions = { ...options.train, ...(resume ? { resume } : {}) };
      if (options.train?.checkpoint) trainOptions.checkpoint = { dictionary, ...options.train.checkpoint };
      if (closed) return;
      inner = batches.pipe(train(model, trainOptions)).subscribe(subscriber);
    })().catch((e) => {
      void cache?.abort().catch(() => undefined);
      if (!closed) subscriber.error(e);
    });

    return () => {
      closed = true;
      inner?.unsubscribe();
    };
  });

  return Object.defineProperties(events, {
    model: { get: () => state.model },
    dictionary: { get: () => state.dictionary },
  }) as TopicModelFit;
}

/** Mode 'online' of fitTopicModel: the same options, handed to fitOnlineTopicModel. */
function fitOnline(options: FitTopicModelOptions): TopicModelFit {
  if (!options.online) throw invalidOption('online', "{capacity, ...} with mode 'online'", options.online);
  if (options.dictionary !== undefined) throw invalidOption('dictionary', "nothing with mode 'online' (use online: {capacity, ...})", options.dictionary);
  const { epochs, resume, checkpoint, ...trainOptions } = options.train ?? {};
  if (epochs !== undefined && epochs !== 1) throw invalidOption('train.epochs', "1 with mode 'online' (a single pass)", epochs);
  if (resume !== undefined || checkpoint !== undefined) throw invalidOption('train', "no checkpoint or resume with mode 'online'", 'checkpoint');
  const batch = options.batch === undefined ? undefined : { ...options.batch, shuffle: options.batch.shuffle ?? false };
  return fitOnlineTopicModel({
    documents: options.documents,
    vocabulary: options.online,
    ...(batch ? { batch } : {}),
    ...(options.model ? { model: options.model } : {}),
    train: trainOptions,
  });
}

/** The documents of a fit as plain arrays of tokens (for coherence), from any re-iterable source. */
export function tokensOf(documents: () => Observable<TokenizedDocument>): () => Observable<string[]> {
  return () => documents().pipe(map((d) => d.tokens));
}
