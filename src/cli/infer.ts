/** `corpusflow infer`: stream records through a trained model and write them back out with their topic mix added. */
import { bufferCount, map } from 'rxjs';
import { toSparseBowBatch } from '../batch/tensors.js';
import { initBackend, type BackendChoice } from '../backend.js';
import { createPreprocess, createSource } from '../config/sources.js';
import { CorpusflowError } from '../errors.js';
import { mapAsync } from '../sources/map-async.js';
import type { Document, TokenizedDocument } from '../sources/types.js';
import type { Command } from './context.js';
import { EXIT } from './context.js';
import { loadModelDir } from './model-dir.js';
import { LineWriter } from './output.js';
import { FILTER_FLAG, SOURCE_FLAGS, filtersFromFlag, sourceFromFlags } from './source-flags.js';
import { consume, reportSkipped } from './summary.js';

export const inferCommand: Command = {
  spec: {
    name: 'infer',
    summary: "Add each record's topic mix and top topic to it, streaming NDJSON records from FILE or stdin to stdout.",
    usage: '--model DIR [--input FILE|-] [--format ndjson|csv|text] [--field topics]',
    description:
      'Each record comes out as it went in, plus {"<field>": {"top": k, "weights": [K numbers]}}.\n' +
      'Text is tokenised as at training time (model/pipeline.json), unless --filters says otherwise.\n' +
      'Memory stays constant: records are handled in batches of --batch-size and output pauses the input.\n' +
      'Bad records follow --on-error (fail: stop; skip: count them, write them to --dead-letter, go on).',
    flags: {
      model: { type: 'string', value: 'DIR', describe: 'output directory of `corpusflow run` (or its model/ directory)' },
      ...SOURCE_FLAGS,
      ...FILTER_FLAG,
      backend: { type: 'string', choices: ['auto', 'tensorflow', 'wasm', 'cpu'], describe: 'tfjs backend, default auto' },
      field: { type: 'string', value: 'NAME', describe: 'name of the field added to each record, default "topics"' },
      'batch-size': { type: 'integer', value: 'N', describe: 'records per inference batch, default 64' },
    },
    positionals: [],
    examples: [
      'corpusflow infer --model out/quickstart --input samples/corpora/field-notes.ndjson > tagged.ndjson',
      'cat new-mail.ndjson | corpusflow infer --model out/spam --field topic_mix --on-error skip',
      'corpusflow infer --model out/reviews --input reviews.csv --text-field review --id-field review_id',
    ],
  },
  async run(args, ctx) {
    const f = args.flags;
    const dir = f.model as string | undefined;
    if (dir === undefined) throw usage('missing --model DIR');
    await initBackend((f.backend as BackendChoice | undefined) ?? 'auto', { log: f.verbose ? (line) => ctx.stderr.write(line + '\n') : false });
    const { model, dictionary, info } = await loadModelDir(dir);
    try {
      if (f.input === undefined) f.input = '-';
      const spec = sourceFromFlags(args, ctx.cwd, 'infer');
      if (f['text-field'] === undefined && info?.textField) spec.textField = info.textField;
      const filters = f.filters !== undefined ? filtersFromFlag(f.filters as string) : (info?.preprocess ?? 'default');
      const field = (f.field as string | undefined) ?? 'topics';
      const batchSize = (f['batch-size'] as number | undefined) ?? 64;
      if (batchSize < 1) throw usage('option --batch-size expects a positive integer');
      const source = await createSource(spec);
      const out = new LineWriter(ctx.stdout);
      const K = model.options.topics;

      const inferBatch = (docs: TokenizedDocument[]): Promise<void> | undefined => {
        const batch = toSparseBowBatch(
          docs.map((d, i) => ({ id: i, bow: dictionary.doc2bow(d.tokens) })),
          model.options.capacity, // online models have row ids up to their capacity
        );
        let theta: Float32Array;
        try {
          const t = model.transform(batch);
          theta = t.dataSync() as Float32Array;
          t.dispose();
        } finally {
          batch.dispose();
        }
        let waiting: Promise<void> | undefined;
        docs.forEach((d, i) => {
          const weights = Array.from(theta.subarray(i * K, (i + 1) * K), (v) => Number(v.toFixed(6)));
          let top = 0;
          for (let k = 1; k < K; k++) if (weights[k]! > weights[top]!) top = k;
          const record = { ...(d.record as Document), [field]: { top, weights } };
          waiting = out.write(JSON.stringify(record)) ?? waiting;
        });
        return waiting;
      };

      await consume(
        source.pipe(
          // keep the whole record beside the text; preprocess passes other fields through
          map((doc: Document, i) => ({ id: i, text: doc.text, record: doc })),
          createPreprocess(filters),
          bufferCount(batchSize),
          mapAsync(inferBatch, { flow: source.flow }),
        ),
        ctx.signal,
        () => out.closed,
      );
      await out.end();
      reportSkipped(source, ctx);
      return EXIT.ok;
    } finally {
      model.dispose();
    }
  },
};

function usage(reason: string): CorpusflowError {
  return new CorpusflowError('USAGE', reason, { hint: 'see: corpusflow infer --help' });
}
