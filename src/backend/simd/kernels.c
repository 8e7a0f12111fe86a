/*
 * corpusflow's SIMD kernels: the element-wise passes of ProdLDA's training step and Adam, in
 * WebAssembly SIMD (128-bit, four float32 lanes).
 *
 * They run inside tfjs's own wasm memory: the module imports it, and every pointer below is a
 * byte offset into it (a tensor's data or scratch from tfjs's malloc). So no data is copied in or
 * out. That sharing puts two rules on this file, which the build script checks:
 *   - no static data (it would be written over tfjs's heap): constants are literals;
 *   - no stack (the module's stack would also live in tfjs's memory): the module is linked with a
 *     zero-sized stack at address 0, so a function that spilled to the stack would trap instead of
 *     corrupting memory. Keep functions to scalars and pointers.
 *
 * Build: src/backend/simd/build.sh (clang 14 + wasm-ld from Debian's clang and lld), which writes
 * the binary as base64 into src/backend/simd/kernels-wasm.ts. The TypeScript side is
 * src/backend/simd.ts; the plain-JavaScript kernels in src/models/prodlda-ops.ts compute the same
 * functions and are the reference in tests.
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define SPLAT(x) wasm_f32x4_splat(x)

/* e^x for x <= 0 in four lanes; 0 below -87 (under float32's normal range) and for -inf.
 * e^x = 2^k * e^y with k = round(x / ln 2), y = x - k ln 2 (ln 2 split in two parts so that y is
 * exact), e^y by its degree-6 Taylor polynomial on |y| <= ln2/2: relative error < 2e-7. */
static inline v128_t exp_nonpositive(v128_t x) {
  v128_t keep = wasm_f32x4_gt(x, SPLAT(-87.0f));
  v128_t xc = wasm_f32x4_max(x, SPLAT(-87.0f));
  v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(xc, SPLAT(1.44269504088896341f)));
  v128_t y = wasm_f32x4_sub(xc, wasm_f32x4_mul(k, SPLAT(0.693359375f)));
  y = wasm_f32x4_add(y, wasm_f32x4_mul(k, SPLAT(2.12194440e-4f)));
  v128_t p = SPLAT(1.0f / 720.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), SPLAT(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), SPLAT(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), SPLAT(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), SPLAT(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), SPLAT(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, y), SPLAT(1.0f));
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(k), wasm_i32x4_splat(127)), 23);
  return wasm_v128_and(wasm_f32x4_mul(p, scale), keep);
}

/* The same for one value (tails shorter than four lanes). */
static inline float exp_nonpositive1(float x) {
  return wasm_f32x4_extract_lane(exp_nonpositive(SPLAT(x)), 0);
}

/* Sum of the four lanes, in double. */
static inline double lanes_sum(v128_t v) {
  return (double)wasm_f32x4_extract_lane(v, 0) + (double)wasm_f32x4_extract_lane(v, 1) +
         (double)wasm_f32x4_extract_lane(v, 2) + (double)wasm_f32x4_extract_lane(v, 3);
}

/* Column mean and biased variance of X = L + bias over the B rows of L [B, V], two passes (the
 * second over centred values: no cancellation). */
EXPORT(column_stats)
void column_stats(const float *L, const float *bias, int B, int V, float *mean, float *var) {
  int v4 = V & ~3;
  for (int v = 0; v < V; v++) { mean[v] = 0.0f; var[v] = 0.0f; }
  for (int r = 0; r < B; r++) {
    const float *row = L + (long)r * V;
    int v = 0;
    for (; v < v4; v += 4)
      wasm_v128_store(mean + v, wasm_f32x4_add(wasm_v128_load(mean + v), wasm_f32x4_add(wasm_v128_load(row + v), wasm_v128_load(bias + v))));
    for (; v < V; v++) mean[v] += row[v] + bias[v];
  }
  float invB = 1.0f / (float)B;
  for (int v = 0; v < V; v++) mean[v] *= invB;
  for (int r = 0; r < B; r++) {
    const float *row = L + (long)r * V;
    int v = 0;
    for (; v < v4; v += 4) {
      v128_t d = wasm_f32x4_sub(wasm_f32x4_add(wasm_v128_load(row + v), wasm_v128_load(bias + v)), wasm_v128_load(mean + v));
      wasm_v128_store(var + v, wasm_f32x4_add(wasm_v128_load(var + v), wasm_f32x4_mul(d, d)));
    }
    for (; v < V; v++) { float d = row[v] + bias[v] - mean[v]; var[v] += d * d; }
  }
  for (int v = 0; v < V; v++) var[v] *= invB;
}

