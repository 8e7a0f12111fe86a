// Finds the Python that runs the peers (gensim 4.2 + PyTorch 1.13 from
// Debian's packages at /usr/bin/python3) and says plainly when it is missing,
// so the bench can still report our side alone.

import { spawnSync } from 'node:child_process';

/** Default interpreter; override with CORPUSFLOW_BENCH_PYTHON=/path/to/python. */
export const DEFAULT_PYTHON = '/usr/bin/python3';

const PROBE = [
  'import json, platform',
  'out = {"python": platform.python_version()}',
  'for name in ("gensim", "torch", "numpy"):',
  '    try:',
  '        out[name] = __import__(name).__version__',
  '    except Exception as e:',
  '        out[name] = None',
  '        out[name + "_error"] = type(e).__name__ + ": " + str(e)',
  'print(json.dumps(out))',
].join('\n');

/**
 * Probes the peer interpreter and the packages each peer needs.
 * @param {{python?: string, env?: NodeJS.ProcessEnv}} [options]
 * @return {{python: string, available: boolean, versions: {python?: string, gensim?: string|null, torch?: string|null, numpy?: string|null},
 *           missing: string[], message: string}}
 */
export function detectPeer(options = {}) {
  const env = options.env ?? process.env;
  const python = options.python ?? env.CORPUSFLOW_BENCH_PYTHON ?? DEFAULT_PYTHON;
  const run = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000 });
  if (run.error || run.status !== 0) {
    const why = run.error ? run.error.message : (run.stderr || `exit code ${run.status}`).trim().split('\n').pop();
    return {
      python,
      available: false,
      versions: {},
      missing: ['python'],
      message: `peer missing: cannot run ${python} (${why}); reporting corpusflow's figures only. ` +
        'Install Debian\'s python3-gensim and python3-torch, or set CORPUSFLOW_BENCH_PYTHON.',
    };
  }
  let versions;
  try {
    versions = JSON.parse(run.stdout.trim().split('\n').pop());
  } catch {
    return {
      python,
      available: false,
      versions: {},
      missing: ['python'],
      message: `peer missing: ${python} did not answer the version probe; reporting corpusflow's figures only.`,
    };
  }
  const missing = ['gensim', 'torch', 'numpy'].filter((name) => !versions[name]);
  const clean = { python: versions.python, gensim: versions.gensim, torch: versions.torch, numpy: versions.numpy };
  return {
    python,
    available: missing.length === 0,
    versions: clean,
    missing,
    message: missing.length === 0
      ? `peer: ${python} (Python ${clean.python}, gensim ${clean.gensim}, torch ${clean.torch})`
      : `peer incomplete: ${python} lacks ${missing.join(', ')}; benchmarks whose peer needs it report corpusflow's figures only.`,
  };
}

/**
 * Whether a peer needing `requires` (e.g. ['gensim'] or ['torch']) can run.
 * @param {ReturnType<typeof detectPeer>} peer
 * @param {string[]} requires
 */
export function peerCanRun(peer, requires) {
  if (peer.missing.includes('python')) return false;
  return requires.every((name) => !peer.missing.includes(name));
}
