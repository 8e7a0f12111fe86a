/** `corpusflow validate PIPELINE`: check a pipeline file and list every problem with its position. */
import { validatePipelineFile } from '../config/load.js';
import { describePipeline, resolvePipeline } from '../config/resolve.js';
import type { Command } from './context.js';
import { EXIT } from './context.js';

export const validateCommand: Command = {
  spec: {
    name: 'validate',
    summary: 'Check a pipeline file against the schema and report every problem with its key path, line and column.',
    usage: 'PIPELINE [--set key.path=value]...',
    flags: {
      set: { type: 'string', multiple: true, value: 'KEY=VALUE', describe: 'override a key before validating (value parsed as YAML)' },
    },
    positionals: ['PIPELINE'],
    examples: ['corpusflow validate pipelines/quickstart.yaml', 'corpusflow validate pipelines/bbc.yaml --set train.epochs=5'],
  },
  async run(args, ctx) {
    const file = args.positionals[0]!;
    const result = await validatePipelineFile(file, { set: (args.flags.set as string[] | undefined) ?? [], env: ctx.env, cwd: ctx.cwd });
    if (!result.ok) {
      for (const e of result.errors) ctx.stderr.write(`${e.message}\n`);
      ctx.stderr.write(`${file}: ${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}\n`);
      return EXIT.usageError;
    }
    const p = resolvePipeline(result.pipeline.config, file, ctx.cwd);
    ctx.stdout.write(`${file}: valid\n  ${describePipeline(p, ctx.cwd)}\n`);
    return EXIT.ok;
  },
};