/* Per row r of L [B, V]: N = (L - centre) * inv + shift; with m = max_v (N + off),
 * P = exp(N + off - m) (unnormalised), rowMax[r] = m and rowTotal[r] = sum_v P.
 * off is 0 for live vocabulary rows and -inf for free ones. */
EXPORT(softmax_rows)
void softmax_rows(const float *L, const float *centre, const float *inv, const float *shift, const float *off,
                  int B, int V, float *N, float *P, float *rowMax, double *rowTotal) {
  int v4 = V & ~3;
  for (int r = 0; r < B; r++) {
    const float *l = L + (long)r * V;
    float *n = N + (long)r * V;
    float *p = P + (long)r * V;
    v128_t vmax = SPLAT(-__builtin_inff());
    float max = -__builtin_inff();
    int v = 0;
    for (; v < v4; v += 4) {
      v128_t x = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(l + v), wasm_v128_load(centre + v)), wasm_v128_load(inv + v)), wasm_v128_load(shift + v));
      wasm_v128_store(n + v, x);
      vmax = wasm_f32x4_pmax(vmax, wasm_f32x4_add(x, wasm_v128_load(off + v)));
    }
    for (; v < V; v++) {
      float x = (l[v] - centre[v]) * inv[v] + shift[v];
      n[v] = x;
      float m = x + off[v];
      if (m > max) max = m;
    }
    for (int i = 0; i < 4; i++) {
      float m = wasm_f32x4_extract_lane(vmax, 0);
      if (m > max) max = m;
      vmax = wasm_i32x4_shuffle(vmax, vmax, 1, 2, 3, 0);
    }
    v128_t vm = SPLAT(max);
    v128_t total = SPLAT(0.0f);
    double tail = 0.0;
    v = 0;
    for (; v < v4; v += 4) {
      v128_t e = exp_nonpositive(wasm_f32x4_sub(wasm_f32x4_add(wasm_v128_load(n + v), wasm_v128_load(off + v)), vm));
      wasm_v128_store(p + v, e);
      total = wasm_f32x4_add(total, e);
    }
    for (; v < V; v++) {
      float e = exp_nonpositive1(n[v] + off[v] - max);
      p[v] = e;
      tail += e;
    }
    rowMax[r] = max;
    rowTotal[r] = lanes_sum(total) + tail;
  }
}

/* The index of the first word outside [B, V] (id or row), or -1 when all are inside. */
EXPORT(check_words)
int check_words(const int *ids, const int *rows, int nnz, int B, int V) {
  for (int i = 0; i < nnz; i++)
    if ((unsigned)ids[i] >= (unsigned)V || (unsigned)rows[i] >= (unsigned)B) return i;
  return -1;
}

/* Batch-norm coefficients of the decoder: N = (L - centre) * inv + shift, where centre = mean - bias
 * and inv = 1 / sqrt(var + eps) with batch norm, centre = -bias and inv = 1 without. */
EXPORT(bn_coefficients)
void bn_coefficients(const float *mean, const float *var, const float *bias, int V, int batch_norm, float eps, float *centre, float *inv) {
  for (int v = 0; v < V; v++) {
    centre[v] = batch_norm ? mean[v] - bias[v] : -bias[v];
    inv[v] = batch_norm ? 1.0f / __builtin_sqrtf(var[v] + eps) : 1.0f;
  }
}

/* nll[r] = sum over the words of row r of count * (lse[r] - N[r, id]); rowTotal[r] = sum of counts. */
EXPORT(words_nll)
void words_nll(const int *ids, const int *rows, const float *counts, int nnz, const float *N, const double *lse, int B, int V, float *nll) {
  for (int r = 0; r < B; r++) nll[r] = 0.0f;
  for (int i = 0; i < nnz; i++) {
    int r = rows[i];
    nll[r] += counts[i] * (float)(lse[r] - (double)N[(long)r * V + ids[i]]);
  }
}

