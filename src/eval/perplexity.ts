/**
 * Held-out perplexity from a model's per-document negative log-likelihood bound.
 *
 * Definition used here:
 *
 *     perplexity = exp( Σ_d L_d / Σ_d N_d )
 *
 * where L_d is the model's negative log-likelihood bound of held-out document d
 * in nats (for ProdLDA the negative ELBO: reconstruction NLL of the words plus
 * KL(q(θ|d) ‖ prior), evaluated in inference mode, i.e. no dropout and θ from
 * the posterior mean) and N_d its number of tokens. Because the ELBO is a lower
 * bound of log p(d), this is an upper bound of the true perplexity, the figure
 * AVITM/ProdLDA papers report. It is per token and over the whole held-out set
 * (not a mean of per-document perplexities). Lower is better; compare models only
 * over the same held-out documents and the same dictionary.
 */
import type * as tf from '@tensorflow/tfjs';
import { invalidOption } from '../errors.js';
import { consume, type ValueStream } from './consume.js';

/** What heldOutPerplexity needs from a batch: its document count, token count and a way to free it. */
export interface PerplexityBatch {
  size: number;
  tokens: number;
  dispose(): void;
}

/**
 * A model scored by its mean per-document loss (negative log-likelihood bound) over a batch:
 * the `TrainableModel.lossFn` every corpusflow model has.
 */
export interface LossModel<B> {
  lossFn(batch: B, training: boolean): tf.Scalar;
}

export interface PerplexityResult {
  /** exp(negLogLikelihood / tokens). */
  perplexity: number;
  /** Σ_d L_d in nats. */
  negLogLikelihood: number;
  /** Σ_d N_d. */
  tokens: number;
  /** Held-out documents scored. */
  docs: number;
}

/**
 * Perplexity from a summed negative log-likelihood (bound) and a token count.
 *
 * ## Example
 * ```ts
 * import { perplexity } from 'corpusflow';
 * perplexity(6931.47, 1000); // ≈ 1024: as uncertain as a uniform pick among 1024 words
 * ```
 *
 * @param negLogLikelihood Σ over held-out documents of −log p(doc) (or its bound), in nats.
 * @param tokens Σ over the same documents of their token counts.
 * @return exp(negLogLikelihood / tokens).
 */
export function perplexity(negLogLikelihood: number, tokens: number): number {
  if (!Number.isFinite(negLogLikelihood)) throw invalidOption('negLogLikelihood', 'a finite number', negLogLikelihood);
  if (!(tokens > 0)) throw invalidOption('tokens', 'a positive number', tokens);
  return Math.exp(negLogLikelihood / tokens);
}

/**
 * Held-out perplexity of a model over a stream of batches, read once: each batch is
 * scored with `model.lossFn(batch, false)` (its mean bound, multiplied back by the
 * batch size) and disposed.
 *
 * Like measuring how surprised the model is, on average per word, by documents it
 * never trained on: a perplexity of 500 means it is as unsure as a fair pick among 500 words.
 *
 * ## Example
 * ```ts
 * import { heldOutPerplexity, ndjsonSource, preprocess, toBow, batchBow } from 'corpusflow';
 * const batches = ndjsonSource('heldout.ndjson').pipe(preprocess(), toBow(dict), batchBow({ batchSize: 256, vocabSize: dict.size }));
 * const { perplexity } = await heldOutPerplexity(model, batches);
 * ```
 *
 * @param model anything with `lossFn(batch, training)` returning the batch's mean negative log-likelihood bound.
 * @param batches the held-out documents as batches (Observable, iterable or async iterable); each is disposed here.
 * @return the perplexity and the sums it came from.
 */
export async function heldOutPerplexity<B extends PerplexityBatch>(
  model: LossModel<B>,
  batches: ValueStream<B>,
): Promise<PerplexityResult> {
  let negLogLikelihood = 0;
  let tokens = 0;
  let docs = 0;
  const score = (batch: B): void => {
    try {
      const loss = model.lossFn(batch, false);
      const mean = loss.dataSync()[0]!;
      loss.dispose();
      negLogLikelihood += mean * batch.size;
      tokens += batch.tokens;
      docs += batch.size;
    } finally {
      batch.dispose();
    }
  };
  // scoring is synchronous, so each batch is scored and freed before the next one arrives
  await consume(batches, score, 'batches', (b) => b.dispose());
  return { perplexity: perplexity(negLogLikelihood, tokens), negLogLikelihood, tokens, docs };
}
