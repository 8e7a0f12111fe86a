/**
 * The intertopic distance map pyLDAvis draws: Jensen-Shannon distances
 * between the topics' word distributions, laid out in two dimensions by
 * classical multidimensional scaling (principal coordinate analysis, PCoA).
 */

/**
 * Jensen-Shannon divergence (natural log, in [0, ln 2]) between two distributions of equal length.
 *
 * @param p a probability distribution.
 * @param q another, over the same outcomes.
 * @return JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½ (p + q).
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = q[i]!;
    const m = (a + b) / 2;
    if (a > 0) d += a * Math.log(a / m);
    if (b > 0) d += b * Math.log(b / m);
  }
  return Math.max(0, d / 2);
}

/** The symmetric matrix of Jensen-Shannon divergences between rows. */
export function jensenShannonMatrix(rows: readonly ArrayLike<number>[]): number[][] {
  const n = rows.length;
  const d = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) d[i]![j] = d[j]![i] = jensenShannon(rows[i]!, rows[j]!);
  }
  return d;
}

/**
 * Classical MDS: points in `dims` dimensions whose Euclidean distances best
 * match `distances` (pyLDAvis' default `js_PCoA` uses the divergences as distances).
 * Eigenvectors come from power iteration with deflation, which is plenty for
 * the few dozen topics a map shows.
 *
 * @param distances symmetric n×n matrix with a zero diagonal.
 * @param dims output dimensions, default 2.
 * @return n points of `dims` coordinates (zeros along a dimension with no spread).
 */
export function classicalMds(distances: readonly (readonly number[])[], dims = 2): number[][] {
  const n = distances.length;
  if (n === 0) return [];
  // B = -½ J D² J, with J the centring matrix: double-centre the squared distances.
  const sq = distances.map((row) => row.map((v) => v * v));
  const rowMean = sq.map((row) => row.reduce((s, v) => s + v, 0) / n);
  const all = rowMean.reduce((s, v) => s + v, 0) / n;
  let b = sq.map((row, i) => row.map((v, j) => -0.5 * (v - rowMean[i]! - rowMean[j]! + all)));
  const coords = Array.from({ length: n }, () => new Array<number>(dims).fill(0));
  for (let k = 0; k < dims; k++) {
    const { value, vector } = dominantEigen(b, k);
    if (!(value > 1e-12)) break;
    const scale = Math.sqrt(value);
    for (let i = 0; i < n; i++) coords[i]![k] = vector[i]! * scale;
    // deflate: B -= λ v vᵀ
    b = b.map((row, i) => row.map((x, j) => x - value * vector[i]! * vector[j]!));
  }
  return coords;
}

function dominantEigen(m: number[][], salt: number): { value: number; vector: number[] } {
  const n = m.length;
  // deterministic, non-degenerate start
  let v = Array.from({ length: n }, (_, i) => 1 + ((i * 7 + salt * 3) % 5) / 10);
  let value = 0;
  for (let iter = 0; iter < 500; iter++) {
    const w = m.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
    const norm = Math.hypot(...w);
    if (norm === 0) return { value: 0, vector: v };
    const next = w.map((x) => x / norm);
    // Rayleigh quotient: the (signed) eigenvalue
    value = next.reduce((s, x, i) => s + x * m[i]!.reduce((t, y, j) => t + y * next[j]!, 0), 0);
    const change = next.reduce((s, x, i) => s + Math.abs(x - v[i]!), 0);
    v = next;
    if (change < 1e-10) break;
  }
  // a stable orientation: largest component positive
  let big = 0;
  for (let i = 1; i < n; i++) if (Math.abs(v[i]!) > Math.abs(v[big]!)) big = i;
  if (v[big]! < 0) v = v.map((x) => -x);
  return { value, vector: v };
}
