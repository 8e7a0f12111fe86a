// The fused ProdLDA kernels against the tf-op formulation they replace: values and gradients,
// on wasm and cpu, sparse and dense batches, with and without batch norm and free vocabulary rows.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.js';
import { decoderNll, latent, sparseLinear, setFusedOps, fusedOpsAvailable } from '../../src/models/prodlda-ops.js';
import { ProdLDA } from '../../src/models/prodlda.js';
import { toSparseBowBatch, toDenseBowBatch } from '../../src/batch/tensors.js';

const EPS = 1e-5;

/** Deterministic pseudo-random numbers in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random sparse batch: `perDoc` distinct ids per row, counts 1–3, sorted by row then id. */
function words(B: number, V: number, perDoc: number, seed: number) {
  const r = rng(seed);
  const ids: number[] = [];
  const rows: number[] = [];
  const counts: number[] = [];
  const dense = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    const pick = new Set<number>();
    while (pick.size < Math.min(perDoc, V)) pick.add(Math.floor(r() * V));
    for (const id of [...pick].sort((x, y) => x - y)) {
      const c = 1 + Math.floor(r() * 3);
      ids.push(id);
      rows.push(b);
      counts.push(c);
      dense[b * V + id] = c;
    }
  }
  return { ids, rows, counts, dense };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** The reference: batch norm (batch statistics) + shift, dead columns at −1e9, log-softmax, −Σ x·log p. */
function referenceNll(logits: tf.Tensor2D, bias: tf.Tensor1D, x: tf.Tensor2D, bn: boolean, live: Uint8Array | null): tf.Tensor1D {
  let n: tf.Tensor2D = tf.add(logits, bias);
  if (bn) {
    const { mean, variance } = tf.moments(n, 0);
    n = tf.div(tf.sub(n, mean), tf.sqrt(tf.add(variance, EPS)));
  }
  if (live) n = tf.add(n, tf.tensor1d(Array.from(live, (l) => (l ? 0 : -1e9))));
  return tf.neg(tf.sum(tf.mul(x, tf.logSoftmax(n)), 1));
}