/* rowK[r] = dy[r] * (sum of row r's counts) * rowScale[r]: the factor of P in the gradient at N. */
EXPORT(row_factors)
void row_factors(const int *rows, const float *counts, int nnz, const float *dy, const float *row_scale, int B, float *rowK) {
  for (int r = 0; r < B; r++) rowK[r] = 0.0f;
  for (int i = 0; i < nnz; i++) rowK[rows[i]] += counts[i];
  for (int r = 0; r < B; r++) rowK[r] *= dy[r] * row_scale[r];
}

/* The words' part of the decoder gradient: G[r, v] -= dy[r] * c, with the column sums g1 and
 * g2 (of G * (N - shift)) kept in step. */
EXPORT(words_grad)
void words_grad(const int *ids, const int *rows, const float *counts, int nnz, const float *dy, const float *N, const float *shift,
                int V, float *G, float *g1, float *g2) {
  for (int i = 0; i < nnz; i++) {
    int r = rows[i], v = ids[i];
    long at = (long)r * V + v;
    float g = dy[r] * counts[i];
    G[at] -= g;
    g1[v] -= g;
    g2[v] -= g * (N[at] - shift[v]);
  }
}

/* inv = 1 / sqrt(var + eps); the column sums g1, g2 become column means. */
EXPORT(bn_grad_coefficients)
void bn_grad_coefficients(const float *var, int V, int B, float eps, float *inv, float *g1, float *g2) {
  float invB = 1.0f / (float)B;
  for (int v = 0; v < V; v++) {
    inv[v] = 1.0f / __builtin_sqrtf(var[v] + eps);
    g1[v] *= invB;
    g2[v] *= invB;
  }
}

/* Dense part of the decoder gradient: G = k_r * P for row r, and the column sums
 * g1 += G, g2 += G * (N - shift). g1 and g2 are accumulated (the caller zeroes them). */
EXPORT(softmax_grad)
void softmax_grad(const float *P, const float *N, const float *shift, const float *rowK, int B, int V,
                  float *G, float *g1, float *g2) {
  int v4 = V & ~3;
  for (int r = 0; r < B; r++) {
    const float *p = P + (long)r * V;
    const float *n = N + (long)r * V;
    float *g = G + (long)r * V;
    float k = rowK[r];
    v128_t vk = SPLAT(k);
    int v = 0;
    for (; v < v4; v += 4) {
      v128_t x = wasm_f32x4_mul(vk, wasm_v128_load(p + v));
      wasm_v128_store(g + v, x);
      wasm_v128_store(g1 + v, wasm_f32x4_add(wasm_v128_load(g1 + v), x));
      v128_t h = wasm_f32x4_sub(wasm_v128_load(n + v), wasm_v128_load(shift + v));
      wasm_v128_store(g2 + v, wasm_f32x4_add(wasm_v128_load(g2 + v), wasm_f32x4_mul(x, h)));
    }
    for (; v < V; v++) {
      float x = k * p[v];
      g[v] = x;
      g1[v] += x;
      g2[v] += x * (n[v] - shift[v]);
    }
  }
}

/* Through the batch norm, in place: G = inv * (G - m1 - (N - shift) * m2), where m1 and m2 are
 * the column means of G and of G * (N - shift). */
EXPORT(batchnorm_grad)
void batchnorm_grad(float *G, const float *N, const float *shift, const float *inv, const float *m1, const float *m2, int B, int V) {
  int v4 = V & ~3;
  for (int r = 0; r < B; r++) {
    const float *n = N + (long)r * V;
    float *g = G + (long)r * V;
    int v = 0;
    for (; v < v4; v += 4) {
      v128_t h = wasm_f32x4_sub(wasm_v128_load(n + v), wasm_v128_load(shift + v));
      v128_t x = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(g + v), wasm_v128_load(m1 + v)), wasm_f32x4_mul(h, wasm_v128_load(m2 + v)));
      wasm_v128_store(g + v, wasm_f32x4_mul(wasm_v128_load(inv + v), x));
    }
    for (; v < V; v++) g[v] = inv[v] * (g[v] - m1[v] - (n[v] - shift[v]) * m2[v]);
  }
}

/* Column blocks of the products below: a [K, 16·COLS] block of W or a [B, 16·COLS] block of G is
 * reused from L1 cache for every row (or k) before moving on, instead of sweeping the whole matrix
 * (~240 KB-750 KB at ProdLDA's shapes) once per row. */
