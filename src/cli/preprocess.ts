/** `corpusflow preprocess`: documents in, NDJSON `{"id","tokens"}` out, streaming and in input order. */
import { createPreprocess, createSource } from '../config/sources.js';
import { mapAsync } from '../sources/map-async.js';
import type { TokenizedDocument } from '../sources/types.js';
import type { Command } from './context.js';
import { EXIT } from './context.js';
import { LineWriter } from './output.js';
import { FILTER_FLAG, SOURCE_FLAGS, filtersFromFlag, sourceFromFlags } from './source-flags.js';
import { consume, reportSkipped } from './summary.js';

export const preprocessCommand: Command = {
  spec: {
    name: 'preprocess',
    summary: 'Tokenise documents exactly as gensim does and write NDJSON {"id","tokens"} to stdout, in input order.',
    usage: '--input FILE|- [--format ndjson|csv|text] [--text-field F] [--id-field F] [--filters default|simple|NAME,...]',
    description:
      'Streams: memory stays flat whatever the input size, and reading pauses while stdout is full.\n' +
      'Filter names are gensim.parsing.preprocessing\'s (lowercase, strip_tags, strip_punctuation, ...).',
    flags: { ...SOURCE_FLAGS, ...FILTER_FLAG },
    positionals: [],
    examples: [
      'corpusflow preprocess --input corpus.ndjson.gz > tokens.ndjson',
      "corpusflow preprocess --input mails.csv --text-field body --filters lowercase,strip_tags,strip_punctuation",
      'cat docs.ndjson | corpusflow preprocess --input - --filters simple | head',
      'corpusflow preprocess --input big.ndjson --on-error skip --dead-letter bad.ndjson > tokens.ndjson',
    ],
  },
  async run(args, ctx) {
    const spec = sourceFromFlags(args, ctx.cwd, 'preprocess');
    const filters = filtersFromFlag(args.flags.filters as string | undefined);
    const source = await createSource(spec);
    const out = new LineWriter(ctx.stdout);
    const write = (doc: TokenizedDocument) => out.write(JSON.stringify({ id: doc.id, tokens: doc.tokens }));
    await consume(
      source.pipe(
        createPreprocess(filters),
        // Only documents that meet a full stdout wait asynchronously, holding a flow-control credit so the source pauses.
        mapAsync((doc: TokenizedDocument) => write(doc), { flow: source.flow }),
      ),
      ctx.signal,
      () => out.closed,
    );
    await out.end();
    reportSkipped(source, ctx);
    return EXIT.ok;
  },
};
