// bench/lib/runner.js + peer.js: the harness runs each benchmark beside its
// peer, says so when the peer's Python is missing, and rewrites RESULTS.md.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandLine, runBenchmarks, selectBenchmarks, shellQuote } from '../../bench/lib/runner.js';
import { detectPeer, peerCanRun } from '../../bench/lib/peer.js';
import { throughput, pick } from '../../bench/lib/figures.js';
import { BENCHMARKS } from '../../bench/lib/registry.js';

const node = process.execPath;
const MISSING_PYTHON = '/nonexistent/bin/python3';

/** A benchmark whose two sides are tiny node scripts printing a fixed docs/s. */
function fakeBenchmark(name: string, ours: number, peer: number, extra: Record<string, unknown> = {}) {
  const emit = (rate: number) => `console.log('warming up'); console.log(JSON.stringify({docs: 100, seconds: 100 / ${rate}, docs_per_s: ${rate}}))`;
  return {
    name,
    title: `${name} fake`,
    quick: true,
    requires: ['gensim'],
    plan: () => ({
      settings: ['fake data'],
      steps: [
        { key: 'peer', side: 'peer', label: 'fake peer', argv: [node, '-e', emit(peer)] },
        { key: 'ours', side: 'corpusflow', label: 'fake ours', argv: [node, '-e', emit(ours)] },
      ],
    }),
    figures: (runs: Map<string, { result: unknown }>) => [throughput('docs/s', pick(runs.get('ours')?.result, 'docs_per_s'), pick(runs.get('peer')?.result, 'docs_per_s'), 10)],
    ...extra,
  };
}

function tempResults() {
  return join(mkdtempSync(join(tmpdir(), 'cf-bench-')), 'RESULTS.md');
}

const quiet = () => {};

