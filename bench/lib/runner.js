// The harness: runs each selected benchmark's steps one after another (never
// two at once, so neither side steals the other's cores), measures every
// child from the outside, turns the results into figures and rewrites
// bench/RESULTS.md.
//
// A benchmark is a plain object:
//   { name, title, issue?, quick?, long?, requires?: ['gensim'|'torch'],
//     scripts?: [repo-relative paths that must exist], needsDist?: boolean,
//     plan(ctx) -> {steps, settings?, notes?}   (may be async)
//     figures(runs: Map<key, run>, ctx) -> Figure[] }
// A step is { key, side: 'corpusflow'|'peer'|'setup', label, argv, env?,
//   prepare?() (runs just before, unmeasured), collect?(run) -> result (for
//   commands that print no JSON line), optional? (failure is only noted), timeoutMs? }.
// `quick` benchmarks make up `--quick`; `long` ones run only when named by --only.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { measureCommand } from './measure.js';
import { detectPeer, peerCanRun } from './peer.js';
import { formatNumber, mergeRecords, parseResults, renderResults } from './results.js';
import { ROOT, buildDist, distIsStale, machineInfo } from './env.js';

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${String(arg).replace(/'/g, `'\\''`)}'`;
}

/** The exact command as one copy-pasteable line, run from the repository root. */
export function commandLine(step) {
  const env = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${shellQuote(String(v))}`);
  return [...env, ...step.argv.map(shellQuote)].join(' ');
}

/**
 * Chooses the benchmarks to run.
 * @param {object[]} benchmarks the registry, in order
 * @param {{only?: string[], quick?: boolean}} options
 * @return {{selected: object[], unknown: string[]}}
 */
export function selectBenchmarks(benchmarks, options = {}) {
  if (options.only && options.only.length > 0) {
    const names = new Set(benchmarks.map((b) => b.name));
    const unknown = options.only.filter((n) => !names.has(n));
    const selected = benchmarks.filter((b) => options.only.includes(b.name) && !(options.quick && b.long));
    return { selected, unknown };
  }
  return { selected: benchmarks.filter((b) => !b.long && (!options.quick || b.quick)), unknown: [] };
}

function tailLines(text, n) {
  return text.trim().split('\n').slice(-n).join(' ⏎ ').slice(-600);
}

/**
 * Runs benchmarks and rewrites the results file.
 * @param {{benchmarks: object[], only?: string[], quick?: boolean, build?: boolean, context?: object,
 *          resultsPath?: string, python?: string, log?: (line: string) => void,
 *          command?: string, now?: () => Date, env?: NodeJS.ProcessEnv}} options
 * @return {Promise<{records: object[], resultsPath: string, peer: object, unknown: string[]}>}
 */
export async function runBenchmarks(options) {
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const resultsPath = options.resultsPath ?? join(ROOT, 'bench/RESULTS.md');
  const { selected, unknown } = selectBenchmarks(options.benchmarks, options);
  if (unknown.length > 0) {
    log(`bench: unknown benchmark(s) ${unknown.join(', ')}; known: ${options.benchmarks.map((b) => b.name).join(', ')}`);
  }
  const machine = machineInfo();
  const threads = machine.cores;
  const peer = detectPeer({ python: options.python, env: options.env });
  log(`bench: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}`);
  log(`bench: ${peer.message}`);
  machine.peer = peer.available ? `Python ${peer.versions.python}, gensim ${peer.versions.gensim}, torch ${peer.versions.torch}` : 'peer missing';

  if (options.build !== false && selected.some((b) => b.needsDist) && distIsStale()) buildDist(log);

  const ctx = { ...(options.context ?? {}), root: ROOT, quick: !!options.quick, threads, python: peer.python, peer, machine, log };
  const records = [];
  for (const bench of selected) {
    records.push(await runOne(bench, ctx, now));
  }
  if (records.length > 0) {
    const previous = existsSync(resultsPath) ? parseResults(readFileSync(resultsPath, 'utf8')) : new Map();
    const merged = mergeRecords(previous, records, options.benchmarks.map((b) => b.name));
    const text = renderResults({
      generated: now().toISOString(),
      machine,
      command: options.command ?? 'node bench/run.js',
      records: merged,
      preamble: [
        `Threads: every peer is given the machine's ${threads} cores (torch.set_num_threads, OMP_NUM_THREADS and MKL_NUM_THREADS = ${threads}, unless its section says otherwise); corpusflow uses them as it likes (its main thread, worker threads).`,
        'Peak RSS is measured by the harness for the whole process tree of each command (max of the kernel\'s VmHWM per process and of the summed PSS of the tree, polled every 50 ms from /proc), and by the child itself where it reports one; the larger is shown.',
      ],
    });
    const tmp = `${resultsPath}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, resultsPath);
    log(`bench: wrote ${relative(process.cwd(), resultsPath) || resultsPath}`);
  }
  return { records, resultsPath, peer, unknown };
}

async function runOne(bench, ctx, now) {
  const log = ctx.log;
  const record = {
    name: bench.name,
    title: bench.title,
    issue: bench.issue,
    date: now().toISOString(),
    machine: ctx.machine,
    // Other work on the machine skews every figure; say how busy it was.
    loadAverage: Number(os.loadavg()[0].toFixed(2)),
    status: 'ok',
    settings: [],
    notes: [],
    runs: [],
    figures: [],
  };
  log('');
  log(`== ${bench.name}: ${bench.title}`);
  const missingScripts = (bench.scripts ?? []).filter((p) => !existsSync(join(ctx.root, p)));
  if (missingScripts.length > 0) {
    record.status = 'skipped';
    record.notes.push(`not run: ${missingScripts.join(', ')} not in the tree yet`);
    log(`   skipped: ${record.notes[0]}`);
    return record;
  }
  const peerOk = peerCanRun(ctx.peer, bench.requires ?? []);
  let plan;
  try {
    plan = await bench.plan({ ...ctx, peerOk });
  } catch (err) {
    record.status = 'failed';
    record.notes.push(`could not prepare: ${err.message}`);
    log(`   failed to prepare: ${err.message}`);
    return record;
  }
  record.settings = plan.settings ?? [];
  record.notes = [...(plan.notes ?? [])];
  if (!peerOk && plan.steps.some((s) => s.side === 'peer')) {
    record.status = 'no-peer';
    record.notes.push(`${ctx.peer.message}`);
  }
  const runs = new Map();
  for (const step of plan.steps) {
    if (step.side === 'peer' && !peerOk) continue;
    if (step.when && !step.when(runs)) continue;
    await step.prepare?.();
    const command = commandLine(step);
    log(`   $ ${command}`);
    const run = await measureCommand(step.argv, { cwd: ctx.root, env: step.env, timeoutMs: step.timeoutMs });
    if (step.collect) {
      try {
        run.result = (await step.collect(run)) ?? run.result;
      } catch (err) {
        run.collectError = err.message;
      }
    }
    const ok = run.code === 0 && (step.side === 'setup' || run.result !== null);
    const entry = {
      key: step.key,
      side: step.side,
      label: step.label,
      command,
      code: run.code,
      seconds: run.seconds,
      peakRssMb: run.peakRssMb,
      result: run.result,
      ok,
      error: ok ? null : run.error ?? run.collectError ?? (tailLines(run.stderrTail, 4) || (run.signal ? `killed by ${run.signal}` : 'no JSON result line')),
    };
    runs.set(step.key, entry);
    record.runs.push(entry);
    log(`     ${ok ? 'ok' : 'FAILED'} in ${formatNumber(run.seconds)} s, peak RSS ${formatNumber(run.peakRssMb)} MB${run.result ? `: ${JSON.stringify(run.result).slice(0, 300)}` : ''}`);
    if (!ok) {
      log(`     ${entry.error}`);
      if (step.side === 'peer' || step.optional) record.notes.push(`step "${step.label}" failed: ${entry.error}`);
      else record.status = 'failed';
      if (step.side === 'setup' || step.required) break;
    }
  }
  try {
    record.figures = bench.figures(runs, ctx);
  } catch (err) {
    record.notes.push(`figures could not be computed: ${err.message}`);
  }
  for (const f of record.figures) {
    const ratio = f.ratio === null ? '' : `, ratio ${formatNumber(f.ratio)}× (${f.ratioText})`;
    log(`   ${f.label}: corpusflow ${formatNumber(f.ours, f.unit)}, peer ${formatNumber(f.peer, f.unit)}${ratio}${f.met === null || f.met === undefined ? '' : f.met ? ' — target met' : ' — TARGET MISSED'}`);
  }
  return record;
}

/** Reads a JSON file the step wrote (e.g. metrics.json of `corpusflow run`). */
export function readJsonFile(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
