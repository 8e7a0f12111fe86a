// Side by side: gensim's preprocess_string (bench/peers/preprocess.py, /usr/bin/python3) and corpusflow's
// preprocessString (bench/preprocess/preprocess.mjs, built dist/) on the same corpus, alternating, N rounds.
// Build first:  npx tsc -p tsconfig.json --noEmitOnError false
// Run:          node bench/preprocess/compare.mjs [CORPUS.ndjson.gz] [default|simple] [ROUNDS]
// Each run makes 3 passes on both sides (best pass and first, cold pass reported).
// Prints each run's JSON and the command that made it, then the median ratios (wall and CPU time), best and cold.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [corpus = 'test/fixtures/corpora/spam-shared.ndjson.gz', mode = 'default', roundsArg = '3'] = process.argv.slice(2);
const rounds = Number(roundsArg);
const python = process.env.PYTHON ?? '/usr/bin/python3';
const commands = {
  gensim: [python, ['bench/peers/preprocess.py', corpus, mode]],
  corpusflow: [process.execPath, ['bench/preprocess/preprocess.mjs', corpus, mode]],
};

function run(name) {
  const [cmd, args] = commands[name];
  try {
    const out = execFileSync(cmd, args, { cwd: root, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (error) {
    const out = String(error.stdout ?? '').trim();
    if (name === 'gensim') {
      console.error(`gensim peer unavailable (${out || error.message}); install Debian python3-gensim (gensim 4.2) for ${python}.`);
      process.exit(3);
    }
    throw error;
  }
}

const results = { gensim: [], corpusflow: [] };
for (let r = 0; r < rounds; r++) {
  for (const name of ['gensim', 'corpusflow']) {
    const result = run(name);
    results[name].push(result);
    console.log(`$ ${commands[name][0] === process.execPath ? 'node' : commands[name][0]} ${commands[name][1].join(' ')}\n${JSON.stringify(result)}`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {};
for (const name of ['gensim', 'corpusflow']) {
  summary[name] = {
    docs_per_s: median(results[name].map((r) => r.docs_per_s)),
    docs_per_cpu_s: median(results[name].map((r) => r.docs_per_cpu_s)),
    cold_docs_per_s: median(results[name].map((r) => r.cold_docs_per_s)),
    cold_docs_per_cpu_s: median(results[name].map((r) => r.cold_docs_per_cpu_s)),
  };
}
if (results.gensim[0].tokens !== results.corpusflow[0].tokens) console.log(`WARNING: token counts differ: gensim ${results.gensim[0].tokens}, corpusflow ${results.corpusflow[0].tokens}`);
console.log(JSON.stringify({
  corpus, mode, rounds, ...summary,
  ratio_wall: +(summary.corpusflow.docs_per_s / summary.gensim.docs_per_s).toFixed(1),
  ratio_cpu: +(summary.corpusflow.docs_per_cpu_s / summary.gensim.docs_per_cpu_s).toFixed(1),
  cold_ratio_wall: +(summary.corpusflow.cold_docs_per_s / summary.gensim.cold_docs_per_s).toFixed(1),
  cold_ratio_cpu: +(summary.corpusflow.cold_docs_per_cpu_s / summary.gensim.cold_docs_per_cpu_s).toFixed(1),
}));