for (const backend of ['wasm', 'cpu'] as const) {
  t.test(`${backend}: fused kernels`, async (t) => {
    await initBackend(backend, { log: false });
    t.ok(fusedOpsAvailable(), `${backend} has the fused kernels`);
    const base = tf.memory().numTensors;

    const cases = [
      { name: 'sparse, batch norm', B: 8, V: 37, sparse: true, bn: true, dead: [] as number[] },
      { name: 'dense, batch norm', B: 8, V: 37, sparse: false, bn: true, dead: [] },
      { name: 'sparse, no batch norm', B: 5, V: 23, sparse: true, bn: false, dead: [] },
      { name: 'sparse, free rows', B: 6, V: 30, sparse: true, bn: true, dead: [3, 4, 29] },
      { name: 'one document', B: 1, V: 11, sparse: true, bn: false, dead: [] },
    ];
    for (const c of cases) {
      t.test(`decoderNll: ${c.name}`, async (t) => {
        const r = rng(c.B * 31 + c.V);
        const live = c.dead.length ? Uint8Array.from({ length: c.V }, (_, v) => (c.dead.includes(v) ? 0 : 1)) : null;
        const w = words(c.B, c.V, 4, c.V);
        if (live) {
          // Documents never hold words in free rows (a free row has no token).
          for (let i = w.ids.length - 1; i >= 0; i--) if (!live[w.ids[i]!]) w.counts[i] = 0;
          for (let b = 0; b < c.B; b++) for (const v of c.dead) w.dense[b * c.V + v] = 0;
        }
        tf.tidy(() => {
          const logits = tf.tensor2d(Array.from({ length: c.B * c.V }, () => r() * 4 - 2), [c.B, c.V]);
          const bias = tf.tensor1d(Array.from({ length: c.V }, () => r() - 0.5));
          const dense = tf.tensor2d(w.dense, [c.B, c.V]);
          const weights = tf.tensor1d(Array.from({ length: c.B }, () => r() + 0.5));
          const input = c.sparse ? { ids: tf.tensor1d(w.ids, 'int32'), rows: tf.tensor1d(w.rows, 'int32'), counts: tf.tensor1d(w.counts) } : { dense };
          const fusedLoss = (l: tf.Tensor2D) => {
            const { nll, mean, variance } = decoderNll(l, bias, null, input, { batchNorm: c.bn, epsilon: EPS, live });
            tf.dispose([mean, variance]);
            return tf.sum(tf.mul(nll, weights)) as tf.Scalar;
          };
          const refLoss = (l: tf.Tensor2D) => tf.sum(tf.mul(referenceNll(l, bias, dense, c.bn, live), weights)) as tf.Scalar;
          const got = tf.valueAndGrad(fusedLoss)(logits);
          const want = tf.valueAndGrad(refLoss)(logits);
          const scale = Math.max(1, Math.abs(want.value.dataSync()[0]!));
          t.ok(maxAbsDiff(got.value, want.value) / scale < 1e-5, `loss ${got.value.dataSync()[0]} vs ${want.value.dataSync()[0]}`);
          const gd = maxAbsDiff(got.grad, want.grad);
          t.ok(gd < 1e-4, `gradient max |Δ| ${gd.toExponential(2)}`);
          if (live) {
            const g = got.grad.dataSync();
            t.ok(c.dead.every((v) => Array.from({ length: c.B }, (_, b) => g[b * c.V + v]).every((x) => x === 0)), 'free rows get no gradient');
          }
          // Batch statistics for the running averages: mean and biased variance of logits + bias.
          const { nll, mean, variance } = decoderNll(logits, bias, null, input, { batchNorm: c.bn, epsilon: EPS, live });
          const m = tf.moments(tf.add(logits, bias), 0);
          t.ok(maxAbsDiff(mean, m.mean) < 1e-5 && maxAbsDiff(variance, m.variance) < 1e-4, 'batch mean and variance');
          tf.dispose([nll, mean, variance]);
        });
      });
    }

    t.test('sparseLinear equals the dense product, gradients included', async (t) => {
      const B = 7;
      const V = 29;
      const H = 6; // not a multiple of four: the unrolled loop's remainder runs
      const w = words(B, V, 5, 3);
      const r = rng(11);
      tf.tidy(() => {
        const W = tf.tensor2d(Array.from({ length: V * H }, () => r() - 0.5), [V, H]);
        const b = tf.tensor1d(Array.from({ length: H }, () => r()));
        const up = tf.tensor2d(Array.from({ length: B * H }, () => r() - 0.5), [B, H]);
        const x = { ids: tf.tensor1d(w.ids, 'int32'), rows: tf.tensor1d(w.rows, 'int32'), counts: tf.tensor1d(w.counts) };
        const dense = tf.tensor2d(w.dense, [B, V]);
        const got = tf.grads((k: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(sparseLinear(k as tf.Tensor2D, bb as tf.Tensor1D, x, B), up)))([W, b]);
        const want = tf.grads((k: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(dense, k as tf.Tensor2D), bb), up)))([W, b]);
        t.ok(maxAbsDiff(sparseLinear(W, b, x, B), tf.add(tf.matMul(dense, W), b)) < 1e-5, 'values');
        t.ok(maxAbsDiff(got[0]!, want[0]!) < 1e-5, 'dW');
        t.ok(maxAbsDiff(got[1]!, want[1]!) < 1e-5, 'dbias');
      });
      t.throws(
        () => tf.tidy(() => sparseLinear(tf.zeros([V, H]), tf.zeros([H]), { ids: tf.tensor1d([V], 'int32'), rows: tf.tensor1d([0], 'int32'), counts: tf.tensor1d([1]) }, B)),
        /outside/,
        'an id past the vocabulary is an error, not a read out of bounds',
      );
    });

    t.test('a batch outside its shape throws and leaves no output behind', async (t) => {
      const B = 4;
      const V = 9;
      const bad = () => ({ ids: tf.tensor1d([1, V], 'int32'), rows: tf.tensor1d([0, 1], 'int32'), counts: tf.tensor1d([1, 2]) });
      const engineBackend = tf.backend() as unknown as { numDataIds(): number };
      const cases: Array<[string, () => unknown]> = [
        ['sparseLinear', () => sparseLinear(tf.zeros([V, 3]), tf.zeros([3]), bad(), B, 'softplus')],
        ['decoderNll', () => decoderNll(tf.zeros([B, V]), tf.zeros([V]), null, bad(), { batchNorm: true, epsilon: EPS, live: null })],
        ['decoderNll, dense', () => decoderNll(tf.zeros([B, V]), tf.zeros([V]), null, { dense: tf.zeros([B, V + 1]) }, { batchNorm: false, epsilon: EPS, live: null })],
      ];
      for (const [name, run] of cases) {
        const tensors = tf.memory().numTensors;
        const dataIds = engineBackend.numDataIds();
        t.throws(() => tf.tidy(run), /outside|shape/, `${name} throws`);
        t.equal(tf.memory().numTensors, tensors, `${name}: no tensor left`);
        t.equal(engineBackend.numDataIds(), dataIds, `${name}: no backend buffer left`);
      }
    });

    for (const bn of [true, false]) {
      t.test(`latent layer, batch norm ${bn}`, async (t) => {
        const B = 9;
        const K = 5;
        const r = rng(bn ? 5 : 6);
        const alpha = 1;
        const a = new Array<number>(K).fill(alpha);
        const meanLogA = a.reduce((s, x) => s + Math.log(x), 0) / K;
        const pv = a.map((x) => (1 / x) * (1 - 2 / K) + a.reduce((s, y) => s + 1 / y, 0) / (K * K));
        const prior = { priorMean: Float64Array.from(a, (x) => Math.log(x) - meanLogA), priorVar: Float64Array.from(pv), priorLogVar: Float64Array.from(pv, Math.log) };
        tf.tidy(() => {
          const rnd = (n: number, s = 1) => Array.from({ length: n }, () => (r() - 0.5) * 2 * s);
          const muRaw = tf.tensor2d(rnd(B * K, 2), [B, K]);
          const lvRaw = tf.tensor2d(rnd(B * K), [B, K]);
          const muShift = tf.tensor1d(rnd(K, 0.3));
          const lvShift = tf.tensor1d(rnd(K, 0.3));
          const eps = tf.tensor2d(rnd(B * K, 1.5), [B, K]);
          const mask = tf.tensor2d(Array.from({ length: B * K }, () => (r() < 0.2 ? 0 : 1.25)), [B, K]);
          const upTheta = tf.tensor2d(rnd(B * K), [B, K]);
          const upKl = tf.tensor1d(rnd(B));
          const pm = tf.tensor1d(Array.from(prior.priorMean));
          const pvT = tf.tensor1d(Array.from(prior.priorVar));
          const plv = tf.tensor1d(Array.from(prior.priorLogVar));
          const objective = (theta: tf.Tensor, kl: tf.Tensor) => tf.add(tf.sum(tf.mul(theta, upTheta)), tf.sum(tf.mul(kl, upKl))) as tf.Scalar;
          const fused = (m: tf.Tensor, l: tf.Tensor, ms: tf.Tensor, ls: tf.Tensor) => {
            const out = latent(m as tf.Tensor2D, l as tf.Tensor2D, bn ? { mu: ms as tf.Tensor1D, logvar: ls as tf.Tensor1D } : null, eps, mask, { batchNorm: bn, epsilon: EPS, ...prior });
            out.stats.dispose();
            // Without batch norm the shifts are unused: add 0·shift so that both sides take gradients for them.
            return tf.add(objective(out.theta, out.kl), bn ? 0 : tf.sum(tf.mul(tf.add(ms, ls), 0))) as tf.Scalar;
          };
          const reference = (m: tf.Tensor, l: tf.Tensor, ms: tf.Tensor, ls: tf.Tensor) => {
            const norm = (x: tf.Tensor, s: tf.Tensor) => {
              if (!bn) return x;
              const { mean, variance } = tf.moments(x, 0);
              return tf.add(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), s);
            };
            const mu = norm(m, ms);
            const logvar = norm(l, ls);
            const variance = tf.exp(logvar);
            const theta = tf.mul(tf.softmax(tf.add(mu, tf.mul(tf.sqrt(variance), eps))), mask);
            const kl = tf.mul(0.5, tf.sub(tf.sum(tf.add(tf.add(tf.div(variance, pvT), tf.div(tf.square(tf.sub(mu, pm)), pvT)), tf.sub(plv, logvar)), 1), K));
            return tf.add(objective(theta, kl), bn ? 0 : tf.sum(tf.mul(tf.add(ms, ls), 0))) as tf.Scalar;
          };
          const got = tf.valueAndGrads(fused)([muRaw, lvRaw, muShift, lvShift]);
          const want = tf.valueAndGrads(reference)([muRaw, lvRaw, muShift, lvShift]);
          t.ok(maxAbsDiff(got.value, want.value) < 1e-4, `objective ${got.value.dataSync()[0]} vs ${want.value.dataSync()[0]}`);
          ['dμ', 'dlogvar', 'dμ shift', 'dlogvar shift'].forEach((name, i) => {
            const d = maxAbsDiff(got.grads[i]!, want.grads[i]!);
            t.ok(d < 1e-4, `${name} max |Δ| ${d.toExponential(2)}`);
          });
        });
      });
    }

    t.test('ProdLDA: the fused training loss equals the tf-op loss, gradients and running statistics included', async (t) => {
      const V = 40;
      const docs = Array.from({ length: 12 }, (_, i) => {
        const w = words(1, V, 6, 100 + i);
        return { id: i, bow: w.ids.map((id, j) => [id, w.counts[j]!] as [number, number]) };
      });
      // Sparse batches on wasm train through the one-op step (prodldaStepLoss): every encoder depth.
      const variants = [
        ...(['sparse', 'dense'] as const).flatMap((kind) => [true, false].map((batchNorm) => ({ kind, batchNorm, hidden: [10, 8] }))),
        { kind: 'sparse' as const, batchNorm: true, hidden: [7] },
        { kind: 'sparse' as const, batchNorm: false, hidden: [6, 5, 4] },
      ];
      for (const { kind, batchNorm, hidden } of variants) {
        {
          const results = [true, false].map((fusedOn) => {
            setFusedOps(fusedOn);
            const model = new ProdLDA({ vocabSize: V, capacity: 48, topics: 4, hidden, seed: 2, batchNorm });
            model.setLive([44], true); // a live row past the vocabulary, with free rows after it
            const batch = kind === 'sparse' ? toSparseBowBatch(docs, V) : toDenseBowBatch(docs, V);
            const vars = model.trainableVariables();
            const { value, grads } = tf.variableGrads(() => model.lossFn(batch, true), vars);
            const out = {
              loss: value.dataSync()[0]!,
              grads: vars.map((v) => Array.from(grads[v.name]!.dataSync())),
              state: model.stateVariables().map((v) => Array.from(v.dataSync())),
            };
            tf.dispose([value, ...Object.values(grads)]);
            batch.dispose();
            model.dispose();
            return out;
          });
          setFusedOps(true);
          const [fusedR, plain] = results as [(typeof results)[0], (typeof results)[0]];
          t.ok(Math.abs(fusedR.loss - plain.loss) < 1e-3 * Math.abs(plain.loss), `${kind}, bn ${batchNorm}, hidden ${hidden}: loss ${fusedR.loss} vs ${plain.loss}`);
          let worst = 0;
          fusedR.grads.forEach((g, i) => g.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - plain.grads[i]![j]!)))));
          t.ok(worst < 2e-3, `${kind}, bn ${batchNorm}: gradients max |Δ| ${worst.toExponential(2)}`);
          let stateWorst = 0;
          fusedR.state.forEach((g, i) => g.forEach((x, j) => (stateWorst = Math.max(stateWorst, Math.abs(x - plain.state[i]![j]!)))));
          t.ok(stateWorst < 1e-4, `${kind}, bn ${batchNorm}: running statistics max |Δ| ${stateWorst.toExponential(2)}`);
        }
      }
    });

    t.test('ProdLDA: the fused evaluation loss (running statistics) equals the tf-op one', async (t) => {
      const V = 30;
      const docs = Array.from({ length: 10 }, (_, i) => {
        const w = words(1, V, 5, 200 + i);
        return { id: i, bow: w.ids.map((id, j) => [id, w.counts[j]!] as [number, number]) };
      });
      for (const batchNorm of [true, false]) {
        const model = new ProdLDA({ vocabSize: V, capacity: 34, topics: 3, hidden: [8], seed: 4, batchNorm });
        model.setLive([32], true);
        const batch = toSparseBowBatch(docs, V);
        const vars = model.trainableVariables();
        // A few training steps so that the running statistics are not their initial 0 and 1.
        for (let i = 0; i < 3; i++) {
          tf.tidy(() => {
            const { grads } = tf.variableGrads(() => model.lossFn(batch, true), vars);
            vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.05))));
          });
        }
        const loss = (fusedOn: boolean) => {
          setFusedOps(fusedOn);
          const l = model.lossFn(batch, false);
          const v = l.dataSync()[0]!;
          l.dispose();
          return v;
        };
        const fusedLoss = loss(true);
        const plainLoss = loss(false);
        setFusedOps(true);
        t.ok(Math.abs(fusedLoss - plainLoss) < 1e-4 * Math.abs(plainLoss), `bn ${batchNorm}: ${fusedLoss} vs ${plainLoss}`);
        batch.dispose();
        model.dispose();
      }
    });

    t.equal(tf.memory().numTensors, base, 'every tensor disposed');
  });
}
