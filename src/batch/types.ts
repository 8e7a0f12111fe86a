/**
 * The shapes of the batches the batch operators emit. A batch owns its tensors:
 * whoever consumes it calls `dispose()` once done (the trainer does so after each step).
 */
import type * as tf from '@tensorflow/tfjs';
import type { DocId } from '../sources/types.js';

import type { BowDocument } from '../dictionary/types.js';

/** Batches are built from the dictionary stage's bag-of-words documents. */
export type { BowDocument };

/** A document as a sequence of token ids in reading order (`Dictionary.doc2idx`). */
export interface SequenceDocument {
  id: DocId;
  ids: ArrayLike<number>;
  [field: string]: unknown;
}

interface BatchBase {
  /** Documents in the batch (the last batch of an epoch may be short). */
  size: number;
  /** The ids of those documents, in row order. */
  docIds: DocId[];
  /** Free the batch's tensors. Idempotent. */
  dispose(): void;
}

/**
 * Bag-of-words batch as coordinate lists: entry k says document `rows[k]` holds token
 * `ids[k]` `counts[k]` times. Models gather embedding rows by `ids` and segment-sum them
 * by `rows`, so their cost follows the non-zeros, not the vocabulary.
 */
export interface SparseBowBatch extends BatchBase {
  kind: 'sparse';
  vocabSize: number;
  /** Row (document index within the batch) of each non-zero, int32 [nnz]. */
  rows: tf.Tensor1D;
  /** Token id of each non-zero, int32 [nnz]. */
  ids: tf.Tensor1D;
  /** Count of each non-zero, float32 [nnz]. */
  counts: tf.Tensor1D;
  /** Sum of the counts: tokens in the batch. */
  tokens: number;
}

/** Bag-of-words batch as one dense float32 matrix `x` of shape [size, vocabSize], like PyTorch tutorials use. */
export interface DenseBowBatch extends BatchBase {
  kind: 'dense';
  vocabSize: number;
  x: tf.Tensor2D;
  /** Sum of the counts: tokens in the batch. */
  tokens: number;
}

export type BowBatch = SparseBowBatch | DenseBowBatch;

/** Padded index sequences: `ids` int32 [size, maxLen] padded with `padId`, `mask` float32 1 on real tokens, 0 on padding. */
export interface SequenceBatch extends BatchBase {
  kind: 'sequence';
  maxLen: number;
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  /** Real length of each sequence after truncation to maxLen. */
  lengths: number[];
  /** Real (unpadded, kept) tokens in the batch. */
  tokens: number;
}
