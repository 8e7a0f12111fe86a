// Benchmark, not a test (tap runs *.ts only): time a ProdLDA-sized training step on each
// backend and wasm binary, in CPU milliseconds of this process (less sensitive than wall
// time to other processes on a shared machine).
//   node --import @tapjs/typescript/import test/backend/variants.bench.mts <cpu|wasm|wasm-plain> [steps]
import * as tf from '@tensorflow/tfjs';
import { backendInfo, initBackend } from '../../src/backend.js';

const which = process.argv[2] ?? 'wasm';
const steps = Number(process.argv[3] ?? 20);
if (which === 'wasm-plain') {
  await import('@tensorflow/tfjs-backend-wasm'); // registers the flag
  tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
}
await initBackend(which === 'cpu' ? 'cpu' : 'wasm', { log: false });

const B = 64, V = 5000, H = 100, K = 20, NNZ_PER_DOC = 60;
let s = 1;
const rand = () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32);
const rows: number[] = [], ids: number[] = [], counts: number[] = [];
for (let d = 0; d < B; d++) for (let k = 0; k < NNZ_PER_DOC; k++) (rows.push(d), ids.push(Math.floor(rand() * V)), counts.push(1 + Math.floor(rand() * 3)));
const r = tf.tensor1d(rows, 'int32'), i = tf.tensor1d(ids, 'int32'), c = tf.tensor1d(counts);
const v = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.05, 'float32', 1));
const emb = v([V, H]), w1 = v([H, H]), wmu = v([H, K]), wlv = v([H, K]), beta = v([K, V]);
const opt = tf.train.adam(2e-3, 0.99, 0.999);
const flat = tf.tidy(() => r.mul(tf.scalar(V, 'int32')).add(i));
const step = () => {
  const loss = opt.minimize(() => {
    const h0 = tf.unsortedSegmentSum(tf.gather(emb, i).mul(c.expandDims(1)), r, B);
    const h = tf.dropout(tf.softplus(tf.matMul(tf.softplus(h0), w1)), 0.2);
    const mu = tf.matMul(h, wmu), lv = tf.matMul(h, wlv);
    const theta = tf.softmax(mu.add(tf.exp(lv.mul(0.5)).mul(tf.randomNormal(mu.shape))));
    const logp = tf.logSoftmax(tf.matMul(theta, beta));
    const nll = tf.unsortedSegmentSum(tf.gather(logp.reshape([-1]), flat).mul(c), r, B).neg();
    const kl = tf.sum(tf.exp(lv).add(mu.square()).sub(1).sub(lv), 1).mul(0.5);
    return tf.mean(nll.add(kl)) as tf.Scalar;
  }, true)!;
  loss.dataSync();
  loss.dispose();
};
for (let k = 0; k < 3; k++) step();
const c0 = process.cpuUsage(), w0 = performance.now();
for (let k = 0; k < steps; k++) step();
const cpu = process.cpuUsage(c0), wall = performance.now() - w0;
const info = backendInfo();
console.log(`${info?.name}${info?.wasmVariant ? '/' + info.wasmVariant : ''}: B=${B} V=${V} H=${H} K=${K} nnz=${B * NNZ_PER_DOC}: ${((cpu.user + cpu.system) / 1000 / steps).toFixed(1)} ms CPU/step, ${(wall / steps).toFixed(1)} ms wall/step over ${steps} steps`);
