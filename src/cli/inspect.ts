/** `corpusflow inspect PIPELINE`: print the resolved pipeline as a chain, like tf.data's summary(). */
import { loadPipeline } from '../config/load.js';
import { describePipeline, resolvePipeline } from '../config/resolve.js';
import type { Command } from './context.js';
import { EXIT } from './context.js';

export const inspectCommand: Command = {
  spec: {
    name: 'inspect',
    summary: 'Print the resolved pipeline (every default filled in) as one chain of stages.',
    usage: 'PIPELINE [--set key.path=value]... [--json]',
    flags: {
      set: { type: 'string', multiple: true, value: 'KEY=VALUE', describe: 'override a key (value parsed as YAML)' },
      json: { type: 'boolean', describe: 'print the resolved settings as JSON instead' },
    },
    positionals: ['PIPELINE'],
    examples: ['corpusflow inspect pipelines/quickstart.yaml', 'corpusflow inspect pipelines/bbc.yaml --set model.prodlda.topics=50 --json'],
  },
  async run(args, ctx) {
    const file = args.positionals[0]!;
    const loaded = await loadPipeline(file, { set: (args.flags.set as string[] | undefined) ?? [], env: ctx.env, cwd: ctx.cwd });
    const p = resolvePipeline(loaded.config, file, ctx.cwd);
    ctx.stdout.write(args.flags.json ? JSON.stringify(p, null, 2) + '\n' : describePipeline(p, ctx.cwd) + '\n');
    return EXIT.ok;
  },
};
