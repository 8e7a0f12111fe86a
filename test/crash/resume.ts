// Crash safety (issue 6 §1): SIGKILL `corpusflow run` at seeded random points — during pass 1, mid-epoch,
// while a checkpoint is being written, while the outputs are being written — then `run --resume` until it
// finishes. After every kill no file under its final name is corrupt, the resume starts from the newest
// complete checkpoint, and the finished run equals an uninterrupted one (same steps, same documents, same
// topics), so no document was skipped or trained on twice.
//
// Kill points are found by watching the child honestly (its stderr log lines, and its temp files appearing
// on disk via fs.watch); there is no slow-write seam in the product code. A kill aimed at a write can land
// after the rename when the write is quick; the invariants are checked either way and the test reports how
// many kills caught a write half-done (left a `.tmp-` file behind).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bin, distBuilt, root } from '../fixtures/cli/run-cli.js';
import { decodeCheckpoint, type CheckpointHeader } from '../../src/train/checkpoint.js';

if (!distBuilt()) t.fail('dist/ is missing: run `npm run build` before the crash test');

const SEED = Number(process.env.CORPUSFLOW_CRASH_SEED ?? 6);
const DOCS = 480; // samples/corpora/field-notes.ndjson
const BATCH = 32;
const STEPS_PER_EPOCH = Math.ceil(DOCS / BATCH);
const EPOCHS = 4; // long enough that a mid-epoch kill lands mid-epoch: 2 epochs of the fused cpu kernels end within the checkpoint-write lag
const CHECKPOINT_EVERY = 4;

const dir = mkdtempSync(path.join(tmpdir(), 'corpusflow-crash-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const quickstart = path.join(root, 'pipelines', 'quickstart.yaml');
const args = (out: string) => [
  'run',
  quickstart,
  '--set', `train.epochs=${EPOCHS}`,
  '--set', `train.checkpoint_every=${CHECKPOINT_EVERY}`,
  '--set', 'train.log_every=1',
  '--set', `output.dir=${out}`,
  '--backend', 'cpu',
];

/** mulberry32: the kill schedule is reproducible from SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

interface Killer {
  /** Called with the whole stderr so far; return true to kill (after `delayMs`). */
  stderr?: (text: string) => boolean;
  /** Kill at once when a file whose relative path matches appears under the output directory. */
  file?: RegExp;
  delayMs?: number;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** What triggered the kill, if anything did. */
  trigger?: string;
}

function runUntilKilled(out: string, extra: string[], killer: Killer | undefined): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args(out), ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    let trigger: string | undefined;
    const kill = (why: string) => {
      if (trigger !== undefined) return;
      trigger = why;
      const go = () => child.kill('SIGKILL');
      if (killer?.delayMs) setTimeout(go, killer.delayMs);
      else go();
    };
    const watcher =
      killer?.file && existsSync(out)
        ? watch(out, { recursive: true }, (_event, name) => {
            // A rename event also reports a stale temp file being removed at start-up: only a file that exists counts.
            if (name && killer.file!.test(String(name)) && existsSync(path.join(out, String(name)))) kill(`file ${name}`);
          })
        : undefined;
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (killer?.stderr?.(stderr)) kill('stderr');
    });
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      watcher?.close();
      resolve({ code, signal, stderr, stdout, ...(trigger !== undefined ? { trigger } : {}) });
    });
  });
}

function walk(d: string, base = d): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d).flatMap((n) => {
    const f = path.join(d, n);
    // The run may still be writing while this polls: a temp file can be renamed (or a directory
    // removed) between the listing and the stat. Such an entry is simply not there any more.
    const st = statSync(f, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? walk(f, base) : [path.relative(base, f)];
  });
}
const isTemp = (f: string) => /\.tmp-\d+-[0-9a-f]+$/.test(f);
const stepLines = (s: string) => (s.match(/training \d+%/g) ?? []).length;

