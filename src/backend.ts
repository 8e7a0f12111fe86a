/**
 * Choosing the TensorFlow.js backend that runs every tensor op.
 *
 * `auto` prefers native TensorFlow (@tensorflow/tfjs-node, an optional dependency that
 * often cannot install), then WebAssembly, then plain JavaScript. An explicit choice is
 * honoured or fails with `BACKEND_UNAVAILABLE`. The wasm backend is completed with the
 * kernels training needs, and cpu's slow segment sum replaced (see ./backend/kernels.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CorpusflowError, invalidOption } from './errors.js';
import { registerGradients, registerKernels } from './backend/kernels.js';
import { simdKernels } from './backend/simd.js';

/** What the user may ask for. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
/** A backend that actually runs. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/**
 * Which wasm binary tfjs loaded: SIMD when the runtime supports it (Node 20 does).
 * The threaded build is never used in Node: tfjs turns it off there, and forcing it fails
 * because its workers are started from blob: URLs, which worker_threads refuses.
 */
export type WasmVariant = 'simd' | 'threaded-simd' | 'plain';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface InitBackendOptions {
  /**
   * Where to report the backend chosen: a callback receiving one line
   * (`corpusflow: backend wasm (simd, corpusflow SIMD kernels)`), or `false` for silence. Default: a line on stderr.
   */
  log?: ((line: string) => void) | false;
}

/** What runs now, as reported by `backendInfo()`. */
export interface BackendInfo {
  name: BackendName;
  /** Set for the wasm backend. */
  wasmVariant?: WasmVariant;
  /** Kernels corpusflow added to (or replaced in) the backend. */
  addedKernels: string[];
  /** Set for the wasm backend: whether corpusflow's own SIMD kernels (./backend/simd.ts) run in it. */
  simdKernels?: boolean;
}

let active: BackendInfo | undefined;
// Serialises concurrent initBackend calls: tf.setBackend is global state.
let pending: Promise<unknown> = Promise.resolve();

/**
 * Select and initialise the tfjs backend; call once before building tensors.
 * Like choosing an engine before a trip: `auto` takes the fastest one that starts.
 *
 * ## Example
 * ```ts
 * import { initBackend } from 'corpusflow';
 * const name = await initBackend('auto'); // 'tensorflow' | 'wasm' | 'cpu'
 * ```
 * @param choice `auto` (default), `tensorflow` (@tensorflow/tfjs-node), `wasm` or `cpu`
 * @param options `log`: where to report the choice
 * @return the name of the backend that runs
 * @throws CorpusflowError `BACKEND_UNAVAILABLE` when an explicit choice cannot start,
 *   `INVALID_OPTION` for an unknown choice
 */
export function initBackend(choice: BackendChoice = 'auto', options: InitBackendOptions = {}): Promise<BackendName> {
  if (!BACKEND_CHOICES.includes(choice)) {
    return Promise.reject(invalidOption('backend', "'auto', 'tensorflow', 'wasm' or 'cpu'", choice));
  }
  const run = pending.then(() => select(choice, options));
  pending = run.catch(() => undefined);
  return run;
}

/** The backend that runs now, or undefined before any tensor work or `initBackend`. */
export function currentBackend(): BackendName | undefined {
  const name = runningBackendName();
  return name === undefined ? undefined : (name as BackendName);
}

/** Details of the backend chosen by the last successful `initBackend` (undefined if tfjs was switched behind our back). */
export function backendInfo(): BackendInfo | undefined {
  return active !== undefined && runningBackendName() === active.name ? { ...active, addedKernels: [...active.addedKernels] } : undefined;
}

async function select(choice: BackendChoice, options: InitBackendOptions): Promise<BackendName> {
  const order: BackendName[] = choice === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [choice];
  const failures: string[] = [];
  for (const name of order) {
    const failure = await tryBackend(name);
    if (failure === undefined) {
      const info = await describe(name);
      active = info;
      const detail = info.wasmVariant ? ` (${info.wasmVariant}${info.simdKernels ? ', corpusflow SIMD kernels' : ''})` : '';
      report(options, `corpusflow: backend ${name}${detail}`);
      return name;
    }
    failures.push(`${name}: ${failure}`);
  }
  throw new CorpusflowError('BACKEND_UNAVAILABLE', `backend ${choice} is not available (${failures.join('; ')})`, {
    hint: choice === 'tensorflow'
      ? 'install @tensorflow/tfjs-node (it downloads libtensorflow) or choose --backend wasm or cpu'
      : "choose --backend cpu, or 'auto' to fall back",
  });
}

/** Try to start one backend; returns why it failed, or undefined on success. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    registerGradients();
    if (name === 'tensorflow') {
      // A variable specifier keeps TypeScript from resolving this optional dependency.
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
    } else if (name === 'wasm') {
      await loadWasm();
      registerKernels('wasm');
    } else if (name === 'cpu') {
      registerKernels('cpu');
    }
    if (tf.findBackendFactory(name) == null) return 'not registered';
    // setBackend reports an initialisation failure as `false` (after a console warning).
    if (!(await tf.setBackend(name))) return 'failed to initialise';
    await tf.ready();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  }
}

/** Load @tensorflow/tfjs-backend-wasm and point it at its .wasm files. */
async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the binaries sit next to the package's dist/ bundle; a prefix selects among the three variants.
  const require = createRequire(import.meta.url);
  const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  wasm.setWasmPaths(dist);
}

async function describe(name: BackendName): Promise<BackendInfo> {
  if (name === 'tensorflow') return { name, addedKernels: [] };
  if (name === 'cpu') return { name, addedKernels: registerKernels('cpu') };
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const wasmVariant: WasmVariant = simd && threads ? 'threaded-simd' : simd ? 'simd' : 'plain';
  return { name, wasmVariant, addedKernels: registerKernels('wasm'), simdKernels: simdKernels(tf.backend()) !== null };
}

function runningBackendName(): string | undefined {
  // tf.getBackend() would initialise a default backend as a side effect; peek instead.
  const engine = tf.engine() as unknown as { backendName?: string | null; backendInstance?: unknown };
  return engine.backendInstance ? (engine.backendName ?? undefined) : undefined;
}

function report(options: InitBackendOptions, line: string): void {
  if (options.log === false) return;
  if (options.log) options.log(line);
  else process.stderr.write(line + '\n');
}
