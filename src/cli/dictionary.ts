/** `corpusflow dictionary`: build a gensim Dictionary from a corpus and save it in gensim's text format. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FILTER_EXTREMES_DEFAULTS } from '../config/resolve.js';
import { createPreprocess, createSource } from '../config/sources.js';
import { Dictionary } from '../dictionary/dictionary.js';
import { updateDictionary } from '../dictionary/update-dictionary.js';
import { CorpusflowError } from '../errors.js';
import type { Command } from './context.js';
import { EXIT } from './context.js';
import { FILTER_FLAG, SOURCE_FLAGS, filtersFromFlag, sourceFromFlags } from './source-flags.js';
import { consume, formatCount, reportSkipped } from './summary.js';

export const dictionaryCommand: Command = {
  spec: {
    name: 'dictionary',
    summary: "Build a gensim-identical Dictionary from a corpus and write it in gensim's text format (Dictionary.save_as_text).",
    usage: '--input FILE|- [source and --filters flags] [--no-below N] [--no-above F] [--keep-n N] --out dict.txt',
    description:
      'Without --filters the text is tokenised with gensim\'s DEFAULT_FILTERS.\n' +
      'Without --no-below/--no-above/--keep-n no filter_extremes is applied; with any of them,\n' +
      `filter_extremes runs with gensim's defaults for the others (no_below=${FILTER_EXTREMES_DEFAULTS.noBelow}, no_above=${FILTER_EXTREMES_DEFAULTS.noAbove}, keep_n=${FILTER_EXTREMES_DEFAULTS.keepN}).\n` +
      'Streams: memory grows with the vocabulary, not with the corpus.',
    flags: {
      ...SOURCE_FLAGS,
      ...FILTER_FLAG,
      'no-below': { type: 'integer', value: 'N', describe: 'filter_extremes: drop tokens in fewer than N documents' },
      'no-above': { type: 'number', value: 'F', describe: 'filter_extremes: drop tokens in more than this fraction of documents' },
      'keep-n': { type: 'integer', value: 'N', describe: 'filter_extremes: then keep the N most frequent' },
      'prune-at': { type: 'integer', value: 'N', describe: "gensim's prune_at while adding documents (default 2000000)" },
      out: { type: 'string', value: 'FILE', describe: 'where to write the dictionary (required)' },
    },
    positionals: [],
    examples: [
      'corpusflow dictionary --input corpus.ndjson.gz --out dict.txt',
      'corpusflow dictionary --input corpus.ndjson.gz --no-below 5 --no-above 0.5 --out dict.txt',
      'corpusflow dictionary --input bbc.ndjson.gz --filters none --keep-n 2000 --out bbc-dict.txt',
      "python3 -c \"from gensim.corpora import Dictionary; print(Dictionary.load_from_text('dict.txt'))\"",
    ],
  },
  async run(args, ctx) {
    const f = args.flags;
    const out = f.out as string | undefined;
    if (out === undefined) throw new CorpusflowError('USAGE', 'missing --out FILE', { hint: 'see: corpusflow dictionary --help' });
    const spec = sourceFromFlags(args, ctx.cwd, 'dictionary');
    const filters = filtersFromFlag(f.filters as string | undefined);
    const pruneAt = (f['prune-at'] as number | undefined) ?? 2_000_000;
    const filtering = f['no-below'] !== undefined || f['no-above'] !== undefined || f['keep-n'] !== undefined;
    const source = await createSource(spec);
    const dict = new Dictionary();
    // gensim's add_documents pruning schedule, one document at a time (no buffering)
    await consume(source.pipe(createPreprocess(filters), updateDictionary(dict, { pruneAt })), ctx.signal);
    if (ctx.signal.aborted) return EXIT.pipelineError;
    const before = dict.size;
    if (filtering) {
      dict.filterExtremes({
        noBelow: (f['no-below'] as number | undefined) ?? FILTER_EXTREMES_DEFAULTS.noBelow,
        noAbove: (f['no-above'] as number | undefined) ?? FILTER_EXTREMES_DEFAULTS.noAbove,
        keepN: (f['keep-n'] as number | undefined) ?? FILTER_EXTREMES_DEFAULTS.keepN,
      });
    }
    const target = path.resolve(ctx.cwd, out);
    await mkdir(path.dirname(target), { recursive: true });
    await dict.saveAsText(target);
    reportSkipped(source, ctx);
    ctx.stderr.write(
      `corpusflow: ${formatCount(dict.numDocs)} documents, ${formatCount(dict.numPos)} tokens, ${formatCount(before)} unique` +
        (filtering ? ` -> ${formatCount(dict.size)} after filter_extremes` : '') +
        `; wrote ${out}\n`,
    );
    return EXIT.ok;
  },
};