#define COL_BLOCK 256

/* acc += s * w for four vectors starting at w. */
#define FMA4(c0, c1, c2, c3, s, w)                                        \
  do {                                                                    \
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(s, wasm_v128_load((w))));      \
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(s, wasm_v128_load((w) + 4)));  \
    c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(s, wasm_v128_load((w) + 8)));  \
    c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(s, wasm_v128_load((w) + 12))); \
  } while (0)

#define STORE4(o, c0, c1, c2, c3)       \
  do {                                  \
    wasm_v128_store((o), c0);           \
    wasm_v128_store((o) + 4, c1);       \
    wasm_v128_store((o) + 8, c2);       \
    wasm_v128_store((o) + 12, c3);      \
  } while (0)

/* out [B, V] = A [B, K] · W [K, V]. Meant for ProdLDA's decoder (K = topics, small; V = vocabulary)
 * and its dense encoder layers; unlike tfjs's XNNPACK matMul it packs nothing, which matters when W
 * changes every step. */
EXPORT(matmul)
void matmul(const float *A, const float *W, int B, int K, int V, float *out) {
  int v16 = V & ~15;
  for (int c = 0; c < v16; c += COL_BLOCK) {
    int cend = c + COL_BLOCK < v16 ? c + COL_BLOCK : v16;
    int b = 0;
    for (; b + 2 <= B; b += 2) { /* two rows per load of W */
      const float *a0 = A + (long)b * K, *a1 = a0 + K;
      float *o0 = out + (long)b * V, *o1 = o0 + V;
      for (int v = c; v < cend; v += 16) {
        v128_t c00 = SPLAT(0.0f), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (int k = 0; k < K; k++) {
          const float *w = W + (long)k * V + v;
          v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4), w2 = wasm_v128_load(w + 8), w3 = wasm_v128_load(w + 12);
          v128_t s0 = SPLAT(a0[k]), s1 = SPLAT(a1[k]);
          c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s0, w0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s0, w1));
          c02 = wasm_f32x4_add(c02, wasm_f32x4_mul(s0, w2)); c03 = wasm_f32x4_add(c03, wasm_f32x4_mul(s0, w3));
          c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s1, w0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s1, w1));
          c12 = wasm_f32x4_add(c12, wasm_f32x4_mul(s1, w2)); c13 = wasm_f32x4_add(c13, wasm_f32x4_mul(s1, w3));
        }
        STORE4(o0 + v, c00, c01, c02, c03);
        STORE4(o1 + v, c10, c11, c12, c13);
      }
    }
    for (; b < B; b++) {
      const float *a = A + (long)b * K;
      float *o = out + (long)b * V;
      for (int v = c; v < cend; v += 16) {
        v128_t c0 = SPLAT(0.0f), c1 = c0, c2 = c0, c3 = c0;
        for (int k = 0; k < K; k++) {
          v128_t s0 = SPLAT(a[k]);
          FMA4(c0, c1, c2, c3, s0, W + (long)k * V + v);
        }
        STORE4(o + v, c0, c1, c2, c3);
      }
    }
  }
  for (int b = 0; b < B; b++)
    for (int v = v16; v < V; v++) {
      float acc = 0.0f;
      for (int k = 0; k < K; k++) acc += A[(long)b * K + k] * W[(long)k * V + v];
      out[(long)b * V + v] = acc;
    }
}

/* out [B, K] = G [B, V] · W [K, V]ᵀ: out[b, k] = G[b, :] · W[k, :], two rows of W per pass over G's
 * row (each load of G serves two dot products), each dot product summed in double at its end. Not
 * column-blocked like the other two products: the partial sums per block cost more than the cache
 * misses they save (measured 0.92 against 1.23 ms per ProdLDA step). */
