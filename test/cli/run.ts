// End to end: run the quickstart pipeline (shortened), then infer, evaluate and inspect against its output.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bin, distBuilt, root, runCli } from '../fixtures/cli/run-cli.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the CLI tests');

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-run-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const quickstart = path.join(root, 'pipelines', 'quickstart.yaml');
const notes = path.join(root, 'samples', 'corpora', 'field-notes.ndjson');
const out = path.join(dir, 'quick');
// 480 documents in batches of 32: 15 steps per epoch
const STEPS_PER_EPOCH = 15;

t.test('run writes the whole output directory', async (t) => {
  const r = await runCli(['run', quickstart, '--set', 'train.epochs=2', '--set', `output.dir=${out}`, '--backend', 'cpu']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /npmi -?\d\.\d{3}, diversity@10 \d\.\d\d, diversity@25 \d\.\d\d, perplexity [\d,]+, 480 docs, \d+:\d\d on cpu\n$/);
  t.match(r.stderr, 'ndjson(samples/corpora/field-notes.ndjson) -> preprocess(default) -> dictionary(two-pass, no_below=3');
  t.notMatch(r.stderr, '\r', 'no progress bar without a terminal');
  for (const f of ['dictionary.txt', 'model/model.json', 'model/weights.bin', 'model/dictionary.txt', 'model/pipeline.json', 'topics.json', 'metrics.json', 'doc-topics.ndjson', 'report.html']) {
    t.ok(existsSync(path.join(out, f)), f);
  }
  t.same(readdirSync(out).filter((f) => f.includes('.tmp-')), [], 'no temp files left behind');

  const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  for (const k of ['npmi', 'diversity_top10', 'diversity_top25', 'perplexity', 'docs', 'tokens', 'seconds', 'docs_per_second', 'backend', 'peak_rss_mb']) t.ok(k in metrics, `metrics.${k}`);
  t.equal(metrics.backend, 'cpu');
  t.equal(metrics.docs, 480);
  t.equal(metrics.steps, 2 * STEPS_PER_EPOCH);

  const topics = JSON.parse(readFileSync(path.join(out, 'topics.json'), 'utf8'));
  t.equal(topics.length, 6);
  t.match(topics[0], { id: 0, words: [{ token: String, weight: Number }] });
  t.equal(topics[0].words.length, 25);
  const w = topics[0].words.map((x: { weight: number }) => x.weight);
  t.same(w, [...w].sort((a, b) => b - a), 'best word first');

  const docTopics = readFileSync(path.join(out, 'doc-topics.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  t.equal(docTopics.length, 480);
  t.equal(docTopics[0].id, 'note-0001', 'in input order');
  t.equal(docTopics[0].topics.length, 6);
  t.ok(Math.abs(docTopics[0].topics.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4);

  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  t.match(html, '<title>quickstart · corpusflow report</title>');
  t.notMatch(html, /https?:\/\//);
});

t.test('infer streams records back with their topic mix, in order', async (t) => {
  const input = readFileSync(notes, 'utf8').split('\n').slice(0, 5).join('\n') + '\nnot json\n';
  const r = await runCli(['infer', '--model', out, '--field', 'mix', '--on-error', 'skip'], { input });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 5);
  t.same(lines.map((l) => l.id), ['note-0001', 'note-0002', 'note-0003', 'note-0004', 'note-0005']);
  t.match(lines[0], { theme: 'kitchen', text: String, mix: { top: Number, weights: Array } });
  t.equal(lines[0].mix.weights.length, 6);
  t.equal(lines[0].mix.top, lines[0].mix.weights.indexOf(Math.max(...lines[0].mix.weights)));
  t.match(r.stderr, 'skipped 1 of 6 records (INVALID_JSON 1)');

  const strict = await runCli(['infer', '--model', out], { input });
  t.equal(strict.code, 1, 'the default policy stops at the bad record');
  t.match(strict.stderr, /^corpusflow infer: -:6, record 6, byte \d+: Invalid JSON.*\[INVALID_JSON\]\n$/);
});

t.test('infer reads CSV and names a missing model', async (t) => {
  const r = await runCli(['infer', '--model', path.join(out, 'model'), '--input', path.join(root, 'samples', 'corpora', 'field-notes.csv')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trimEnd().split('\n').length, 480);
  const missing = await runCli(['infer', '--model', path.join(dir, 'nope'), '--input', notes]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, 'no model.json here or in its model/ directory [FILE_NOT_FOUND]', missing.stderr);
});

t.test('evaluate prints coherence, diversity and perplexity as JSON', async (t) => {
  const r = await runCli(['evaluate', '--model', out, '--input', notes, '--measures', 'c_npmi,u_mass']);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.match(j, { npmi: Number, u_mass: Number, diversity_top10: Number, diversity_top25: Number, perplexity: Number, docs: 480, topics: 6 });
  const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  t.ok(Math.abs(j.npmi - metrics.npmi) < 1e-5, 'the same NPMI as the run measured');
  const bad = await runCli(['evaluate', '--model', out, '--input', notes, '--measures', 'c_nmpi']);
  t.equal(bad.code, 2);
});

t.test('inspect prints the chain; --json the resolved settings', async (t) => {
  const r = await runCli(['inspect', 'pipelines/quickstart.yaml']);
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    'ndjson(samples/corpora/field-notes.ndjson) -> preprocess(default) -> dictionary(two-pass, no_below=3, no_above=0.5, keep_n=5000) -> shuffle(1000) -> batch(32, sparse) -> prodlda(K=6, hidden=[50, 50], dropout=0.2) -> train(adam(lr=0.002), 40 epochs, backend=auto, seed=2) -> output(out/quickstart)\n',
  );
  const j = await runCli(['inspect', 'pipelines/quickstart.yaml', '--json', '--set', 'model.prodlda.topics=9']);
  t.match(JSON.parse(j.stdout), { name: 'quickstart', model: { kind: 'prodlda', topics: 9 }, train: { epochs: 40 } });
});

t.test('SIGINT checkpoints, and --resume finishes the same number of steps', async (t) => {
  const EPOCHS = 6;
  const resumeOut = path.join(dir, 'interrupted');
  const args = ['run', quickstart, '--set', `train.epochs=${EPOCHS}`, '--set', 'train.log_every=1', '--set', `output.dir=${resumeOut}`, '--backend', 'cpu'];
  const first = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      // Interrupt once training has started. The signal is handled between two steps, at the
      // latest when the epoch's shuffle buffer (here larger than the corpus) has been emptied.
      if (!sent && /training \d+%/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
  t.equal(first.code, 1, 'an interrupted run is not a finished run');
  const m = /interrupted at step (\d+) \(epoch (\d+)\); checkpoint written to .*ckpt-\d+\.cfckpt/.exec(first.stderr);
  t.ok(m, first.stderr);
  if (!m) return;
  t.match(first.stderr, 'continue with: corpusflow run');
  t.notOk(existsSync(path.join(resumeOut, 'metrics.json')), 'no outputs from an unfinished run');
  const cacheFiles = () => readdirSync(path.join(resumeOut, 'checkpoints')).filter((f) => f.startsWith('tokens.cache')).sort();
  t.same(cacheFiles(), ['tokens.cache', 'tokens.cache.json', 'tokens.cache.vocab'], 'the token cache, its vocabulary and its stamp are kept for --resume');
  const stoppedAt = Number(m[1]);
  t.ok(stoppedAt > 0 && stoppedAt < EPOCHS * STEPS_PER_EPOCH, `stopped at step ${stoppedAt}`);

  // Saved for the last case below: a matching stamp over a cache that turns out unreadable.
  const checkpoints = path.join(resumeOut, 'checkpoints');
  const kept = new Map(cacheFiles().map((f) => [f, readFileSync(path.join(checkpoints, f))]));
  const second = await runCli([...args, '--resume']);
  t.equal(second.code, 0, second.stderr);
  t.match(second.stderr, `resuming at step ${stoppedAt} (epoch ${m[2]})`);
  t.match(second.stderr, /token cache: [\d.]+ MB, reused/, 'the resumed run reads the cache, not the input');
  t.same(cacheFiles(), [], 'the cache is deleted when the run ends');

  // The same stamp (same input, same settings) over a corrupt vocabulary file: the resume says so, drops the
  // cache and reads the input, instead of failing now and at every later --resume.
  for (const [f, bytes] of kept) writeFileSync(path.join(checkpoints, f), f.endsWith('.vocab') ? bytes.subarray(0, 3) : bytes);
  const third = await runCli([...args, '--resume']);
  t.equal(third.code, 0, third.stderr);
  t.match(third.stderr, /token cache not reused \(.*tokens\.cache\.vocab, byte 0: Token cache vocabulary: truncated file.*\); reading the input instead/);
  t.same(cacheFiles(), [], 'the unreadable cache is gone');
  const metrics = JSON.parse(readFileSync(path.join(resumeOut, 'metrics.json'), 'utf8'));
  t.equal(metrics.steps, EPOCHS * STEPS_PER_EPOCH, 'the resumed run ends where an uninterrupted one would');

  const none = await runCli(['run', quickstart, '--set', `output.dir=${path.join(dir, 'fresh')}`, '--resume']);
  t.equal(none.code, 1);
  t.match(none.stderr, 'no checkpoint to resume from');
});
