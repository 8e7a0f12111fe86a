/** `corpusflow evaluate`: coherence, diversity and perplexity of a trained model over a corpus, as JSON. */
import { bufferCount, tap } from 'rxjs';
import { toSparseBowBatch } from '../batch/tensors.js';
import { initBackend, type BackendChoice } from '../backend.js';
import { createPreprocess, createSource } from '../config/sources.js';
import { CorpusflowError } from '../errors.js';
import { COHERENCE_MEASURES, CoherenceAccumulator, type CoherenceMeasure } from '../eval/coherence.js';
import { topicDiversity } from '../eval/diversity.js';
import { perplexity } from '../eval/perplexity.js';
import type { TokenizedDocument } from '../sources/types.js';
import type { Command } from './context.js';
import { EXIT } from './context.js';
import { loadModelDir } from './model-dir.js';
import { FILTER_FLAG, SOURCE_FLAGS, filtersFromFlag, sourceFromFlags } from './source-flags.js';
import { consume, reportSkipped } from './summary.js';

export const evaluateCommand: Command = {
  spec: {
    name: 'evaluate',
    summary: 'Score a trained model on a corpus: gensim-identical coherence, topic diversity and perplexity, as JSON.',
    usage: '--model DIR --input FILE|- [--measures c_npmi,u_mass,c_uci,c_v] [--topn 10]',
    description:
      'One streaming pass over the input. Coherence equals gensim CoherenceModel over the same tokens;\n' +
      'diversity is the unique share of the top-10 / top-25 words; perplexity is exp(sum of the\n' +
      "documents' negative ELBO / their tokens), an upper bound, over documents with dictionary tokens.",
    flags: {
      model: { type: 'string', value: 'DIR', describe: 'output directory of `corpusflow run` (or its model/ directory)' },
      ...SOURCE_FLAGS,
      ...FILTER_FLAG,
      backend: { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend, default auto' },
      measures: { type: 'string', value: 'M,M', describe: 'coherence measures: c_npmi (default), u_mass, c_uci, c_v' },
      topn: { type: 'integer', value: 'N', describe: 'top words per topic for coherence, default 10' },
    },
    positionals: [],
    examples: [
      'corpusflow evaluate --model out/quickstart --input samples/corpora/field-notes.ndjson',
      'corpusflow evaluate --model out/bbc --input heldout.ndjson.gz --measures c_npmi,c_v --topn 10',
    ],
  },
  async run(args, ctx) {
    const f = args.flags;
    const dir = f.model as string | undefined;
    if (dir === undefined) throw new CorpusflowError('USAGE', 'missing --model DIR', { hint: 'see: corpusflow evaluate --help' });
    const measures = ((f.measures as string | undefined) ?? 'c_npmi').split(',').map((m) => m.trim()) as CoherenceMeasure[];
    for (const m of measures) {
      if (!COHERENCE_MEASURES.includes(m)) throw new CorpusflowError('USAGE', `unknown coherence measure "${m}": expected ${COHERENCE_MEASURES.join(' | ')}`);
    }
    const topn = (f.topn as number | undefined) ?? 10;
    await initBackend((f.backend as BackendChoice | undefined) ?? 'auto', { log: f.verbose ? (line) => ctx.stderr.write(line + '\n') : false });
    const { model, dictionary, info } = await loadModelDir(dir);
    try {
      const spec = sourceFromFlags(args, ctx.cwd, 'evaluate');
      if (f['text-field'] === undefined && info?.textField) spec.textField = info.textField;
      const filters = f.filters !== undefined ? filtersFromFlag(f.filters as string) : (info?.preprocess ?? 'default');
      const source = await createSource(spec);
      const topics = model.topics(dictionary, Math.max(25, topn));
      const words = topics.map((t) => t.words.map((w) => w.token));
      const accumulator = new CoherenceAccumulator(
        words.map((w) => w.slice(0, topn)),
        { measures, topn },
      );
      let nll = 0;
      let tokens = 0;
      let docs = 0;
      let read = 0;
      const score = (batch: TokenizedDocument[]) => {
        const bows = batch.map((d) => ({ id: d.id, bow: dictionary.doc2bow(d.tokens) })).filter((d) => d.bow.length > 0);
        if (bows.length === 0) return;
        const b = toSparseBowBatch(bows, model.options.capacity); // online models have row ids up to their capacity
        try {
          const loss = model.lossFn(b, false);
          nll += loss.dataSync()[0]! * b.size;
          loss.dispose();
          tokens += b.tokens;
          docs += b.size;
        } finally {
          b.dispose();
        }
      };
      // One pass: coherence counts and perplexity from the same documents.
      await consume(
        source.pipe(
          createPreprocess(filters),
          tap((d: TokenizedDocument) => {
            accumulator.add(d.tokens);
            read++;
          }),
          bufferCount(256),
          tap(score),
        ),
        ctx.signal,
      );
      const depth = (k: number) => Math.min(k, ...words.map((w) => w.length));
      const result: Record<string, unknown> = {};
      for (const m of measures) {
        const r = accumulator.result(m);
        result[m === 'c_npmi' ? 'npmi' : m] = r.mean;
        result[`${m}_per_topic`] = r.perTopic;
      }
      Object.assign(result, {
        diversity_top10: topicDiversity(words, depth(10)),
        diversity_top25: topicDiversity(words, depth(25)),
        perplexity: tokens > 0 ? perplexity(nll, tokens) : null,
        docs: read,
        docs_scored: docs,
        tokens,
        topics: model.options.topics,
        topn,
      });
      reportSkipped(source, ctx);
      ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return EXIT.ok;
    } finally {
      model.dispose();
    }
  },
};