EXPORT(matmul_nt)
void matmul_nt(const float *G, const float *W, int B, int K, int V, float *out) {
  int v8 = V & ~7;
  for (int b = 0; b < B; b++) {
    const float *g = G + (long)b * V;
    int k = 0;
    for (; k + 2 <= K; k += 2) {
      const float *w0 = W + (long)k * V, *w1 = w0 + V;
      v128_t c00 = SPLAT(0.0f), c01 = c00, c10 = c00, c11 = c00;
      for (int v = 0; v < v8; v += 8) {
        v128_t x0 = wasm_v128_load(g + v), x1 = wasm_v128_load(g + v + 4);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, wasm_v128_load(w0 + v)));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x1, wasm_v128_load(w0 + v + 4)));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x0, wasm_v128_load(w1 + v)));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, wasm_v128_load(w1 + v + 4)));
      }
      double t0 = lanes_sum(wasm_f32x4_add(c00, c01)), t1 = lanes_sum(wasm_f32x4_add(c10, c11));
      for (int v = v8; v < V; v++) { t0 += g[v] * w0[v]; t1 += g[v] * w1[v]; }
      out[(long)b * K + k] = (float)t0;
      out[(long)b * K + k + 1] = (float)t1;
    }
    for (; k < K; k++) {
      const float *w0 = W + (long)k * V;
      v128_t c0 = SPLAT(0.0f), c1 = c0;
      for (int v = 0; v < v8; v += 8) {
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load(g + v), wasm_v128_load(w0 + v)));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_v128_load(g + v + 4), wasm_v128_load(w0 + v + 4)));
      }
      double t0 = lanes_sum(wasm_f32x4_add(c0, c1));
      for (int v = v8; v < V; v++) t0 += g[v] * w0[v];
      out[(long)b * K + k] = (float)t0;
    }
  }
}

/* out [K, V] = A [B, K]ᵀ · G [B, V]: out[k, :] = Σ_b A[b, k] G[b, :], one block of columns of G
 * at a time (kept in cache for every k). */
EXPORT(matmul_tn)
void matmul_tn(const float *A, const float *G, int B, int K, int V, float *out) {
  int v16 = V & ~15;
  for (int c = 0; c < v16; c += COL_BLOCK) {
    int cend = c + COL_BLOCK < v16 ? c + COL_BLOCK : v16;
    int k = 0;
    for (; k + 2 <= K; k += 2) { /* two rows of out per load of G */
      float *o0 = out + (long)k * V, *o1 = o0 + V;
      for (int v = c; v < cend; v += 16) {
        v128_t c00 = SPLAT(0.0f), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (int b = 0; b < B; b++) {
          const float *g = G + (long)b * V + v;
          v128_t x0 = wasm_v128_load(g), x1 = wasm_v128_load(g + 4), x2 = wasm_v128_load(g + 8), x3 = wasm_v128_load(g + 12);
          v128_t s0 = SPLAT(A[(long)b * K + k]), s1 = SPLAT(A[(long)b * K + k + 1]);
          c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(s0, x0)); c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(s0, x1));
          c02 = wasm_f32x4_add(c02, wasm_f32x4_mul(s0, x2)); c03 = wasm_f32x4_add(c03, wasm_f32x4_mul(s0, x3));
          c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(s1, x0)); c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(s1, x1));
          c12 = wasm_f32x4_add(c12, wasm_f32x4_mul(s1, x2)); c13 = wasm_f32x4_add(c13, wasm_f32x4_mul(s1, x3));
        }
        STORE4(o0 + v, c00, c01, c02, c03);
        STORE4(o1 + v, c10, c11, c12, c13);
      }
    }
    for (; k < K; k++) {
      float *o = out + (long)k * V;
      for (int v = c; v < cend; v += 16) {
        v128_t c0 = SPLAT(0.0f), c1 = c0, c2 = c0, c3 = c0;
        for (int b = 0; b < B; b++) {
          v128_t s0 = SPLAT(A[(long)b * K + k]);
          FMA4(c0, c1, c2, c3, s0, G + (long)b * V + v);
        }
        STORE4(o + v, c0, c1, c2, c3);
      }
    }
  }
  for (int k = 0; k < K; k++)
    for (int v = v16; v < V; v++) {
      float acc = 0.0f;
      for (int b = 0; b < B; b++) acc += A[(long)b * K + k] * G[(long)b * V + v];
      out[(long)k * V + v] = acc;
    }
}

/* y[0..n) += a * x[0..n) */
static inline void axpy(float *y, const float *x, int n, float a) {
  v128_t va = SPLAT(a);
  int j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(y + j, wasm_f32x4_add(wasm_v128_load(y + j), wasm_f32x4_mul(va, wasm_v128_load(x + j))));
  for (; j < n; j++) y[j] += a * x[j];
}

