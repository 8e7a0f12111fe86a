/**
 * corpusflow's public API, grouped by stage in the order data flows:
 * sources → preprocess → dictionary → batch → models/train → eval, plus the
 * backend, errors, atomic I/O and Node stream adapters. Explicit names only.
 */

// ── errors ────────────────────────────────────────────────────────────────
export {
  CorpusflowError,
  RECORD_ERROR_CODES,
  formatPosition,
  isCorpusflowError,
  type ErrorCode,
  type ErrorPosition,
  type CorpusflowErrorOptions,
} from './errors.js';

// ── sources ───────────────────────────────────────────────────────────────
export type { DocId, Document, TokenizedDocument, OnError, SourceStats, Source } from './sources/types.js';
export { ndjsonSource, type NdjsonSourceOptions } from './sources/ndjson.js';
export { csvSource, type CsvSourceOptions } from './sources/csv.js';
export { textSource, type TextSourceOptions } from './sources/text.js';
export { fromDocuments, type DocumentInput, type DocumentsInput, type FromDocumentsOptions } from './sources/iterable.js';
export { PullSource, type Reader, type ReadContext, type SourceItem } from './sources/pull.js';
export { FlowControl, type FlowControlOptions } from './sources/flow.js';
export { mapAsync, type MapAsyncOptions } from './sources/map-async.js';
export { getField, parseFieldPath, type FieldPath } from './sources/fields.js';
export type { SourceOptions } from './sources/options.js';

// ── preprocess ────────────────────────────────────────────────────────────
export {
  lowercase,
  stripTags,
  stripPunctuation,
  stripMultipleWhitespaces,
  stripNumeric,
  stripNonAlphanum,
  splitAlphanum,
  removeStopwords,
  stripShort,
  stemText,
  FILTERS,
  DEFAULT_FILTERS,
  DEFAULT_FILTER_NAMES,
  STOPWORDS,
  stem,
  StemCache,
  tokenize,
  simplePreprocess,
  deaccent,
  preprocessString,
  compileFilters,
  preprocess,
  type Filter,
  type FilterSpec,
  type FilterChainOptions,
  type TokenizeOptions,
  type SimplePreprocessOptions,
  type PreprocessOptions,
} from './preprocess/index.js';

// ── dictionary ────────────────────────────────────────────────────────────
export {
  Dictionary,
  VocabTransform,
  type AddDocumentsOptions,
  type Doc2BowOptions,
  type BowWithMissing,
  type FilterExtremesOptions,
  type FilterTokensOptions,
  type DictionaryJSON,
} from './dictionary/dictionary.js';
export type { Bow, BowDocument } from './dictionary/types.js';
export { compareCodePoints } from './dictionary/compare.js';
export { formatDictionaryText, parseDictionaryText, type TextFormatOptions, type ParsedDictionaryText } from './dictionary/text-format.js';
export { HashDictionary, adler32, type HashDictionaryOptions } from './dictionary/hash-dictionary.js';
export { TfidfModel, df2idf, type TfidfOptions, type DocumentFrequencies } from './dictionary/tfidf.js';
export { updateDictionary, type UpdateDictionaryOptions, type UpdatableDictionary } from './dictionary/update-dictionary.js';
export { toBow, type ToBowOptions, type BowDictionary } from './dictionary/to-bow.js';
export { tfidf } from './dictionary/tfidf-operator.js';

// ── backend ───────────────────────────────────────────────────────────────
export {
  initBackend,
  currentBackend,
  backendInfo,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendName,
  type BackendInfo,
  type WasmVariant,
  type InitBackendOptions,
} from './backend.js';

// ── batch ─────────────────────────────────────────────────────────────────
export { batchBow, type BatchBowOptions } from './batch/bow.js';
export { batchSequences, type BatchSequencesOptions } from './batch/sequences.js';
export { shuffle, type ShuffleOptions } from './batch/shuffle.js';
export { createRandom, type Random } from './batch/random.js';
export { toSparseBowBatch, toDenseBowBatch, sparseToDense, toSequenceBatch } from './batch/tensors.js';
export type { SequenceDocument, SparseBowBatch, DenseBowBatch, BowBatch, SequenceBatch } from './batch/types.js';

// ── models and training ───────────────────────────────────────────────────
export type { TrainableModel } from './models/types.js';
export { ProdLDA, inferTopics, type ProdLDAOptions, type Topic } from './models/prodlda.js';
export {
  train,
  type TrainOptions,
  type TrainEvent,
  type StepEvent,
  type EpochEndEvent,
  type CheckpointEvent,
  type DoneEvent,
  type EarlyStoppingOptions,
  type CheckpointOptions,
} from './train/train.js';
export { fitTopicModel, type FitTopicModelOptions, type TopicModelFit } from './train/fit.js';
export {
  OnlineVocabulary,
  onlineBatches,
  fitOnlineTopicModel,
  type OnlineVocabularyOptions,
  type OnlineVocabularyStats,
  type OnlineBatchesOptions,
  type FitOnlineOptions,
  type OnlineTopicModelFit,
} from './train/online.js';
export { fromLayersModel, type LayersModelAdapterOptions } from './train/layers-model.js';
export { createOptimizer, type OptimizerSpec } from './train/optimizers.js';
export { learningRateSchedule, type ScheduleSpec } from './train/schedule.js';
export { readCheckpoint, listCheckpoints, type Checkpoint, type TrainingPosition } from './train/checkpoint.js';

// ── eval ──────────────────────────────────────────────────────────────────
export {
  coherence,
  coherenceMeasures,
  CoherenceAccumulator,
  COHERENCE_MEASURES,
  DEFAULT_WINDOW_SIZES,
  type CoherenceMeasure,
  type CoherenceOptions,
  type CoherenceManyOptions,
  type CoherenceResult,
  type CoherenceText,
  type CoherenceTexts,
} from './eval/coherence.js';
export { topicDiversity } from './eval/diversity.js';
export { perplexity, heldOutPerplexity, type PerplexityResult } from './eval/perplexity.js';
export { topicRecovery, type TopicWordMatrix, type TopicRecoveryOptions, type TopicRecoveryResult } from './eval/topic-recovery.js';

// ── config (pipeline files) ───────────────────────────────────────────────
export { loadPipeline, validatePipelineFile, validatePipelineText, type LoadOptions, type LoadedPipeline } from './config/load.js';
export { pipelineSchema, pipelineJsonSchema, FILTER_NAMES, type PipelineConfig } from './config/schema.js';
export { resolvePipeline, describePipeline, type ResolvedPipeline } from './config/resolve.js';
export { renderReport, type ReportData } from './report/render.js';

// ── I/O and Node stream adapters ──────────────────────────────────────────
export { writeFileAtomic, createAtomicWriteStream, AtomicWriteStream } from './io/atomic.js';
export { toReadable, toTransform, type ToReadableOptions } from './etl/streams.js';
