/**
 * Conversions from plain documents to batch tensors. The operators in this folder call
 * these on each full buffer; they are exported for users who batch by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { CorpusflowError } from '../errors.js';
import type { DocId } from '../sources/types.js';
import type { BowDocument, DenseBowBatch, SequenceBatch, SequenceDocument, SparseBowBatch } from './types.js';

/** Dispose a set of tensors once, however often it is called. */
function disposer(tensors: tf.Tensor[]): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const t of tensors) t.dispose();
  };
}

function badEntry(doc: BowDocument, index: number, reason: string, hint?: string): CorpusflowError {
  return new CorpusflowError('INVALID_FIELD_TYPE', `document ${JSON.stringify(doc.id)}: bow entry ${index} ${reason}`, {
    position: { field: 'bow' },
    ...(hint ? { hint } : {}),
  });
}

/** Check one `[id, count]` entry; returns nothing, throws a positioned error when it is unusable. */
function checkEntry(doc: BowDocument, index: number, id: number, count: number, vocabSize: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw badEntry(doc, index, `has token id ${id}, outside [0, ${vocabSize})`, `vocabSize must cover every id of the dictionary (dictionary.size); filter and compactify it before batching`);
  }
  if (!Number.isFinite(count)) throw badEntry(doc, index, `has count ${count}, not a finite number`);
}

/**
 * Build a sparse bag-of-words batch (coordinate lists) from documents.
 * @param docs the documents, in row order
 * @param vocabSize the id range every token id must fall in
 * @return a batch owning three new tensors
 */
export function toSparseBowBatch(docs: readonly BowDocument[], vocabSize: number): SparseBowBatch {
  let nnz = 0;
  for (const d of docs) nnz += d.bow.length;
  const rows = new Int32Array(nnz);
  const ids = new Int32Array(nnz);
  const counts = new Float32Array(nnz);
  const docIds: DocId[] = new Array(docs.length);
  let k = 0;
  let tokens = 0;
  for (let r = 0; r < docs.length; r++) {
    const doc = docs[r]!;
    docIds[r] = doc.id;
    const bow = doc.bow;
    for (let j = 0; j < bow.length; j++) {
      // Indexing, not destructuring: this loop runs once per non-zero of every batch (~2× faster).
      const entry = bow[j]!;
      const id = entry[0];
      const count = entry[1];
      if (!(id >= 0 && id < vocabSize && (id | 0) === id && count - count === 0)) checkEntry(doc, j, id, count, vocabSize);
      rows[k] = r;
      ids[k] = id;
      counts[k] = count;
      tokens += count;
      k++;
    }
  }
  const tensors = [tf.tensor1d(rows, 'int32'), tf.tensor1d(ids, 'int32'), tf.tensor1d(counts, 'float32')] as const;
  return {
    kind: 'sparse',
    size: docs.length,
    vocabSize,
    docIds,
    rows: tensors[0],
    ids: tensors[1],
    counts: tensors[2],
    tokens,
    dispose: disposer([...tensors]),
  };
}

/**
 * Build a dense bag-of-words batch `[docs.length, vocabSize]` from documents.
 * Repeated ids within a document add up.
 * @param docs the documents, in row order
 * @param vocabSize number of columns
 * @return a batch owning one new tensor
 */
export function toDenseBowBatch(docs: readonly BowDocument[], vocabSize: number): DenseBowBatch {
  const values = new Float32Array(docs.length * vocabSize);
  const docIds: DocId[] = new Array(docs.length);
  let tokens = 0;
  for (let r = 0; r < docs.length; r++) {
    const doc = docs[r]!;
    docIds[r] = doc.id;
    const base = r * vocabSize;
    const bow = doc.bow;
    for (let j = 0; j < bow.length; j++) {
      const [id, count] = bow[j]!;
      checkEntry(doc, j, id, count, vocabSize);
      values[base + id] = values[base + id]! + count;
      tokens += count;
    }
  }
  const x = tf.tensor2d(values, [docs.length, vocabSize], 'float32');
  return { kind: 'dense', size: docs.length, vocabSize, docIds, x, tokens, dispose: disposer([x]) };
}

/**
 * Expand a sparse batch into its dense `[size, vocabSize]` matrix (for losses that need it,
 * or to compare with dense models). The caller owns the result.
 * @param batch a sparse batch (not consumed)
 * @return float32 tensor [size, vocabSize]
 */
export function sparseToDense(batch: SparseBowBatch): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = tf.add(tf.mul(batch.rows, tf.scalar(batch.vocabSize, 'int32')), batch.ids) as tf.Tensor1D;
    return tf.unsortedSegmentSum(batch.counts, flat, batch.size * batch.vocabSize).reshape([batch.size, batch.vocabSize]);
  });
}

/**
 * Build a padded sequence batch: each document's ids, cut to `maxLen`, padded with `padId`.
 * Negative ids (gensim's `doc2idx` marks unknown words -1) are left out, as the usual
 * `[i for i in ids if i >= 0]` idiom does.
 * @param docs the documents, in row order
 * @param maxLen columns of the batch; longer sequences keep their first maxLen kept ids
 * @param padId id written in padding positions
 * @return a batch owning two new tensors
 */
export function toSequenceBatch(docs: readonly SequenceDocument[], maxLen: number, padId = 0): SequenceBatch {
  const ids = new Int32Array(docs.length * maxLen);
  if (padId !== 0) ids.fill(padId);
  const mask = new Float32Array(docs.length * maxLen);
  const docIds: DocId[] = new Array(docs.length);
  const lengths: number[] = new Array(docs.length);
  let tokens = 0;
  for (let r = 0; r < docs.length; r++) {
    const doc = docs[r]!;
    docIds[r] = doc.id;
    const src = doc.ids;
    const base = r * maxLen;
    let n = 0;
    for (let j = 0; j < src.length && n < maxLen; j++) {
      const id = src[j]!;
      if (!Number.isInteger(id)) {
        throw new CorpusflowError('INVALID_FIELD_TYPE', `document ${JSON.stringify(doc.id)}: token id at ${j} is ${id}, not an integer`, { position: { field: 'ids' } });
      }
      if (id < 0) continue;
      ids[base + n] = id;
      mask[base + n] = 1;
      n++;
    }
    lengths[r] = n;
    tokens += n;
  }
  const idsT = tf.tensor2d(ids, [docs.length, maxLen], 'int32');
  const maskT = tf.tensor2d(mask, [docs.length, maxLen], 'float32');
  return { kind: 'sequence', size: docs.length, maxLen, docIds, ids: idsT, mask: maskT, lengths, tokens, dispose: disposer([idsT, maskT]) };
}
