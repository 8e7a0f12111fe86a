import t from 'tap';
import { formatHelp, parseArgs, type CommandSpec } from '../../src/cli/args.js';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'A demo command.',
  usage: 'FILE [--n N]',
  flags: {
    n: { type: 'integer', value: 'N', describe: 'a count' },
    ratio: { type: 'number', describe: 'a fraction' },
    'no-below': { type: 'integer', describe: 'not a negation' },
    mode: { type: 'string', choices: ['fast', 'slow'], describe: 'speed' },
    set: { type: 'string', multiple: true, describe: 'overrides' },
    dry: { type: 'boolean', describe: 'do nothing' },
  },
  positionals: ['FILE', 'OTHER?'],
  examples: ['corpusflow demo a.txt --n 3'],
};

const ok: Array<[string, string[], Record<string, unknown>, string[]]> = [
  ['positional only', ['a'], {}, ['a']],
  ['space-separated value', ['a', '--n', '3'], { n: 3 }, ['a']],
  ['inline value', ['--n=3', 'a'], { n: 3 }, ['a']],
  ['--no-below is a flag of its own', ['a', '--no-below', '5'], { 'no-below': 5 }, ['a']],
  ['number', ['a', '--ratio', '0.5'], { ratio: 0.5 }, ['a']],
  ['choices', ['a', '--mode', 'slow'], { mode: 'slow' }, ['a']],
  ['repeatable', ['a', '--set', 'x=1', '--set', 'y=2'], { set: ['x=1', 'y=2'] }, ['a']],
  ['boolean', ['a', '--dry'], { dry: true }, ['a']],
  ['boolean =false', ['a', '--dry=false'], { dry: false }, ['a']],
  ['- is a positional (stdin)', ['-'], {}, ['-']],
  ['-- ends options', ['--', '--n'], {}, ['--n']],
  ['optional positional', ['a', 'b'], {}, ['a', 'b']],
  ['short alias', ['a', '-v'], { verbose: true }, ['a']],
  ['help skips positional checks', ['--help'], { help: true }, []],
];

for (const [name, argv, flags, positionals] of ok) {
  t.test(name, async (t) => {
    const r = parseArgs(argv, spec);
    t.same(r.flags, flags);
    t.same(r.positionals, positionals);
  });
}

const bad: Array<[string, string[], string]> = [
  ['unknown option with did-you-mean', ['a', '--ratoi', '1'], 'unknown option --ratoi [USAGE] (did you mean --ratio?)'],
  ['unknown short option', ['a', '-x'], 'unknown option -x [USAGE] (see: corpusflow demo --help)'],
  ['missing value', ['a', '--n'], 'option --n needs a value (N) [USAGE] (see: corpusflow demo --help)'],
  ['not an integer', ['a', '--n', '2.5'], 'option --n expects an integer, got "2.5" [USAGE] (see: corpusflow demo --help)'],
  ['not a number', ['a', '--ratio', 'half'], 'option --ratio expects a number, got "half" [USAGE] (see: corpusflow demo --help)'],
  ['bad choice', ['a', '--mode', 'fats'], 'option --mode expects one of fast | slow, got "fats" [USAGE] (did you mean "fast"?)'],
  ['given twice', ['a', '--n', '1', '--n', '2'], 'option --n given twice [USAGE] (see: corpusflow demo --help)'],
  ['boolean with a value', ['a', '--dry=yes'], 'option --dry takes no value, got "yes" [USAGE] (see: corpusflow demo --help)'],
  ['missing positional', [], 'missing FILE [USAGE] (see: corpusflow demo --help)'],
  ['extra positional', ['a', 'b', 'c'], 'unexpected argument "c" [USAGE] (see: corpusflow demo --help)'],
];

for (const [name, argv, message] of bad) {
  t.test(name, async (t) => {
    t.throws(() => parseArgs(argv, spec), { code: 'USAGE', message });
  });
}

t.test('help lists every flag, the examples and the exit codes', async (t) => {
  const help = formatHelp(spec);
  for (const flag of ['--n N', '--ratio', '--no-below', '--mode fast|slow', '--set', '--dry', '--help', '--verbose']) t.match(help, flag);
  t.match(help, 'corpusflow demo a.txt --n 3');
  t.match(help, 'Exit codes: 0 ok, 1 pipeline error, 2 usage or config error.');
});