t.test('detectPeer says so when the python is missing (CORPUSFLOW_BENCH_PYTHON)', async (t) => {
  const peer = detectPeer({ env: { CORPUSFLOW_BENCH_PYTHON: MISSING_PYTHON } });
  t.equal(peer.python, MISSING_PYTHON);
  t.equal(peer.available, false);
  t.same(peer.missing, ['python']);
  t.match(peer.message, /^peer missing: cannot run \/nonexistent\/bin\/python3/);
  t.match(peer.message, /corpusflow's figures only/);
  t.equal(peerCanRun(peer, []), false);
  t.equal(peerCanRun(peer, ['gensim']), false);
});

t.test('peerCanRun checks only the packages a peer needs', async (t) => {
  const peer = { python: 'p', available: false, versions: {}, missing: ['torch'], message: '' };
  t.equal(peerCanRun(peer, ['gensim']), true);
  t.equal(peerCanRun(peer, ['gensim', 'torch']), false);
});

t.test('a missing peer still runs our side and says so in RESULTS.md', async (t) => {
  const resultsPath = tempResults();
  const lines: string[] = [];
  const { records, peer } = await runBenchmarks({
    benchmarks: [fakeBenchmark('alpha', 500, 40)],
    python: MISSING_PYTHON,
    resultsPath,
    build: false,
    log: (line: string) => lines.push(line),
  });
  t.equal(peer.available, false);
  t.equal(records[0].status, 'no-peer');
  t.equal(records[0].runs.length, 1, 'only our side ran');
  t.equal(records[0].figures[0].ours, 500);
  t.equal(records[0].figures[0].peer, null);
  t.equal(records[0].figures[0].ratio, null);
  t.match(lines.join('\n'), /bench: peer missing: cannot run \/nonexistent\/bin\/python3/);
  const text = readFileSync(resultsPath, 'utf8');
  t.match(text, /\*\*Status: no-peer\.\*\*/);
  t.match(text, /peer missing: cannot run \/nonexistent\/bin\/python3/);
});

t.test('runs both sides, prints each command, computes the ratio and keeps other sections', async (t) => {
  const resultsPath = tempResults();
  const benchmarks = [fakeBenchmark('alpha', 500, 40), fakeBenchmark('beta', 50, 40)];
  // The peer probe needs a python; pretend with node answering the probe's JSON.
  const fakePython = join(mkdtempSync(join(tmpdir(), 'cf-py-')), 'python3');
  writeFileSync(fakePython, `#!/bin/sh\necho '{"python": "3.11.2", "gensim": "4.2.0", "torch": "1.13.0", "numpy": "1.24"}'\n`, { mode: 0o755 });
  const lines: string[] = [];
  const first = await runBenchmarks({ benchmarks, python: fakePython, resultsPath, build: false, log: (l: string) => lines.push(l), command: 'node bench/run.js' });
  t.same(first.records.map((r: { status: string }) => r.status), ['ok', 'ok']);
  t.equal(first.records[0].figures[0].ratio, 12.5);
  t.equal(first.records[0].figures[0].met, true);
  t.equal(first.records[1].figures[0].met, false);
  t.ok(lines.some((l) => l.startsWith(`   $ ${shellQuote(node)} -e `)), 'the exact command is printed');
  t.ok(lines.some((l) => /docs\/s: corpusflow 500 docs\/s, peer 40\.0 docs\/s, ratio 12\.5×/.test(l)), 'the figure is printed with its ratio');

  const before = readFileSync(resultsPath, 'utf8');
  const alphaSection = before.slice(before.indexOf('<!-- bench:alpha begin -->'), before.indexOf('<!-- bench:alpha end -->'));
  benchmarks[1] = fakeBenchmark('beta', 800, 40);
  await runBenchmarks({ benchmarks, only: ['beta'], python: fakePython, resultsPath, build: false, log: quiet, command: 'node bench/run.js --only beta' });
  const after = readFileSync(resultsPath, 'utf8');
  t.ok(after.includes(alphaSection), 'alpha section kept verbatim');
  t.match(after, /\| beta \| docs\/s \| 800 docs\/s \| 40\.0 docs\/s \| 20\.0× /, 'beta replaced');
  t.match(after, /Written by `node bench\/run\.js --only beta`/);
  t.ok(after.indexOf('bench:alpha begin') < after.indexOf('bench:beta begin'), 'registry order');
});

t.test('a failing step is reported with its stderr, a missing script skips the benchmark', async (t) => {
  const resultsPath = tempResults();
  const failing = {
    name: 'broken',
    title: 'broken',
    plan: () => ({ steps: [{ key: 'ours', side: 'corpusflow', label: 'ours', argv: [node, '-e', 'console.error("Error: bad record at line 7"); process.exit(1)'] }] }),
    figures: () => [],
  };
  const missing = { ...fakeBenchmark('later', 1, 1), scripts: ['bench/does-not-exist.mjs'] };
  const { records } = await runBenchmarks({ benchmarks: [failing, missing], python: MISSING_PYTHON, resultsPath, build: false, log: quiet });
  t.equal(records[0].status, 'failed');
  t.match(records[0].runs[0].error, /bad record at line 7/);
  t.equal(records[1].status, 'skipped');
  t.match(records[1].notes[0], /bench\/does-not-exist\.mjs not in the tree yet/);
  t.match(readFileSync(resultsPath, 'utf8'), /\*\*Status: failed\.\*\*/);
});

t.test('selection: --only, --quick, long benchmarks only when named', async (t) => {
  const list = [{ name: 'a', quick: true }, { name: 'b' }, { name: 'c', long: true }];
  const names = (o: object) => selectBenchmarks(list, o).selected.map((b: { name: string }) => b.name);
  t.same(names({}), ['a', 'b']);
  t.same(names({ quick: true }), ['a']);
  t.same(names({ only: ['c'] }), ['c']);
  t.same(names({ only: ['b', 'c'], quick: true }), ['b']);
  t.same(selectBenchmarks(list, { only: ['nope'] }).unknown, ['nope']);
});

t.test('commands are printed copy-pasteable, with env first', async (t) => {
  t.equal(commandLine({ argv: ['node', 'x.mjs', '--input', 'a b.ndjson'], env: { OMP_NUM_THREADS: '2' } }), "OMP_NUM_THREADS=2 node x.mjs --input 'a b.ndjson'");
  t.equal(shellQuote("it's"), `'it'\\''s'`);
});

t.test('the registry: unique names; scale is long; the quick set has the side-by-side pairs', async (t) => {
  const names = BENCHMARKS.map((b: { name: string }) => b.name);
  t.equal(new Set(names).size, names.length);
  t.same(selectBenchmarks(BENCHMARKS, { quick: true }).selected.map((b: { name: string }) => b.name), ['preprocess', 'dictionary', 'train-prodlda', 'e2e']);
  t.notOk(selectBenchmarks(BENCHMARKS, {}).selected.some((b: { name: string }) => b.name === 'scale'));
});
