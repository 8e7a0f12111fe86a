import t from 'tap';
import { classicalMds, jensenShannon, jensenShannonMatrix } from '../../src/report/intertopic.js';

t.test('jensenShannon', async (t) => {
  const cases: Array<[number[], number[], number]> = [
    [[1, 0], [1, 0], 0],
    [[1, 0], [0, 1], Math.log(2)],
    [[0.5, 0.5], [0.5, 0.5], 0],
    // ½ KL(p‖m) + ½ KL(q‖m) by hand for p=(.75,.25), q=(.25,.75), m=(.5,.5)
    [[0.75, 0.25], [0.25, 0.75], 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5)],
  ];
  for (const [p, q, expected] of cases) {
    t.ok(Math.abs(jensenShannon(p, q) - expected) < 1e-12, `${p} vs ${q}`);
    t.ok(Math.abs(jensenShannon(q, p) - expected) < 1e-12, 'symmetric');
  }
});

t.test('jensenShannonMatrix is symmetric with a zero diagonal', async (t) => {
  const d = jensenShannonMatrix([[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0]]);
  for (let i = 0; i < 3; i++) {
    t.equal(d[i]![i], 0);
    for (let j = 0; j < 3; j++) t.equal(d[i]![j], d[j]![i]);
  }
});

const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));

t.test('classicalMds reproduces Euclidean configurations', async (t) => {
  const configs: Array<[string, number[][]]> = [
    ['points on a line', [[0, 0], [1, 0], [3, 0]]],
    ['a triangle', [[0, 0], [4, 0], [0, 3]]],
    ['a square', [[0, 0], [1, 0], [1, 1], [0, 1]]],
    ['a random cloud', Array.from({ length: 12 }, (_, i) => [Math.sin(i * 1.7) * 3, Math.cos(i * 2.3) * 2])],
  ];
  for (const [name, pts] of configs) {
    const d = pts.map((a) => pts.map((b) => dist(a, b)));
    const xy = classicalMds(d, 2);
    let worst = 0;
    for (let i = 0; i < pts.length; i++) for (let j = 0; j < pts.length; j++) worst = Math.max(worst, Math.abs(dist(xy[i]!, xy[j]!) - d[i]![j]!));
    t.ok(worst < 1e-6, `${name}: worst distance error ${worst}`);
  }
});

t.test('classicalMds edge cases', async (t) => {
  t.same(classicalMds([]), []);
  t.same(classicalMds([[0]]), [[0, 0]]);
  t.same(classicalMds([[0, 0], [0, 0]]), [[0, 0], [0, 0]], 'identical points');
});