/** Every file under its final name is whole; returns the checkpoint headers (oldest first). */
function checkOutputDir(t: Test, out: string): CheckpointHeader[] {
  const headers: CheckpointHeader[] = [];
  for (const f of walk(out).filter((f) => !isTemp(f)).sort()) {
    const full = path.join(out, f);
    const bytes = readFileSync(full);
    if (f.endsWith('.cfckpt')) {
      // decodeCheckpoint verifies the magic and sha256, so a torn write cannot pass.
      let header: CheckpointHeader | undefined;
      t.doesNotThrow(() => (header = decodeCheckpoint(bytes, full).header), `${f} verifies`);
      if (header) headers.push(header);
    } else if (f.endsWith('.json')) {
      t.doesNotThrow(() => JSON.parse(bytes.toString('utf8')), `${f} parses`);
    } else if (f.endsWith('.ndjson')) {
      const lines = bytes.toString('utf8').split('\n');
      t.equal(lines.pop(), '', `${f} ends with a newline`);
      t.equal(lines.length, DOCS, `${f} has every document`);
      t.doesNotThrow(() => lines.forEach((l) => JSON.parse(l)), `${f} parses`);
    } else if (f.endsWith('.html')) {
      t.match(bytes.toString('utf8').trimEnd(), /<\/html>$/, `${f} is complete`);
    } else if (f.endsWith('.bin')) {
      t.ok(bytes.length > 0 && bytes.length % 4 === 0, `${f} is whole float32s`);
      // model.json is written last, as the mark of a complete model directory: a kill between the two
      // renames leaves whole weights and no model.json yet, an unfinished model but not a torn file.
      const json = path.join(path.dirname(full), 'model.json');
      if (existsSync(json)) t.ok(JSON.parse(readFileSync(json, 'utf8')), 'model.json beside weights.bin');
    } else if (f.endsWith('.txt')) {
      const lines = bytes.toString('utf8').trimEnd().split('\n');
      t.ok(lines.length > 1 && lines.every((l) => l.split('\t').length === 3 || /^\d+$/.test(l)), `${f} is a whole dictionary`);
    }
  }
  for (const h of headers) {
    // The data position is consistent: every document of the finished epochs plus `position` of this one, once.
    t.ok(h.position >= 0 && h.position <= DOCS, `ckpt ${h.step}: position ${h.position} within the epoch`);
    t.equal(h.docs, (h.epoch - 1) * DOCS + h.position, `ckpt ${h.step}: docs = finished epochs × ${DOCS} + position`);
    t.equal(h.step, (h.epoch - 1) * STEPS_PER_EPOCH + Math.ceil(h.position / BATCH), `ckpt ${h.step}: step matches the data position`);
    t.ok(h.dictionary !== undefined, `ckpt ${h.step} holds the dictionary`);
  }
  return headers;
}

const out = path.join(dir, 'killed');
const reference = path.join(dir, 'reference');
let halfWrites = 0;
let kills = 0;

