import t from 'tap';
import { topicRecovery } from '../../src/eval/topic-recovery.js';

const vocab = ['a', 'b', 'c', 'd'];
const truth = {
  vocabulary: vocab,
  topics: [
    [0.7, 0.1, 0.1, 0.1],
    [0.1, 0.7, 0.1, 0.1],
    [0.0, 0.0, 0.5, 0.5],
  ],
};

t.test('recovery of known inputs', async (t) => {
  const cases: Array<{ name: string; learned: { vocabulary: (string | undefined)[]; topics: number[][] }; opts?: Parameters<typeof topicRecovery>[2]; want: number; matched?: number[] }> = [
    { name: 'identical', learned: truth, want: 1, matched: [0, 1, 2] },
    { name: 'permuted topics', learned: { vocabulary: vocab, topics: [truth.topics[2]!, truth.topics[0]!, truth.topics[1]!] }, want: 1, matched: [1, 2, 0] },
    {
      name: 'permuted vocabulary and an extra unknown word with weight 0',
      learned: { vocabulary: ['d', 'c', 'b', 'a', 'zz'], topics: truth.topics.map((r) => [r[3]!, r[2]!, r[1]!, r[0]!, 0]) },
      want: 1,
    },
    { name: 'scaled rows (cosine ignores scale)', learned: { vocabulary: vocab, topics: truth.topics.map((r) => r.map((x) => 5 * x)) }, want: 1 },
    { name: 'logits with softmax', learned: { vocabulary: vocab, topics: truth.topics.map((r) => r.map((x) => Math.log(x + 1e-300) + 3)) }, opts: { softmax: true }, want: 1 },
    {
      name: 'free rows (undefined words) are ignored',
      learned: { vocabulary: ['a', undefined, 'b', 'c', 'd'], topics: truth.topics.map((r) => [r[0]!, 99, r[1]!, r[2]!, r[3]!]) },
      want: 1,
    },
    {
      name: 'fewer learned than true topics: the unmatched true topic scores 0',
      learned: { vocabulary: vocab, topics: [truth.topics[2]!, truth.topics[1]!] },
      want: 2 / 3,
      matched: [-1, 1, 0],
    },
    { name: 'orthogonal topic', learned: { vocabulary: ['x', 'y'], topics: [[1, 0], [0, 1], [1, 1]] }, want: 0 },
  ];
  for (const c of cases) {
    const r = topicRecovery(c.learned, truth, c.opts);
    t.ok(Math.abs(r.mean - c.want) < 1e-12, `${c.name}: mean ${r.mean}, want ${c.want}`);
    if (c.matched) t.same(r.matches.map((m) => m.learnedTopic), c.matched, `${c.name}: pairing`);
  }
  // truth topic 1 is closer to learned 0 (= truth 0, cos 0.16/0.52) than to learned 1 (= truth 2, cos 0.1/√0.26)
  const two = { vocabulary: vocab, topics: [truth.topics[0]!, truth.topics[1]!] };
  const learned = { vocabulary: vocab, topics: [truth.topics[0]!, truth.topics[2]!] };
  const best = topicRecovery(learned, two, { matching: 'best' });
  const hung = topicRecovery(learned, two);
  t.same(best.matches.map((m) => m.learnedTopic), [0, 0], 'best-match reuses learned topic 0');
  t.same(hung.matches.map((m) => m.learnedTopic), [0, 1], 'hungarian pairs one-to-one');
  t.ok(Math.abs(best.mean - (1 + 0.16 / 0.52) / 2) < 1e-12, `best mean ${best.mean}`);
  t.ok(Math.abs(hung.mean - (1 + 0.1 / Math.sqrt(0.26)) / 2) < 1e-12, `hungarian mean ${hung.mean}`);
  const dup = topicRecovery({ vocabulary: vocab, topics: [truth.topics[0]!, truth.topics[0]!, truth.topics[0]!] }, truth);
  t.ok(dup.mean < 0.8, `hungarian on duplicates: ${dup.mean}`);
  t.same(new Set(dup.matches.map((m) => m.learnedTopic)).size, 3, 'one-to-one');
});

/** Brute force over all assignments, to check the Hungarian method finds the best total. */
function bestTotal(sim: number[][]): number {
  const n = sim.length;
  const m = sim[0]!.length;
  let best = -Infinity;
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, acc: number): void => {
    if (i === n) {
      best = Math.max(best, acc);
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, acc + sim[i]![j]!);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

t.test('hungarian matching is the best one-to-one total (random cases vs brute force)', async (t) => {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let trial = 0; trial < 30; trial++) {
    const k = 2 + (trial % 5);
    const learnedK = k + (trial % 3);
    const v = 6;
    const words = Array.from({ length: v }, (_, i) => `w${i}`);
    const tr = { vocabulary: words, topics: Array.from({ length: k }, () => words.map(() => rand())) };
    const le = { vocabulary: words, topics: Array.from({ length: learnedK }, () => words.map(() => rand())) };
    const r = topicRecovery(le, tr);
    const want = bestTotal(r.similarity) / k;
    t.ok(Math.abs(r.mean - want) < 1e-12, `trial ${trial} (${k} true, ${learnedK} learned): ${r.mean} vs ${want}`);
    t.equal(new Set(r.matches.map((m) => m.learnedTopic)).size, k, `trial ${trial}: one-to-one`);
  }
});

t.test('invalid input', async (t) => {
  t.throws(() => topicRecovery(truth, { vocabulary: vocab, topics: [] }), { code: 'INVALID_OPTION', message: /truth.topics/ });
  t.throws(() => topicRecovery({ vocabulary: vocab, topics: [] }, truth), { code: 'INVALID_OPTION', message: /learned.topics/ });
  t.throws(() => topicRecovery({ vocabulary: vocab, topics: [[1, 2]] }, truth), { code: 'INVALID_OPTION', message: /learned.topics\[0\]/ });
  t.throws(() => topicRecovery(truth, truth, { matching: 'greedy' as 'best' }), { code: 'INVALID_OPTION', message: /matching/ });
});
