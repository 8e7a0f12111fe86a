/**
 * `corpusflow run PIPELINE`: build the dictionary (pass 1), train (pass 2),
 * evaluate, and write the output directory. Ctrl-C (SIGINT/SIGTERM) stops
 * after the current step and writes a checkpoint that `--resume` continues from.
 */
import { mkdir, readFile, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { defer, tap, type Observable } from 'rxjs';
import { initBackend, type BackendChoice } from '../backend.js';
import type { BowBatch, BowDocument } from '../batch/types.js';
import { buildDictionary, buildPipeline, bowBatches, createModel, onlineBowBatches, optimizerSpec, type BuiltPipeline } from '../config/build.js';
import { loadPipeline } from '../config/load.js';
import { describePipeline, resolvePipeline, type ResolvedPipeline } from '../config/resolve.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { CorpusflowError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { ProdLDA } from '../models/prodlda.js';
import { listCheckpoints, readCheckpoint, snapshotCheckpoint, writeCheckpoint, type Checkpoint, type TrainingPosition } from '../train/checkpoint.js';
import { OnlineVocabulary } from '../train/online.js';
import { createOptimizer } from '../train/optimizers.js';
import { CacheRemap, TokenCacheWriter, readTokenCache, readTokenCacheTokens, vocabularyPath } from '../train/token-cache.js';
import { train, type TrainEvent } from '../train/train.js';
import type { TokenizedDocument } from '../sources/types.js';
import type { Command, CliContext } from './context.js';
import { EXIT } from './context.js';
import {
  peakRssMb,
  saveModel,
  scoreCorpus,
  topicQuality,
  topicWordDistributions,
  writeRunFiles,
  type LossHistory,
  type Metrics,
} from './outputs.js';
import { Progress, formatDuration } from './progress.js';
import { consume, formatCount, reportSkipped } from './summary.js';

const CHECKPOINT_DIR = 'checkpoints';
const HISTORY_FILE = 'history.json';
/**
 * The token-id cache of pass 1 (dictionary.cache), beside the checkpoints, with its vocabulary file and
 * its stamp (what it was written from). Kept when training is interrupted, for `--resume`; deleted when
 * the run ends.
 */
const TOKEN_CACHE_FILE = 'tokens.cache';
const stampPath = (cacheFile: string) => `${cacheFile}.json`;
/** Delete a cache's three files (those that exist). */
async function removeCache(cacheFile: string): Promise<void> {
  for (const f of [cacheFile, vocabularyPath(cacheFile), stampPath(cacheFile)]) await unlink(f).catch(() => undefined);
}

export const runCommand: Command = {
  spec: {
    name: 'run',
    summary: 'Run a pipeline: build the dictionary, train the model, evaluate it and write the output directory.',
    usage: 'PIPELINE [--set key.path=value]... [--resume] [--backend auto|tensorflow|wasm|cpu] [--verbose]',
    description:
      'Writes dictionary.txt, model/, topics.json, metrics.json, report.html (and doc-topics.ndjson with\n' +
      'output.doc_topics: true) into the output directory. On a terminal a progress bar shows docs/s, loss,\n' +
      'epoch and ETA; otherwise plain log lines are printed. Ctrl-C stops after the current step and writes\n' +
      'a checkpoint; run again with --resume to continue from it.',
    flags: {
      set: { type: 'string', multiple: true, value: 'KEY=VALUE', describe: 'override a pipeline key (value parsed as YAML)' },
      resume: { type: 'boolean', describe: 'continue from the newest checkpoint in <output>/checkpoints' },
      backend: { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend (overrides train.backend)' },
    },
    positionals: ['PIPELINE'],
    examples: [
      'corpusflow run pipelines/quickstart.yaml',
      'corpusflow run pipelines/bbc.yaml --set train.epochs=20 --set output=out/bbc-20',
      'corpusflow run pipelines/bbc.yaml --resume',
      'CORPUS=data/news.ndjson.gz corpusflow run pipelines/ndjson.yaml --backend cpu',
    ],
  },
  async run(args, ctx) {
    const file = args.positionals[0]!;
    const loaded = await loadPipeline(file, { set: (args.flags.set as string[] | undefined) ?? [], env: ctx.env, cwd: ctx.cwd });
    const pipeline = resolvePipeline(loaded.config, file, ctx.cwd);
    if (args.flags.backend) pipeline.train.backend = args.flags.backend as BackendChoice;
    return runPipeline(pipeline, ctx, { resume: Boolean(args.flags.resume), verbose: Boolean(args.flags.verbose) });
  },
};

interface RunOptions {
  resume: boolean;
  verbose: boolean;
}

/** Run a resolved pipeline end to end; resolves to the exit code. */
export async function runPipeline(pipeline: ResolvedPipeline, ctx: CliContext, options: RunOptions): Promise<number> {
  const started = Date.now();
  const progress = new Progress(ctx.stderr, Boolean(ctx.stderr.isTTY));
  const out = pipeline.output.dir;
  const checkpointDir = path.join(out, CHECKPOINT_DIR);
  const cacheFile = path.join(checkpointDir, TOKEN_CACHE_FILE);
  const show = (f: string) => {
    const rel = path.relative(ctx.cwd, f);
    return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? f : rel;
  };

  if (pipeline.source.path === '-') {
    // pass 1 (dictionary), every epoch and the evaluation each read the input again
    throw new CorpusflowError('CONFIG_INVALID', 'run reads its input several times, so it cannot read stdin', {
      position: { file: pipeline.file, field: `source.${pipeline.source.kind}` },
      hint: 'save the input to a file first',
    });
  }
  progress.log(`corpusflow: ${pipeline.name}: ${describePipeline(pipeline, ctx.cwd)}`);
  const backend = await initBackend(pipeline.train.backend, { log: (line) => progress.log(line) });
  await mkdir(out, { recursive: true });
  await removeStaleTempFiles([out, path.join(out, 'model'), checkpointDir]);
  // A cache left by an interrupted run serves `--resume` when its stamp says it was written from this
  // input, preprocessed the same way; any other is deleted (a resumed run then reads the input each epoch).
  const reusable = options.resume ? await stampedCache(cacheFile, pipeline) : undefined;
  if (!reusable) await removeCache(cacheFile);

  // A SIGINT while building the dictionary just stops; during training it checkpoints first.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  ctx.signal.addEventListener('abort', onSignal, { once: true });
  let cache: TokenCache | undefined;
  // Set when training stops at a checkpoint: the cache stays for --resume.
  let keepCache = false;
  try {
    const built = await buildPipeline(pipeline);
    let checkpoint: Checkpoint | undefined;
    let dictionary: Dictionary;
    let history: LossHistory = { steps: [], epochs: [] };
    const online = pipeline.dictionary.mode === 'online' ? pipeline.dictionary : undefined;
    if (options.resume && online) {
      throw new CorpusflowError('INVALID_OPTION', 'dictionary mode "online" cannot resume: it trains in one pass and writes no checkpoints', {
        position: { file: pipeline.file, field: 'dictionary.mode' },
        hint: 'run again without --resume',
      });
    }
    if (online) {
      // Filled in by the single training pass.
      dictionary = new Dictionary();
    } else if (options.resume) {
      if ((await listCheckpoints(checkpointDir)).length === 0) {
        throw new CorpusflowError('FILE_NOT_FOUND', `no checkpoint to resume from in ${show(checkpointDir)}`, { hint: 'run without --resume to start from scratch' });
      }
      checkpoint = await readCheckpoint(checkpointDir);
      if (checkpoint.header.dictionary === undefined) throw new CorpusflowError('CHECKPOINT_CORRUPT', 'the checkpoint holds no dictionary', { position: { file: checkpointDir } });
      dictionary = Dictionary.fromJSON(checkpoint.header.dictionary, checkpointDir);
      history = await readHistory(checkpointDir, checkpoint.header.step);
      progress.log(`corpusflow: resuming at step ${checkpoint.header.step} (epoch ${checkpoint.header.epoch}), ${formatCount(dictionary.size)} tokens in the dictionary`);
      if (reusable) {
        try {
          cache = await openCache(cacheFile, reusable.documents, dictionary, true);
          progress.log(`corpusflow: token cache: ${(cache.bytes / 2 ** 20).toFixed(1)} MB, reused; epochs and evaluation read it instead of the input`);
        } catch (e) {
          // An unreadable cache must not block every later resume: drop it and read the input.
          progress.log(`corpusflow: token cache not reused (${e instanceof Error ? e.message : String(e)}); reading the input instead`);
          await removeCache(cacheFile);
        }
      }
    } else {
      const useCache = pipeline.dictionary.mode === 'two-pass' && pipeline.dictionary.cache;
      ({ dictionary, cache } = await passOne(built, progress, stop.signal, useCache ? cacheFile : undefined));
      if (stop.signal.aborted) {
        progress.log('corpusflow: interrupted while building the dictionary; nothing to resume');
        return EXIT.pipelineError;
      }
      progress.log(`corpusflow: dictionary: ${formatCount(dictionary.numDocs)} documents, ${formatCount(dictionary.size)} tokens kept`);
      if (cache) progress.log(`corpusflow: token cache: ${(cache.bytes / 2 ** 20).toFixed(1)} MB; epochs and evaluation read it instead of the input`);
    }

    const model = online ? createModel(pipeline, online.capacity, online.capacity) : createModel(pipeline, dictionary.size);
    try {
      const trained = online ? await passOnline(built, model, progress, stop.signal, history) : await passTwo(built, dictionary, model, progress, stop.signal, checkpointDir, checkpoint, history, cache);
      if (trained.dictionary) dictionary = trained.dictionary;
      if (trained.interrupted && online) {
        progress.log(`corpusflow: interrupted at step ${trained.position.step}; online mode keeps no checkpoint, nothing to resume`);
        return EXIT.pipelineError;
      }
      if (trained.interrupted) {
        // Kept for --resume only when stamped (a glob input gets no stamp, so its cache could not be reused).
        keepCache = cache?.stamped === true;
        progress.log(
          `corpusflow: interrupted at step ${trained.position.step} (epoch ${trained.position.epoch}); checkpoint written to ${show(trained.checkpointPath!)}\n` +
            `corpusflow: continue with: corpusflow run ${pipeline.file} --resume`,
        );
        return EXIT.pipelineError;
      }
      progress.log(`corpusflow: trained ${trained.position.step} steps in ${formatDuration(trained.seconds)} (${formatCount(trained.docsPerSecond)} docs/s)`);

      // Evaluation and outputs.
      progress.update({ phase: 'evaluating' }, true);
      await saveModel(out, model, dictionary, pipeline);
      const topics = model.topics(dictionary, Math.max(pipeline.output.topWords, 25));
      // Coherence needs the token sequences (its windows count dropped tokens too), perplexity the bags of words.
      const texts: Observable<TokenizedDocument> = cache ? readTokenCacheTokens(cache.path, cache.tokens) : built.tokens;
      const quality = await topicQuality(topics, texts, { measure: pipeline.evaluate.coherence, topn: pipeline.evaluate.topn });
      const scored = await scoreCorpus(
        model,
        bowBatches(built, dictionary, {
          shuffled: false,
          size: 256,
          vocabSize: model.options.capacity,
          ...(cache ? { bows: readTokenCache(cache.path, cache.remap, { flow: built.source.flow }) } : {}),
        }),
        built.source.flow,
        pipeline.output.docTopics ? path.join(out, 'doc-topics.ndjson') : undefined,
      );
      const seconds = (Date.now() - started) / 1000;
      const metrics: Metrics = {
        npmi: round(quality.npmi),
        coherence_measure: pipeline.evaluate.coherence,
        coherence: round(quality.coherence),
        coherence_per_topic: quality.perTopic.map(round),
        diversity_top10: round(quality.diversity10),
        diversity_top25: round(quality.diversity25),
        perplexity: round(scored.perplexity),
        docs: scored.docs,
        tokens: scored.tokens,
        seconds: round(seconds),
        train_seconds: round(trained.seconds),
        docs_per_second: Math.round(trained.docsPerSecond),
        backend,
        peak_rss_mb: peakRssMb(),
        topics: pipeline.model.topics,
        vocab_size: dictionary.size,
        epochs: online ? 1 : pipeline.train.epochs,
        steps: trained.position.step,
        train_docs: trained.position.docs,
      };
      const shownTopics = topics.map((t) => ({ id: t.id, words: t.words.slice(0, pipeline.output.topWords) }));
      const topicWord = pipeline.output.report ? topicWordDistributions(model) : [];
      await writeRunFiles(
        out,
        shownTopics,
        metrics,
        pipeline.output.report
          ? {
              name: pipeline.name,
              createdAt: new Date().toISOString(),
              chain: describePipeline(pipeline, ctx.cwd),
              metadata: [
                ['pipeline', pipeline.file],
                ['source', `${pipeline.source.kind}: ${pipeline.source.path}`],
                ['backend', backend],
                ['documents', formatCount(scored.docs)],
                ['vocabulary', formatCount(dictionary.size)],
                ['topics', String(pipeline.model.topics)],
                ['epochs', online ? `1 (online, capacity ${online.capacity})` : String(pipeline.train.epochs)],
                ['steps', formatCount(trained.position.step)],
                ['training time', formatDuration(trained.seconds)],
                ['total time', formatDuration(seconds)],
                ['seed', String(pipeline.train.seed)],
              ],
              metrics: { ...metrics, coherence_per_topic: '' },
              history,
              topics: shownTopics.map((t) => ({
                id: t.id,
                words: t.words.map((w) => ({ ...w, p: topicWord[t.id]![dictionary.token2id.get(w.token)!] ?? 0 })),
              })),
              prevalence: scored.prevalence,
              topicWord,
            }
          : undefined,
      );
      progress.clear();
      reportSkipped(built.source, ctx);
      ctx.stdout.write(
        `${show(out)}: npmi ${metrics.npmi.toFixed(3)}, diversity@10 ${metrics.diversity_top10.toFixed(2)}, diversity@25 ${metrics.diversity_top25.toFixed(2)}, ` +
          `perplexity ${formatCount(metrics.perplexity)}, ${formatCount(metrics.docs)} docs, ${formatDuration(seconds)} on ${backend}\n`,
      );
      return EXIT.ok;
    } finally {
      model.dispose();
    }
  } finally {
    // A finished or failed run deletes its cache; an interrupted one leaves a stamped cache for --resume.
    if (cache && !keepCache) await removeCache(cache.path);
    progress.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : x;
}

/** The token-id cache pass 1 wrote, ready to read under the final dictionary. */
interface TokenCache {
  path: string;
  /** Documents in the cache: one epoch's worth before empty ones are dropped. */
  documents: number;
  bytes: number;
  /** Whether its stamp was written, so that a --resume can reuse it. */
  stamped: boolean;
  /** Cache id -> token for the coherence texts, per segment: dictionary tokens as such, the filtered-out ones as one stand-in. */
  tokens: (segment: number) => string[];
  /** Cache id -> dictionary id (-1: filtered out), per segment. */
  remap: CacheRemap;
}

/**
 * Pass 1: the dictionary, with progress from the bytes read; with `cacheFile`,
 * also the token-id cache (committed only when the pass completes).
 */
async function passOne(
  built: BuiltPipeline,
  progress: Progress,
  signal: AbortSignal,
  cacheFile: string | undefined,
): Promise<{ dictionary: Dictionary; cache?: TokenCache }> {
  const stats = () => built.source.stats;
  let writer: TokenCacheWriter | undefined;
  if (cacheFile) {
    await mkdir(path.dirname(cacheFile), { recursive: true });
    // The cache keeps no more distinct tokens in memory than the dictionary does (prune_at).
    const d = built.pipeline.dictionary;
    writer = new TokenCacheWriter(cacheFile, d.mode === 'two-pass' ? { maxVocabulary: d.pruneAt } : {});
  }
  let dictionary: Dictionary;
  // The input as pass 1 starts: the stamp is written only if it is the same when the cache is complete.
  const before = writer ? await cacheStamp(built.pipeline) : undefined;
  try {
    dictionary = await buildDictionary(
      built,
      (pass: Observable<unknown>) =>
        consume(pass, signal, undefined, () => {
          const s = stats();
          progress.update({ phase: 'dictionary', ...(s.bytesTotal ? { fraction: s.bytesRead / s.bytesTotal } : {}), detail: `${formatCount(s.emitted)} docs` });
        }),
      writer ? { tokenCache: writer } : {},
    );
    if (!writer || signal.aborted) {
      await writer?.abort();
      return { dictionary };
    }
    await writer.commit();
  } catch (e) {
    await writer?.abort().catch(() => undefined);
    throw e;
  }
  try {
    const after = await cacheStamp(built.pipeline);
    const stamped = before !== undefined && JSON.stringify(after) === JSON.stringify(before);
    if (stamped) await writeFileAtomic(stampPath(writer.path), JSON.stringify({ ...before, documents: writer.documents }) + '\n');
    return { dictionary, cache: await openCache(writer.path, writer.documents, dictionary, stamped) };
  } catch (e) {
    await removeCache(writer.path);
    throw e;
  }
}

/** A committed cache ready to read under `dictionary`. */
async function openCache(file: string, documents: number, dictionary: Dictionary, stamped: boolean): Promise<TokenCache> {
  const remap = await CacheRemap.fromFile(file, dictionary.token2id);
  // Coherence looks up only topic words, which are dictionary tokens; every other token just takes a
  // position in the sliding windows. So the tokens filter_extremes dropped can all read as one string
  // that is not in the dictionary, and pass 1's full vocabulary need not stay in memory.
  let stand = '';
  while (dictionary.token2id.has(stand)) stand += '\u0000';
  const id2token = dictionary.id2token;
  return {
    path: file,
    documents,
    bytes: (await stat(file)).size,
    stamped,
    tokens: (segment) => remap.tokens(segment, id2token, stand),
    remap,
  };
}

/**
 * What a cache is written from: the input file (size and modification time) and how it is read and
 * preprocessed. The cache holds tokens (its vocabulary file maps ids to strings), so it serves any
 * dictionary built from the same tokens. Undefined for inputs that are not one file (a glob, a directory).
 */
async function cacheStamp(pipeline: ResolvedPipeline): Promise<Record<string, unknown> | undefined> {
  try {
    const st = await stat(pipeline.source.path);
    // A directory's size and mtime do not change when a file in it is edited: only single files are stamped.
    if (!st.isFile()) return undefined;
    return { format: 1, source: pipeline.source, preprocess: pipeline.preprocess, input: { size: st.size, mtimeMs: st.mtimeMs } };
  } catch {
    return undefined;
  }
}

/** The cache left beside the checkpoints, when its three files are there and its stamp matches this pipeline and input. */
async function stampedCache(cacheFile: string, pipeline: ResolvedPipeline): Promise<{ documents: number } | undefined> {
  const now = await cacheStamp(pipeline);
  if (now === undefined || pipeline.dictionary.mode !== 'two-pass' || !pipeline.dictionary.cache) return undefined;
  try {
    const { documents, ...then } = JSON.parse(await readFile(stampPath(cacheFile), 'utf8')) as { documents: number };
    await stat(cacheFile);
    await stat(vocabularyPath(cacheFile));
    return JSON.stringify(then) === JSON.stringify(now) && Number.isInteger(documents) ? { documents } : undefined;
  } catch {
    return undefined;
  }
}

interface TrainOutcome {
  interrupted: boolean;
  position: TrainingPosition;
  seconds: number;
  docsPerSecond: number;
  checkpointPath?: string;
  /** Online mode: the live vocabulary, ids = model rows. */
  dictionary?: Dictionary;
}

/**
 * Online mode: one pass over the input, the vocabulary grown while training
 * (src/train/online.ts). Progress comes from the bytes read.
 */
async function passOnline(built: BuiltPipeline, model: ProdLDA, progress: Progress, signal: AbortSignal, history: LossHistory): Promise<TrainOutcome> {
  const p = built.pipeline;
  const vocabulary = new OnlineVocabulary({ capacity: model.options.capacity });
  const optimizer = createOptimizer(optimizerSpec(p));
  const position: TrainingPosition = { step: 0, epoch: 1, position: 0, docs: 0, epochLossSum: 0, epochSteps: 0, best: null, wait: 0 };
  const batches = onlineBowBatches(built, vocabulary, model, optimizer).pipe(
    tap((b) => {
      position.step++;
      position.docs += b.size;
      position.position += b.size;
    }),
  );
  const trainStart = performance.now();
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'step') {
      history.steps.push({ step: e.step, epoch: 1, loss: round(e.loss), docsPerSecond: Math.round(e.docsPerSecond) });
      const s = built.source.stats;
      progress.update(
        {
          phase: 'training',
          ...(s.bytesTotal ? { fraction: Math.min(1, s.bytesRead / s.bytesTotal) } : {}),
          epoch: 1,
          epochs: 1,
          docsPerSecond: e.docsPerSecond,
          loss: e.loss,
          detail: `${formatCount(vocabulary.size)} tokens live, ${formatCount(vocabulary.stats.pruned)} pruned`,
        },
        !progress.tty && e.step % p.train.logEvery === 0,
      );
    } else if (e.type === 'epochEnd') {
      history.epochs.push({ epoch: 1, step: e.step, loss: round(e.loss) });
    }
  };
  try {
    await consume(batches.pipe(train(model, { epochs: 1, optimizer, seed: p.train.seed, logEvery: Math.min(progress.tty ? 5 : 10, p.train.logEvery) })), signal, undefined, onEvent);
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - trainStart) / 1000;
  progress.log(`corpusflow: online vocabulary: ${formatCount(vocabulary.size)} tokens live of ${formatCount(vocabulary.capacity)} rows, ${formatCount(vocabulary.stats.pruned)} pruned`);
  return { interrupted: signal.aborted, position, seconds, docsPerSecond: seconds > 0 ? position.docs / seconds : 0, dictionary: vocabulary.toDictionary() };
}

/**
 * Pass 2: train. Tracks where training stands (step, epoch, documents into
 * the epoch) from the batches going in, so an interrupt can checkpoint
 * exactly between two steps: steps run synchronously inside the source's
 * `next`, and the signal handler runs between them.
 */
async function passTwo(
  built: BuiltPipeline,
  dictionary: Dictionary,
  model: ProdLDA,
  progress: Progress,
  signal: AbortSignal,
  checkpointDir: string,
  checkpoint: Checkpoint | undefined,
  history: LossHistory,
  cache: TokenCache | undefined,
): Promise<TrainOutcome> {
  const p = built.pipeline;
  const h = checkpoint?.header;
  const position: TrainingPosition = h
    ? { step: h.step, epoch: h.epoch, position: h.position, docs: h.docs, epochLossSum: h.epochLossSum, epochSteps: h.epochSteps, best: h.best, wait: h.wait }
    : { step: 0, epoch: 1, position: 0, docs: 0, epochLossSum: 0, epochSteps: 0, best: null, wait: 0 };
  // the optimizer is ours (not the trainer's) so its state is still there to checkpoint on interrupt
  const optimizer = createOptimizer(optimizerSpec(p));
  const bows: Observable<BowDocument> | undefined = cache ? readTokenCache(cache.path, cache.remap) : undefined;
  const batches = bowBatches(built, dictionary, { shuffled: true, startEpoch: position.epoch - 1, ...(bows ? { bows } : {}) });
  let subscriptions = 0;
  const tracked: Observable<BowBatch> = defer(() => {
    // Mirrors the trainer: the first epoch after a resume skips whole batches until `position` documents are passed.
    const skip = subscriptions === 0 ? position.position : 0;
    if (subscriptions++ > 0) Object.assign(position, { epoch: position.epoch + 1, position: 0, epochLossSum: 0, epochSteps: 0 });
    let skipped = 0;
    return batches.pipe(
      tap((b) => {
        if (skipped < skip) {
          skipped += b.size;
          return;
        }
        position.step++;
        position.docs += b.size;
        position.position += b.size;
      }),
    );
  });

  const trainStart = performance.now();
  const docsAtStart = position.docs;
  const tty = progress.tty;
  let lastEvent: { loss: number; docsPerSecond: number } = { loss: NaN, docsPerSecond: 0 };
  const update = (force = false) => {
    // Reading the cache moves no bytes of the input: count the documents trained on in this epoch instead.
    const s = built.source.stats;
    const inEpoch = cache ? Math.min(1, position.position / Math.max(1, cache.documents)) : s.bytesTotal ? Math.min(1, s.bytesRead / s.bytesTotal) : 0;
    const done = (position.epoch - 1 + inEpoch) / p.train.epochs;
    const elapsed = (performance.now() - trainStart) / 1000;
    const startedAt = h ? (h.epoch - 1 + 0) / p.train.epochs : 0;
    const rate = (done - startedAt) / elapsed;
    progress.update(
      {
        phase: 'training',
        fraction: done,
        epoch: position.epoch,
        epochs: p.train.epochs,
        docsPerSecond: lastEvent.docsPerSecond,
        loss: lastEvent.loss,
        ...(rate > 0 && elapsed > 2 ? { eta: (1 - done) / rate } : {}),
      },
      force,
    );
  };
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'step') {
      lastEvent = { loss: e.loss, docsPerSecond: e.docsPerSecond };
      history.steps.push({ step: e.step, epoch: e.epoch, loss: round(e.loss), docsPerSecond: Math.round(e.docsPerSecond) });
      update(!tty && e.step % p.train.logEvery === 0);
    } else if (e.type === 'epochEnd') {
      history.epochs.push({ epoch: e.epoch, step: e.step, loss: round(e.loss) });
    } else if (e.type === 'checkpoint') {
      void writeHistory(checkpointDir, history);
    }
  };

  try {
    await consume(
      tracked.pipe(
        train(model, {
          epochs: p.train.epochs,
          optimizer,
          seed: p.train.seed,
          // frequent enough for a smooth loss curve in the report; log lines are throttled separately
          logEvery: Math.min(tty ? 5 : 10, p.train.logEvery),
          ...(p.train.checkpointEvery > 0 ? { checkpoint: { dir: checkpointDir, every: p.train.checkpointEvery, keep: 3, dictionary } } : {}),
          ...(checkpoint ? { resume: checkpoint } : {}),
        }),
      ),
      signal,
      undefined,
      onEvent,
    );
    const seconds = (performance.now() - trainStart) / 1000;
    const docsPerSecond = seconds > 0 ? (position.docs - docsAtStart) / seconds : 0;
    if (signal.aborted) {
      // Stopped between two steps: the model and optimizer are exactly at `position`.
      const snap = snapshotCheckpoint(model as never, optimizer, { ...position }, dictionary);
      const file = await writeCheckpoint(checkpointDir, snap, 3);
      await writeHistory(checkpointDir, history);
      return { interrupted: true, position, seconds, docsPerSecond, checkpointPath: file };
    }
    return { interrupted: false, position, seconds, docsPerSecond };
  } finally {
    optimizer.dispose();
  }
}

async function writeHistory(dir: string, history: LossHistory): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, HISTORY_FILE), JSON.stringify(history));
}

/** The loss curve saved with the checkpoints, cut back to the checkpoint's step. */
async function readHistory(dir: string, step: number): Promise<LossHistory> {
  try {
    const h = JSON.parse(await readFile(path.join(dir, HISTORY_FILE), 'utf8')) as LossHistory;
    return { steps: h.steps.filter((s) => s.step <= step), epochs: h.epochs.filter((e) => e.step <= step) };
  } catch {
    return { steps: [], epochs: [] };
  }
}

/**
 * Delete the temp files (`<name>.tmp-<pid>-<hex>`, see io/atomic.ts) that a killed run left behind. They
 * never shadow a real file, but would pile up over repeated crashes. Only files whose writer process is
 * gone are removed, so a run still writing into the same directory is left alone.
 */
async function removeStaleTempFiles(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
      if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
      await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as { code?: string }).code !== 'ESRCH';
  }
}