t.test('SIGKILL at seeded random points, then --resume until done', async (t) => {
  // 1. During pass 1: nothing to resume yet, and --resume says so instead of starting a wrong run.
  const passOne = await killAndCheck(t, 'pass 1', [], {
    // the first pass-1 progress line; pass 1 over 480 notes lasts a few hundred ms
    stderr: (s) => /dictionary \d+%/.test(s) && !s.includes('dictionary:'),
    delayMs: between(0, 20),
  });
  t.notMatch(passOne, 'corpusflow: dictionary:', 'killed before pass 1 finished');
  t.same(walk(path.join(out, 'checkpoints')).filter((f) => !isTemp(f)), [], 'no checkpoint from a run killed in pass 1');
  const none = await runUntilKilled(out, ['--resume'], undefined);
  t.not(none.code, 0, 'resume with no checkpoint fails');
  t.match(none.stderr, 'no checkpoint to resume from');

  // 2. Mid-epoch in a fresh run, after at least two checkpoints.
  const firstKill = between(2 * CHECKPOINT_EVERY + 1, STEPS_PER_EPOCH + 3);
  // Checkpoint writes are asynchronous and can trail the steps by up to an epoch, so wait until one is on disk.
  const hasCheckpoint = () => walk(path.join(out, 'checkpoints')).some((f) => /^ckpt-\d+\.cfckpt$/.test(f));
  await killAndCheck(t, 'mid-epoch (fresh run)', [], { stderr: (s) => stepLines(s) >= firstKill && hasCheckpoint(), delayMs: between(0, 30) });

  // 3.-7. Resume, killing it at a different kind of point each time; then resume until it finishes.
  const outputs = ['model/weights.bin', 'doc-topics.ndjson', 'topics.json', 'report.html', 'metrics.json', 'dictionary.txt'];
  const first = outputs.splice(between(0, outputs.length - 1), 1)[0]!;
  const second = outputs[between(0, outputs.length - 1)]!;
  const resumedKill = between(3, 12);
  const plan: Array<[string, Killer]> = [
    ['while a checkpoint is written', { file: /ckpt-\d+\.cfckpt\.tmp-/ }],
    ['mid-epoch (resumed run)', { stderr: (s) => stepLines(s) >= resumedKill, delayMs: between(0, 30) }],
    [`while writing ${first}`, { file: new RegExp(`${first.replace('.', '\\.')}\\.tmp-`) }],
    [`while writing ${second}`, { file: new RegExp(`${second.replace('.', '\\.')}\\.tmp-`) }],
  ];
  for (const [name, killer] of plan) {
    const newest = walk(path.join(out, 'checkpoints')).filter((f) => /^ckpt-\d+\.cfckpt$/.test(f)).sort().at(-1);
    const r = await killAndCheck(t, name, ['--resume'], killer);
    if (newest && r) t.equal(Number(/resuming at step (\d+)/.exec(r)?.[1]), Number(/\d+/.exec(newest)![0]), `${name}: resumed from the newest complete checkpoint (${newest})`);
  }

  let finished = false;
  for (let i = 0; i < 3 && !finished; i++) {
    const r = await runUntilKilled(out, ['--resume'], undefined);
    t.equal(r.code, 0, `final resume exits 0\n${r.stderr.slice(-2000)}`);
    finished = r.code === 0;
  }
  t.ok(finished, 'the run finishes');
  checkOutputDir(t, out);
  t.same(walk(out).filter(isTemp), [], 'the temp files of killed runs are cleaned up');
  t.comment(`${kills} kills, ${halfWrites} of them caught a write half-done`);
  t.ok(kills >= 4, 'at least four kills landed');

  // An uninterrupted run with the same seed: a resumed run that skipped or repeated a document would differ.
  const ref = await runUntilKilled(reference, [], undefined);
  t.equal(ref.code, 0, ref.stderr.slice(-2000));
  const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
  const mr = JSON.parse(readFileSync(path.join(reference, 'metrics.json'), 'utf8'));
  t.equal(m.steps, EPOCHS * STEPS_PER_EPOCH, 'steps = epochs × steps per epoch');
  t.equal(m.train_docs, EPOCHS * DOCS, 'trained on epochs × corpus documents');
  t.equal(m.docs, DOCS, 'scored every document');
  for (const k of ['steps', 'train_docs', 'docs', 'tokens', 'vocab_size', 'perplexity', 'npmi', 'diversity_top10']) t.equal(m[k], mr[k], `metrics.${k} as in the uninterrupted run`);
  t.same(JSON.parse(readFileSync(path.join(out, 'topics.json'), 'utf8')), JSON.parse(readFileSync(path.join(reference, 'topics.json'), 'utf8')), 'same topics as the uninterrupted run');
  t.equal(readFileSync(path.join(out, 'doc-topics.ndjson'), 'utf8'), readFileSync(path.join(reference, 'doc-topics.ndjson'), 'utf8'), 'same doc-topics');
});

/** One run killed by `killer`, then the directory checked; returns its stderr (for the resume line). */
async function killAndCheck(t: Test, name: string, extra: string[], killer: Killer): Promise<string> {
  const before = new Set(walk(out).filter(isTemp));
  const r = await runUntilKilled(out, extra, killer);
  const headers = checkOutputDir(t, out);
  if (r.signal !== 'SIGKILL') {
    // The run got past the kill point before the trigger fired; no failure of the product, but it must have finished cleanly.
    t.equal(r.code, 0, `${name}: not killed, so it finished cleanly\n${r.stderr.slice(-2000)}`);
    t.comment(`${name}: the run ended before the kill landed (${r.trigger ?? 'no trigger'})`);
    return r.stderr;
  }
  kills++;
  const left = walk(out).filter((f) => isTemp(f) && !before.has(f));
  if (left.length > 0) halfWrites++;
  t.comment(`${name}: killed on ${r.trigger} after ${stepLines(r.stderr)} step lines; newest checkpoint ${headers.at(-1)?.step ?? 'none'}; half-written: ${left.join(', ') || 'none'}`);
  return r.stderr;
}
