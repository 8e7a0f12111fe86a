// dictionary.cache: a two-pass run that reads its epochs and evaluation from the token-id cache written in
// pass 1 gives exactly the run that re-reads and re-preprocesses the input (same batches, so the same
// model, metrics, topics and doc-topics), and leaves no cache file behind.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { distBuilt, root, runCli } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-run-cache-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const quickstart = path.join(root, 'pipelines', 'quickstart.yaml');
// 480 documents, batches of 32, shuffle buffer 1000: 2 epochs = 30 steps, a checkpoint every 20
const common = ['run', quickstart, '--set', 'train.epochs=2', '--set', 'train.checkpoint_every=20', '--set', 'output.report=false', '--backend', 'cpu'];
// what differs between two runs of the same pipeline whatever they read
const TIMINGS = ['seconds', 'train_seconds', 'docs_per_second', 'peak_rss_mb'];

const runs = [
  { name: 'cached (default)', set: [] as string[], logsCache: true, dir: 'cached' },
  { name: 'dictionary.cache: false', set: ['--set', 'dictionary.cache=false'], logsCache: false, dir: 'uncached' },
  // prune_at 150: the dictionary prunes and the cache writes its vocabulary in segments of at most 150 tokens
  { name: 'prune_at 150, cached', set: ['--set', 'dictionary.prune_at=150'], logsCache: true, dir: 'pruned-cached' },
  { name: 'prune_at 150, dictionary.cache: false', set: ['--set', 'dictionary.prune_at=150', '--set', 'dictionary.cache=false'], logsCache: false, dir: 'pruned-uncached' },
];
const outputs = new Map<string, { metrics: Record<string, unknown>; topics: unknown; docTopics: string }>();

for (const c of runs) {
  t.test(`run, ${c.name}`, async (t) => {
    const out = path.join(dir, c.dir);
    const r = await runCli([...common, ...c.set, '--set', `output.dir=${out}`]);
    t.equal(r.code, 0, r.stderr);
    t.equal(/token cache: [\d.]+ MB/.test(r.stderr), c.logsCache, 'says whether it reads the cache');
    t.same(readdirSync(path.join(out, 'checkpoints')).filter((f) => f.startsWith('tokens.cache')), [], 'no cache file left behind');
    t.ok(existsSync(path.join(out, 'checkpoints', 'ckpt-000000020.cfckpt')), 'checkpoints as usual');
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    t.match(metrics, { docs: 480, steps: 30, train_docs: 960 });
    for (const k of TIMINGS) delete metrics[k];
    outputs.set(c.name, {
      metrics,
      topics: JSON.parse(readFileSync(path.join(out, 'topics.json'), 'utf8')),
      docTopics: readFileSync(path.join(out, 'doc-topics.ndjson'), 'utf8'),
    });
  });
}

for (const [cached, uncached] of [[0, 1], [2, 3]] as const) {
  t.test(`the cached run equals the uncached one: ${runs[cached]!.name}`, async (t) => {
    const a = outputs.get(runs[cached]!.name);
    const b = outputs.get(runs[uncached]!.name);
    if (!a || !b) return t.fail('a run failed');
    t.same(a.metrics, b.metrics, 'metrics.json (but timings)');
    t.same(a.topics, b.topics, 'topics.json');
    t.equal(a.docTopics, b.docTopics, 'doc-topics.ndjson');
  });
}

t.test('--resume ignores and removes a cache whose stamp does not match, and ends as the uninterrupted run did', async (t) => {
  const a = outputs.get(runs[0]!.name);
  if (!a) return t.fail('the cached run failed');
  const out = path.join(dir, 'cached');
  // as if a run had been killed after pass 1, over an input that has changed since: the stamp does not match
  writeFileSync(path.join(out, 'checkpoints', 'tokens.cache'), 'left by a killed run');
  writeFileSync(path.join(out, 'checkpoints', 'tokens.cache.vocab'), 'and its vocabulary');
  const stamp = { format: 1, source: {}, preprocess: 'default', input: { size: 1, mtimeMs: 0 }, documents: 480 };
  writeFileSync(path.join(out, 'checkpoints', 'tokens.cache.json'), JSON.stringify(stamp));
  const r = await runCli([...common, '--set', `output.dir=${out}`, '--resume']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, 'resuming at step 20');
  t.notMatch(r.stderr, 'token cache:', 'reads the input instead');
  t.notOk(existsSync(path.join(out, 'checkpoints', 'tokens.cache')), 'the stale cache is gone');
  t.notOk(existsSync(path.join(out, 'checkpoints', 'tokens.cache.vocab')), 'and its vocabulary file');
  t.notOk(existsSync(path.join(out, 'checkpoints', 'tokens.cache.json')), 'and its stamp');
  const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  for (const k of TIMINGS) delete metrics[k];
  t.same(metrics, a.metrics, 'metrics.json (but timings) as the uninterrupted cached run');
  t.equal(readFileSync(path.join(out, 'doc-topics.ndjson'), 'utf8'), a.docTopics, 'doc-topics.ndjson');
});

t.test('dictionary.cache is refused in online mode', async (t) => {
  const r = await runCli(['inspect', quickstart, '--set', 'dictionary={mode: online, cache: true}']);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, '"cache" applies only to mode two-pass');
});
