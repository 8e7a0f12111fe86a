// bench/lib/results.js: RESULTS.md is regenerated from records, and a partial
// run keeps the sections it did not run.
import t from 'tap';
import { formatNumber, mergeRecords, parseResults, renderResults, renderSection, targetMet } from '../../bench/lib/results.js';
import { absolute, duration, memory, pick, throughput } from '../../bench/lib/figures.js';

const machine = { cores: 2, cpuModel: 'Test CPU', memoryGb: 8, platform: 'linux test', node: 'v20.0.0', peer: 'Python 3.11, gensim 4.2.0, torch 1.13.0' };

function record(name: string, ours: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    title: `${name} title`,
    issue: 3,
    date: '2026-01-02T03:04:05.000Z',
    machine,
    status: 'ok',
    settings: ['same file on both sides'],
    notes: [],
    runs: [
      { side: 'peer', label: 'gensim', command: '/usr/bin/python3 bench/peers/x.py data.ndjson', code: 0, seconds: 2, peakRssMb: 100, result: { docs: 10, seconds: 1, docs_per_s: 10 } },
      { side: 'corpusflow', label: 'ours', command: 'node bench/x.mjs data.ndjson', code: 0, seconds: 1, peakRssMb: 50, result: { docs: 10, seconds: 0.1, docs_per_s: ours } },
    ],
    figures: [throughput('docs/s', ours, 10, 10)],
    ...extra,
  };
}

t.test('targets and ratios read the documented way', async (t) => {
  const cases = [
    { name: 'throughput above target', figure: throughput('x', 120, 10, 10), ratio: 12, met: true },
    { name: 'throughput below target', figure: throughput('x', 50, 10, 10), ratio: 5, met: false },
    { name: 'duration: peer ÷ ours', figure: duration('x', 10, 40, 3), ratio: 4, met: true },
    { name: 'memory: ours ÷ peer', figure: memory('x', 300, 400, 0.5), ratio: 0.75, met: false },
    { name: 'missing peer gives no ratio', figure: throughput('x', 50, null, 10), ratio: null, met: null },
    { name: 'absolute target on ours', figure: absolute('npmi', 0.11, { op: '>=', value: 0.1 }), ratio: null, met: true },
    { name: 'absolute ceiling missed', figure: absolute('rss', 600, { op: '<=', value: 512 }, { unit: 'MB' }), ratio: null, met: false },
    { name: 'no target', figure: throughput('x', 1, 2), ratio: 0.5, met: null },
  ];
  for (const c of cases) {
    t.equal(c.figure.ratio, c.ratio, `${c.name}: ratio`);
    t.equal(c.figure.met, c.met, `${c.name}: met`);
    t.equal(targetMet(c.figure), c.met, `${c.name}: targetMet agrees`);
  }
});

t.test('pick reads the first numeric field, including dotted paths', async (t) => {
  t.equal(pick({ a: 'x', b: 2 }, 'a', 'b'), 2);
  t.equal(pick({ mean: { npmi: 0.12 } }, 'npmi', 'mean.npmi'), 0.12);
  t.equal(pick(null, 'a'), null);
  t.equal(pick({ a: Number.NaN }, 'a'), null);
});

t.test('formatNumber', async (t) => {
  const cases: Array<[number | null, string]> = [[12345.6, '12,346'], [123.4, '123'], [12.34, '12.3'], [1.234, '1.23'], [0.0912, '0.0912'], [null, '—']];
  for (const [value, text] of cases) t.equal(formatNumber(value), text, String(value));
});

