// Side-by-side Dictionary benchmark: gensim (bench/peers/dictionary.py) and
// corpusflow (bench/dictionary/dictionary.mjs) on the same tokens file,
// alternating for --rounds rounds so both see the same machine load; keeps the
// best wall-clock and best CPU time of each and prints the ratios as JSON.
//
// Usage (after `npx tsc -p tsconfig.json --noEmitOnError false`):
//   node bench/dictionary/run.mjs [TOKENS.ndjson[.gz]] [--rounds N]
// Default tokens: test/fixtures/dictionary/spam-shared/preprocess.ndjson.gz (gensim's own tokens).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
let rounds = 3;
const r = args.indexOf('--rounds');
if (r !== -1) {
  rounds = Number(args[r + 1]);
  args.splice(r, 2);
}
const tokens = args[0] ?? 'test/fixtures/dictionary/spam-shared/preprocess.ndjson.gz';
const python = '/usr/bin/python3';
const gensimCmd = [python, 'bench/peers/dictionary.py', tokens, '--repeat', '3'];
const oursCmd = [process.execPath, 'bench/dictionary/dictionary.mjs', tokens, '--repeat', '5'];

let haveGensim = existsSync(python);
if (haveGensim) {
  try {
    execFileSync(python, ['-c', 'import gensim'], { stdio: 'ignore' });
  } catch {
    haveGensim = false;
  }
}
if (!haveGensim) console.error('gensim not found (Debian python3-gensim at /usr/bin/python3): running corpusflow only');

const run = (cmd) => JSON.parse(execFileSync(cmd[0], cmd.slice(1), { cwd: root, encoding: 'utf8' }).trim().split('\n').pop());
const best = (a, b) => (a === undefined ? b : { ...b, seconds: Math.min(a.seconds, b.seconds), cpu_seconds: Math.min(a.cpu_seconds, b.cpu_seconds) });
let gensim;
let ours;
for (let i = 0; i < rounds; i++) {
  if (haveGensim) gensim = best(gensim, run(gensimCmd));
  ours = best(ours, run(oursCmd));
}
const result = {
  benchmark: 'Dictionary(tokens) + filter_extremes(5, 0.5, 100000); reading and JSON parsing excluded on both sides',
  tokens,
  rounds,
  corpusflow: { ...ours, docs_per_s: Number((ours.docs / ours.seconds).toFixed(1)), command: oursCmd.join(' ') },
  ...(gensim
    ? {
        gensim: { ...gensim, docs_per_s: Number((gensim.docs / gensim.seconds).toFixed(1)), command: gensimCmd.join(' ') },
        ratio_wall: Number((gensim.seconds / ours.seconds).toFixed(2)),
        ratio_cpu: Number((gensim.cpu_seconds / ours.cpu_seconds).toFixed(2)),
        same_size: gensim.size === ours.size,
      }
    : {}),
};
console.log(JSON.stringify(result, null, 2));