/* log(1 + u) for u in [0, 1] in four lanes: with s = u / (2 + u), log(1 + u) = 2 atanh(s)
 * = 2 (s + s^3/3 + ... + s^13/13); s <= 1/3, so the series' remainder is < 2e-8. */
static inline v128_t log1p_unit(v128_t u) {
  v128_t s = wasm_f32x4_div(u, wasm_f32x4_add(u, SPLAT(2.0f)));
  v128_t s2 = wasm_f32x4_mul(s, s);
  v128_t p = SPLAT(1.0f / 13.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), SPLAT(1.0f / 11.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), SPLAT(1.0f / 9.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), SPLAT(1.0f / 7.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), SPLAT(1.0f / 5.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), SPLAT(1.0f / 3.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s2), SPLAT(1.0f));
  return wasm_f32x4_mul(wasm_f32x4_mul(p, s), SPLAT(2.0f));
}

/* softplus(z) = max(z, 0) + log(1 + e^-|z|), stable for any z. */
static inline v128_t softplus4(v128_t z) {
  return wasm_f32x4_add(wasm_f32x4_max(z, SPLAT(0.0f)), log1p_unit(exp_nonpositive(wasm_f32x4_neg(wasm_f32x4_abs(z)))));
}

/* sigmoid(z) = 1 / (1 + e^-z), from t = e^-|z|: 1 / (1 + t) for z >= 0, t / (1 + t) below. */
static inline v128_t sigmoid4(v128_t z) {
  v128_t t = exp_nonpositive(wasm_f32x4_neg(wasm_f32x4_abs(z)));
  v128_t r = wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(t, SPLAT(1.0f)));
  return wasm_v128_bitselect(r, wasm_f32x4_mul(t, r), wasm_f32x4_ge(z, SPLAT(0.0f)));
}

/* z [B, O] += bias [O] (each row); then, with softplus set, a = softplus(z). */
EXPORT(bias_activation)
void bias_activation(float *z, const float *bias, int B, int O, int softplus, float *a) {
  int o4 = O & ~3;
  for (int r = 0; r < B; r++) {
    float *zr = z + (long)r * O;
    float *ar = a + (long)r * O;
    int o = 0;
    for (; o < o4; o += 4) {
      v128_t x = wasm_f32x4_add(wasm_v128_load(zr + o), wasm_v128_load(bias + o));
      wasm_v128_store(zr + o, x);
      if (softplus) wasm_v128_store(ar + o, softplus4(x));
    }
    for (; o < O; o++) {
      float x = zr[o] + bias[o];
      zr[o] = x;
      if (softplus) ar[o] = wasm_f32x4_extract_lane(softplus4(SPLAT(x)), 0);
    }
  }
}

/* a = softplus(z) over n elements. */
EXPORT(softplus)
void softplus(const float *z, int n, float *a) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(a + i, softplus4(wasm_v128_load(z + i)));
  for (; i < n; i++) a[i] = wasm_f32x4_extract_lane(softplus4(SPLAT(z[i])), 0);
}

/* dz = da * sigmoid(z) over n elements (the gradient through softplus); dz may alias da. */
EXPORT(softplus_grad)
void softplus_grad(const float *da, const float *z, int n, float *dz) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dz + i, wasm_f32x4_mul(wasm_v128_load(da + i), sigmoid4(wasm_v128_load(z + i))));
  for (; i < n; i++) dz[i] = da[i] * wasm_f32x4_extract_lane(sigmoid4(SPLAT(z[i])), 0);
}

/* out = (x + y) * m over n elements, or x * m when y is not given (has_y = 0): the dropout mask
 * applied forward, and backward to the sum of two gradients. */
EXPORT(add_mul)
void add_mul(const float *x, const float *y, int has_y, const float *m, int n, float *out) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(x + i);
    if (has_y) v = wasm_f32x4_add(v, wasm_v128_load(y + i));
    wasm_v128_store(out + i, wasm_f32x4_mul(v, wasm_v128_load(m + i)));
  }
  for (; i < n; i++) out[i] = (has_y ? x[i] + y[i] : x[i]) * m[i];
}