t.test('a rendered file names the date, machine, commands, figures and ratio, and parses back', async (t) => {
  const text = renderResults({ generated: '2026-01-02T03:04:05.000Z', machine, command: 'node bench/run.js', records: [record('preprocess', 150)] });
  t.match(text, /^# Benchmark results/);
  t.match(text, /2026-01-02T03:04:05\.000Z/);
  t.match(text, /2 cores \(Test CPU\), 8 GB RAM/);
  t.match(text, /Node v20\.0\.0/);
  t.match(text, /`node bench\/x\.mjs data\.ndjson`/);
  t.match(text, /`\/usr\/bin\/python3 bench\/peers\/x\.py data\.ndjson`/);
  t.match(text, /\| preprocess \| docs\/s \| 150 docs\/s \| 10\.0 docs\/s \| 15\.0× \(corpusflow ÷ peer\) \| ≥ 10× \| yes \|/);
  const parsed = parseResults(text);
  t.same([...parsed.keys()], ['preprocess']);
  t.same(parsed.get('preprocess'), JSON.parse(JSON.stringify(record('preprocess', 150))));
});

t.test('a partial run replaces its sections and keeps the others, in registry order', async (t) => {
  const order = ['preprocess', 'dictionary', 'e2e'];
  const first = renderResults({ generated: 'first', machine, command: 'node bench/run.js', records: [record('preprocess', 150), record('dictionary', 200)] });
  const previous = parseResults(first);
  const merged = mergeRecords(previous, [record('dictionary', 300, { date: '2026-02-01T00:00:00.000Z' }), record('e2e', 20)], order);
  t.same(merged.map((r: { name: string }) => r.name), order);
  const second = renderResults({ generated: 'second', machine, command: 'node bench/run.js --only dictionary,e2e', records: merged });
  const reparsed = parseResults(second);
  t.equal(reparsed.get('preprocess').figures[0].ours, 150, 'kept section unchanged');
  t.equal(reparsed.get('preprocess').date, '2026-01-02T03:04:05.000Z', 'kept section keeps its own date');
  t.equal(reparsed.get('dictionary').figures[0].ours, 300, 'rerun section replaced');
  t.equal(reparsed.get('e2e').figures[0].ours, 20, 'new section added');
  t.equal((second.match(/<!-- bench:dictionary begin -->/g) ?? []).length, 1, 'no duplicate section');
  t.match(second, /measured \|\n[^\n]*\n\| preprocess \| docs\/s \| 150/, 'summary lists kept figures too');
});

t.test('sections unknown to the registry are kept after the known ones', async (t) => {
  const previous = new Map([['zzz-old', record('zzz-old', 1)], ['aaa-old', record('aaa-old', 1)]]);
  const merged = mergeRecords(previous, [record('preprocess', 2)], ['preprocess']);
  t.same(merged.map((r: { name: string }) => r.name), ['preprocess', 'aaa-old', 'zzz-old']);
});

t.test('a command containing --> cannot end the data comment early', async (t) => {
  const r = record('e2e', 5);
  r.runs[1]!.command = "node -e 'a-->b' && echo '-->'";
  const text = renderSection(r);
  const parsed = parseResults(text);
  t.equal(parsed.get('e2e').runs[1].command, "node -e 'a-->b' && echo '-->'");
});

t.test('a damaged data comment drops that section only', async (t) => {
  const text = renderResults({ generated: 'x', machine, command: 'c', records: [record('preprocess', 1), record('dictionary', 2)] })
    .replace(/(<!-- bench-data \{"name":"preprocess")/, '$1,,,');
  const parsed = parseResults(text);
  t.same([...parsed.keys()], ['dictionary']);
});

t.test("a section names corpusflow's backend from its runs' results", async (t) => {
  const r = record('train', 5);
  r.runs[1]!.result = { docs: 1, seconds: 1, docs_per_s: 1, backend: 'wasm', wasm_variant: 'simd' } as never;
  t.match(renderSection(r), /corpusflow's tfjs backend: wasm \(simd\)\./);
  t.notMatch(renderSection(record('dictionary', 5)), /tfjs backend/);
});

t.test('failed and skipped records render their status', async (t) => {
  const text = renderSection({ ...record('e2e', 1), status: 'skipped', notes: ['not run: bin/corpusflow.js not in the tree yet'], runs: [], figures: [] });
  t.match(text, /\*\*Status: skipped\.\*\*/);
  t.match(text, /not run: bin\/corpusflow\.js not in the tree yet/);
});
