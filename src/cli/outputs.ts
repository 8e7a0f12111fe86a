/**
 * What a finished run leaves in its output directory: dictionary.txt, model/,
 * topics.json, metrics.json, doc-topics.ndjson (when asked) and report.html.
 * Every file is written atomically (temp file + rename), so a directory never
 * holds half a file even if the run is killed while writing.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';
import type { BowBatch } from '../batch/types.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import { coherenceMeasures, type CoherenceMeasure } from '../eval/coherence.js';
import { topicDiversity } from '../eval/diversity.js';
import { perplexity as perplexityOf } from '../eval/perplexity.js';
import { createAtomicWriteStream, writeFileAtomic } from '../io/atomic.js';
import type { ProdLDA, Topic } from '../models/prodlda.js';
import { mapAsync } from '../sources/map-async.js';
import type { FlowControl } from '../sources/flow.js';
import type { TokenizedDocument } from '../sources/types.js';
import { renderReport, type ReportData } from '../report/render.js';
import type { ResolvedPipeline } from '../config/resolve.js';
import { consume } from './summary.js';

/** The loss curve, as the trainer reported it. */
export interface LossHistory {
  steps: Array<{ step: number; epoch: number; loss: number; docsPerSecond: number }>;
  epochs: Array<{ epoch: number; step: number; loss: number }>;
}

/** metrics.json: the names issue 5 fixes, plus a few more. */
export interface Metrics {
  npmi: number;
  coherence_measure: string;
  coherence: number;
  coherence_per_topic: number[];
  diversity_top10: number;
  diversity_top25: number;
  perplexity: number;
  docs: number;
  tokens: number;
  seconds: number;
  train_seconds: number;
  docs_per_second: number;
  backend: string;
  peak_rss_mb: number;
  topics: number;
  vocab_size: number;
  epochs: number;
  steps: number;
  /** Documents trained on, all epochs (a resumed run counts those before the checkpoint too). */
  train_docs: number;
}

export interface CorpusScore {
  /** Documents scored (those with at least one dictionary token). */
  docs: number;
  /** Their dictionary tokens. */
  tokens: number;
  perplexity: number;
  /** Mean topic mix over the documents: the topic sizes. */
  prevalence: number[];
}

/**
 * One pass over the corpus in input order: the perplexity bound, the topic
 * sizes, and, when `docTopics` is given, each document's topic mix written as
 * NDJSON `{"id", "topics", "top_topic"}`.
 */
export async function scoreCorpus(
  model: ProdLDA,
  batches: Observable<BowBatch>,
  flow: FlowControl,
  docTopics?: string,
  signal?: AbortSignal,
): Promise<CorpusScore> {
  const K = model.options.topics;
  const prevalence = new Float64Array(K);
  let nll = 0;
  let tokens = 0;
  let docs = 0;
  const out = docTopics ? createAtomicWriteStream(docTopics) : undefined;
  const score = (batch: BowBatch): Promise<void> | undefined => {
    let theta: Float32Array;
    try {
      const loss = model.lossFn(batch, false);
      nll += loss.dataSync()[0]! * batch.size;
      loss.dispose();
      const t = model.transform(batch);
      theta = t.dataSync() as Float32Array;
      t.dispose();
    } finally {
      batch.dispose();
    }
    tokens += batch.tokens;
    docs += batch.size;
    let lines = '';
    for (let i = 0; i < batch.size; i++) {
      const row = theta.subarray(i * K, (i + 1) * K);
      let top = 0;
      for (let k = 0; k < K; k++) {
        prevalence[k]! += row[k]!;
        if (row[k]! > row[top]!) top = k;
      }
      if (out) lines += JSON.stringify({ id: batch.docIds[i], topics: Array.from(row, (v) => Number(v.toFixed(6))), top_topic: top }) + '\n';
    }
    if (out && !out.write(lines)) return new Promise((resolve) => out.once('drain', () => resolve()));
    return undefined;
  };
  try {
    // An output file that fills up pauses the source through its flow control.
    await consume(batches.pipe(mapAsync((b: BowBatch) => score(b), { flow })), signal);
    if (out) await out.commit();
  } catch (e) {
    if (out) await out.abort();
    throw e;
  }
  return { docs, tokens, perplexity: tokens > 0 ? perplexityOf(nll, tokens) : NaN, prevalence: Array.from(prevalence, (v) => (docs > 0 ? v / docs : 0)) };
}