/* out [O] = column sums of X [B, O]. */
EXPORT(column_sums)
void column_sums(const float *X, int B, int O, float *out) {
  for (int o = 0; o < O; o++) out[o] = 0.0f;
  for (int r = 0; r < B; r++) axpy(out, X + (long)r * O, O, 1.0f);
}

/* order[0..nnz) = the indices of ids[] sorted by id (stable counting sort; start needs V + 1 ints).
 * Walking the non-zeros in this order reads and writes the [V, H] weight rows front to back, which
 * the hardware prefetches, instead of jumping between rows of a matrix that does not fit in cache. */
static void order_by_id(const int *ids, int nnz, int V, int *start, int *order) {
  for (int v = 0; v <= V; v++) start[v] = 0;
  for (int i = 0; i < nnz; i++) start[ids[i] + 1]++;
  for (int v = 0; v < V; v++) start[v + 1] += start[v];
  for (int i = 0; i < nnz; i++) order[start[ids[i]]++] = i;
}

/* h[rows[i], :] += counts[i] * W[ids[i], :] for every non-zero i, starting from the bias:
 * out [size, H] = x W + bias for a sparse x. Indices are checked by the caller. scratch: V + 1 + nnz ints. */
EXPORT(sparse_linear)
void sparse_linear(float *out, const float *W, const float *bias, const int *ids, const int *rows, const float *counts,
                   int nnz, int size, int V, int H, int *scratch) {
  int *order = scratch + V + 1;
  order_by_id(ids, nnz, V, scratch, order);
  for (int r = 0; r < size; r++)
    for (int j = 0; j < H; j++) out[(long)r * H + j] = bias[j];
  for (int n = 0; n < nnz; n++) {
    int i = order[n];
    axpy(out + (long)rows[i] * H, W + (long)ids[i] * H, H, counts[i]);
  }
}

/* Gradients of sparse_linear: dW [V, H] = 0 except dW[ids[i], :] += counts[i] * dy[rows[i], :];
 * db [H] = column sums of dy [B, H]. scratch: V + 1 + nnz ints. */
EXPORT(sparse_linear_grad)
void sparse_linear_grad(float *dW, float *db, const float *dy, const int *ids, const int *rows, const float *counts,
                        int nnz, int B, int V, int H, int *scratch) {
  int *order = scratch + V + 1;
  order_by_id(ids, nnz, V, scratch, order);
  __builtin_memset(dW, 0, (unsigned long)V * H * sizeof(float));
  for (int j = 0; j < H; j++) db[j] = 0.0f;
  for (int r = 0; r < B; r++) axpy(db, dy + (long)r * H, H, 1.0f);
  for (int n = 0; n < nnz; n++) {
    int i = order[n];
    axpy(dW + (long)ids[i] * H, dy + (long)rows[i] * H, H, counts[i]);
  }
}

/* One Adam step (PyTorch's rule) over n elements: m = b1 m + c1 g; s = b2 s + c2 g^2;
 * out = w - step * m / (sqrt(s) / sqrtBc2 + eps). c1 = 1 - b1 and c2 = 1 - b2 come from the caller,
 * computed in double and rounded once (as tfjs and PyTorch do; 1.0f - b2 in float32 differs by 1e-5).
 * m and s in place; out may not alias w. */
EXPORT(adam)
void adam(float *out, const float *w, const float *g, float *m, float *s, int n,
          float b1, float c1, float b2, float c2, float eps, float sqrtBc2, float step) {
  v128_t vb1 = SPLAT(b1), vc1 = SPLAT(c1), vb2 = SPLAT(b2), vc2 = SPLAT(c2);
  v128_t veps = SPLAT(eps), vbc = SPLAT(sqrtBc2), vstep = SPLAT(step);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), vb1), wasm_f32x4_mul(gi, vc1));
    v128_t si = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(s + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vc2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(s + i, si);
    v128_t den = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(si), vbc), veps);
    wasm_v128_store(out + i, wasm_f32x4_sub(wasm_v128_load(w + i), wasm_f32x4_mul(wasm_f32x4_div(mi, den), vstep)));
  }
  for (; i < n; i++) {
    float mi = m[i] * b1 + g[i] * c1;
    float si = s[i] * b2 + g[i] * g[i] * c2;
    m[i] = mi;
    s[i] = si;
    out[i] = w[i] - mi / (__builtin_sqrtf(si) / sqrtBc2 + eps) * step;
  }
}
