// Runs one benchmark command as a child process and measures it from the
// outside: wall time, and peak resident memory of the whole process tree.
//
// Peak RSS comes from /proc, because /usr/bin/time is not on every machine:
// every pollMs we walk the child's process tree and read VmHWM (the kernel's
// own high-water mark per process, so a spike between two polls is not lost)
// and, when the tree has several processes, the sum of their PSS (to catch
// the moment several are big at once without counting shared pages twice). A child
// may also report its own figure (`peak_rss_mb` in its JSON line, from
// process.resourceUsage() or getrusage); the harness keeps the largest.

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Reads one `Vm...:  1234 kB` field of /proc/<pid>/status, in kB (0 if gone). */
export function readStatusKb(pid, field) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const at = text.indexOf(`${field}:`);
  if (at < 0) return 0;
  return Number.parseInt(text.slice(at + field.length + 1).trimStart(), 10) || 0;
}

/**
 * Proportional set size of pid in kB: shared pages divided among the
 * processes that map them (0 if gone). Falls back to VmRSS without smaps_rollup.
 */
export function readPssKb(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return readStatusKb(pid, 'VmRSS');
  }
  const match = /^Pss:\s+(\d+) kB/m.exec(text);
  return match ? Number(match[1]) : readStatusKb(pid, 'VmRSS');
}

/** Lists pid and all its live descendants (via /proc/<pid>/task/<tid>/children). */
export function processTree(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop();
    out.push(p);
    let tasks;
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ')) if (c.trim() !== '') todo.push(Number(c));
    }
  }
  return out;
}

/** True when this machine exposes /proc/<pid>/status (Linux). */
export function canPollProc() {
  return readStatusKb(process.pid, 'VmHWM') > 0;
}

/**
 * Parses the last JSON object line of a child's stdout: every benchmark
 * script prints one `{docs, seconds, docs_per_s, ...}` line last. Lines after
 * it that are not JSON objects are skipped, because libraries print banners
 * at exit (tfjs prints its "install tfjs-node" notice on stdout).
 * @param {string} stdout
 * @return {object|null}
 */
export function lastJsonLine(stdout) {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // not a result line
    }
  }
  return null;
}

/** Keeps only the last `limit` characters of a growing string (bounded buffer). */
function appendTail(tail, chunk, limit) {
  const next = tail + chunk;
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/**
 * Runs argv[0] with argv.slice(1), measuring wall time and peak RSS.
 * @param {string[]} argv
 * @param {{cwd?: string, env?: Record<string,string>, pollMs?: number,
 *          timeoutMs?: number, onLine?: (line: string, stream: 'stdout'|'stderr') => void}} [options]
 * @return {Promise<{code: number|null, signal: string|null, error: string|null,
 *          seconds: number, peakRssMb: number|null, polledRssMb: number|null,
 *          result: object|null, stdoutTail: string, stderrTail: string}>}
 */
export function measureCommand(argv, options = {}) {
  const pollMs = options.pollMs ?? 50;
  const tailLimit = 64 * 1024;
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), {
        cwd: options.cwd,
        env: { ...process.env, ...(options.env ?? {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      resolve({ code: null, signal: null, error: String(err), seconds: 0, peakRssMb: null, polledRssMb: null, result: null, stdoutTail: '', stderrTail: '' });
      return;
    }
    const proc = canPollProc();
    let hwmKb = 0; // max over processes of VmHWM
    let sumKb = 0; // max over polls of the tree's summed PSS (multi-process trees)
    const hwmByPid = new Map();
    const poll = () => {
      if (!proc || child.pid === undefined) return;
      let sum = 0;
      const tree = processTree(child.pid);
      for (const pid of tree) {
        const hwm = readStatusKb(pid, 'VmHWM');
        if (hwm > (hwmByPid.get(pid) ?? 0)) hwmByPid.set(pid, hwm);
        // Several processes (a DataLoader worker, say) share library pages;
        // summing their RSS would count those twice, so sum PSS instead.
        if (tree.length > 1) sum += readPssKb(pid);
      }
      for (const v of hwmByPid.values()) if (v > hwmKb) hwmKb = v;
      if (sum > sumKb) sumKb = sum;
    };
    const timer = setInterval(poll, pollMs);
    poll();
    let timeout = null;
    if (options.timeoutMs) {
      timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    }

    let stdoutTail = '';
    let stderrTail = '';
    const lineSplitter = (stream) => {
      let partial = '';
      return (chunk) => {
        const text = chunk.toString('utf8');
        if (stream === 'stdout') stdoutTail = appendTail(stdoutTail, text, tailLimit);
        else stderrTail = appendTail(stderrTail, text, tailLimit);
        if (!options.onLine) return;
        partial += text;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        if (partial.length > tailLimit) partial = partial.slice(-tailLimit);
        for (const line of lines) options.onLine(line, stream);
      };
    };
    child.stdout.on('data', lineSplitter('stdout'));
    child.stderr.on('data', lineSplitter('stderr'));

    let spawnError = null;
    child.on('error', (err) => {
      spawnError = err.message;
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      if (timeout) clearTimeout(timeout);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const result = lastJsonLine(stdoutTail);
      const polledKb = Math.max(hwmKb, sumKb);
      const polledRssMb = polledKb > 0 ? polledKb / 1024 : null;
      const reported = result && typeof result.peak_rss_mb === 'number' ? result.peak_rss_mb : null;
      const peaks = [polledRssMb, reported].filter((v) => v !== null);
      resolve({
        code,
        signal,
        error: spawnError,
        seconds,
        peakRssMb: peaks.length > 0 ? Math.max(...peaks) : null,
        polledRssMb,
        result,
        stdoutTail,
        stderrTail,
      });
    });
  });
}
