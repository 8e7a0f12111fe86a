import t from 'tap';
import { distBuilt, runCli } from '../fixtures/cli/run-cli.js';
import { COMMANDS } from '../../src/cli/main.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

t.test('every command has --help with examples', async (t) => {
  for (const c of COMMANDS) {
    t.ok(c.spec.examples.length > 0, `${c.spec.name} has examples`);
    for (const e of c.spec.examples) if (e.startsWith('corpusflow ')) t.match(e, `corpusflow ${c.spec.name}`, `${c.spec.name} example names its command`);
  }
  const r = await runCli(['preprocess', '--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: corpusflow preprocess /);
  t.match(r.stdout, 'Examples:');
});

const usage: Array<[string, string[], number, string]> = [
  ['no command', [], 2, 'Usage: corpusflow <command>'],
  ['unknown command', ['trian'], 2, 'corpusflow: unknown command "trian" [USAGE] (see: corpusflow --help)\n'],
  ['typo of a command', ['inpsect'], 2, 'corpusflow: unknown command "inpsect" [USAGE] (did you mean "inspect"?)\n'],
  ['unknown flag', ['preprocess', '--input', 'x', '--filter', 'none'], 2, 'corpusflow preprocess: unknown option --filter [USAGE] (did you mean --filters?)\n'],
];
for (const [name, argv, code, stderr] of usage) {
  t.test(name, async (t) => {
    const r = await runCli(argv);
    t.equal(r.code, code);
    t.match(r.stderr, stderr);
  });
}

t.test('--help and --version exit 0', async (t) => {
  const h = await runCli(['--help']);
  t.equal(h.code, 0);
  for (const c of COMMANDS) t.match(h.stdout, `  ${c.spec.name}`);
  const v = await runCli(['--version']);
  t.equal(v.code, 0);
  t.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});
