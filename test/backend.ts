import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { backendInfo, currentBackend, initBackend, type BackendChoice } from '../src/backend.js';

// CI machines cannot install @tensorflow/tfjs-node (no libtensorflow download); where it does load, 'auto' must pick it.
const nativeLoads = await import('@tensorflow/tfjs-node' as string).then(() => true, () => false);

t.test('before any choice, nothing is reported as running', async (t) => {
  t.equal(currentBackend(), undefined);
  t.equal(backendInfo(), undefined);
});

const cases: Array<{ choice: BackendChoice; expect: string; variant?: string; added: string[] }> = [
  { choice: 'cpu', expect: 'cpu', added: ['UnsortedSegmentSum'] },
  { choice: 'wasm', expect: 'wasm', variant: 'simd', added: ['ClipByValue', 'Conv2DBackpropFilter', 'GatherV2', 'Identity', 'Tile', 'UnsortedSegmentSum'] },
  { choice: 'auto', expect: nativeLoads ? 'tensorflow' : 'wasm', added: nativeLoads ? [] : ['ClipByValue', 'Conv2DBackpropFilter', 'GatherV2', 'Identity', 'Tile', 'UnsortedSegmentSum'] },
];
for (const c of cases) {
  t.test(`initBackend('${c.choice}') runs ${c.expect} and says so`, async (t) => {
    const lines: string[] = [];
    const name = await initBackend(c.choice, { log: (line) => lines.push(line) });
    t.equal(name, c.expect);
    t.equal(currentBackend(), c.expect);
    t.equal(tf.getBackend(), c.expect);
    t.match(lines, [new RegExp(`^corpusflow: backend ${c.expect}`)]);
    t.equal(lines.length, 1);
    const info = backendInfo()!;
    t.equal(info.name, c.expect);
    t.same([...info.addedKernels].sort(), c.added);
    if (c.variant) t.equal(info.wasmVariant, c.variant, 'Node 20 loads the SIMD binary');
    if (c.variant) t.equal(info.simdKernels, true, "corpusflow's SIMD kernels run in it");
    // It computes, and gather's gradient (UnsortedSegmentSum) works.
    const g = tf.tidy(() => Array.from(tf.grad((p: tf.Tensor) => tf.gather(p, tf.tensor1d([1, 1, 2], 'int32')).sum())(tf.zeros([3])).dataSync()));
    t.same(g, [0, 2, 1]);
  });
}

t.test("explicit 'tensorflow' fails clearly when @tensorflow/tfjs-node cannot load", { skip: nativeLoads && 'tfjs-node loads here' }, async (t) => {
  const before = currentBackend();
  await t.rejects(initBackend('tensorflow', { log: false }), {
    name: 'CorpusflowError',
    code: 'BACKEND_UNAVAILABLE',
    message: /^backend tensorflow is not available \(tensorflow: .*@tensorflow\/tfjs-node.*\) \[BACKEND_UNAVAILABLE\] \(install @tensorflow\/tfjs-node/,
  });
  t.equal(currentBackend(), before, 'the running backend is unchanged');
});

t.test('an unknown choice is an INVALID_OPTION error', async (t) => {
  await t.rejects(initBackend('webgpu' as BackendChoice), { code: 'INVALID_OPTION', message: /Invalid option backend: expected 'auto', 'tensorflow', 'wasm' or 'cpu', got "webgpu"/ });
});

t.test('log: false is silent; the default writes one line to stderr', async (t) => {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await initBackend('cpu', { log: false });
    t.same(written, []);
    await initBackend('wasm');
    t.same(written, ['corpusflow: backend wasm (simd, corpusflow SIMD kernels)\n']);
  } finally {
    process.stderr.write = write;
  }
});

t.test('concurrent calls run one after the other; the last one wins', async (t) => {
  const [a, b] = await Promise.all([initBackend('wasm', { log: false }), initBackend('cpu', { log: false })]);
  t.same([a, b], ['wasm', 'cpu']);
  t.equal(currentBackend(), 'cpu');
});

t.test('backendInfo is undefined once tfjs is switched behind our back', async (t) => {
  await initBackend('cpu', { log: false });
  await tf.setBackend('wasm');
  t.equal(currentBackend(), 'wasm');
  t.equal(backendInfo(), undefined);
});