/**
 * Each topic's word distribution over the live vocabulary (softmax of the
 * decoder weights), for the intertopic distance map. Rows are topics.
 */
export function topicWordDistributions(model: ProdLDA): Float64Array[] {
  const beta = model.topicWordWeights();
  const values = beta.dataSync() as Float32Array;
  const [K, cap] = beta.shape;
  beta.dispose();
  const rows: Float64Array[] = [];
  for (let k = 0; k < K; k++) {
    const row = new Float64Array(cap);
    let max = -Infinity;
    for (let r = 0; r < cap; r++) if (model.live[r] && values[k * cap + r]! > max) max = values[k * cap + r]!;
    let sum = 0;
    for (let r = 0; r < cap; r++) {
      if (!model.live[r]) continue;
      row[r] = Math.exp(values[k * cap + r]! - max);
      sum += row[r]!;
    }
    for (let r = 0; r < cap; r++) row[r]! /= sum;
    rows.push(row);
  }
  return rows;
}

export interface EvaluateOptions {
  measure: 'c_npmi' | 'u_mass' | 'c_uci' | 'c_v';
  topn: number;
}

/** Coherence (the chosen measure and NPMI) of the topics over the corpus tokens, plus diversity. */
export async function topicQuality(
  topics: Topic[],
  tokens: Observable<TokenizedDocument>,
  options: EvaluateOptions,
): Promise<{ npmi: number; coherence: number; perTopic: number[]; diversity10: number; diversity25: number }> {
  const words = topics.map((t) => t.words.map((w) => w.token));
  const top = words.map((w) => w.slice(0, options.topn));
  const measures: CoherenceMeasure[] = options.measure === 'c_npmi' ? ['c_npmi'] : ['c_npmi', options.measure];
  const results = await coherenceMeasures(top, tokens, { topn: options.topn, measures });
  const chosen = results[options.measure]!;
  const depth = (k: number) => Math.min(k, ...words.map((w) => w.length));
  return {
    npmi: results.c_npmi!.mean,
    coherence: chosen.mean,
    perTopic: chosen.perTopic,
    diversity10: topicDiversity(words, depth(10)),
    diversity25: topicDiversity(words, depth(25)),
  };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/** Write topics.json, metrics.json and report.html (model/ and dictionary.txt are saved by the caller). */
export async function writeRunFiles(dir: string, topics: Topic[], metrics: Metrics, report: ReportData | undefined): Promise<void> {
  await mkdir(dir, { recursive: true });
  const round = (x: number) => Number(x.toPrecision(6));
  await writeFileAtomic(
    path.join(dir, 'topics.json'),
    JSON.stringify(topics.map((t) => ({ id: t.id, words: t.words.map((w) => ({ token: w.token, weight: round(w.weight) })) })), null, 1) + '\n',
  );
  await writeFileAtomic(path.join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  if (report) await writeFileAtomic(path.join(dir, 'report.html'), renderReport(report));
}

/**
 * How the model's training text was read and tokenised, saved as model/pipeline.json so
 * `infer` and `evaluate` tokenise new text the same way.
 */
export interface ModelPipelineInfo {
  name: string;
  preprocess: ResolvedPipeline['preprocess'];
  textField: string;
  idField?: string;
}

/** Save the model directory (with its dictionary and pipeline.json) and dictionary.txt. */
export async function saveModel(dir: string, model: ProdLDA, dictionary: Dictionary, pipeline: ResolvedPipeline): Promise<void> {
  await mkdir(dir, { recursive: true });
  const modelDir = path.join(dir, 'model');
  await model.save(modelDir, dictionary);
  const info: ModelPipelineInfo = {
    name: pipeline.name,
    preprocess: pipeline.preprocess,
    textField: pipeline.source.textField,
    ...(pipeline.source.idField !== undefined ? { idField: pipeline.source.idField } : {}),
  };
  await writeFileAtomic(path.join(modelDir, 'pipeline.json'), JSON.stringify(info, null, 2) + '\n');
  await dictionary.saveAsText(path.join(dir, 'dictionary.txt'));
}

/** tfjs memory in use, for --verbose. */
export function tensorsInUse(): number {
  return tf.memory().numTensors;
}
