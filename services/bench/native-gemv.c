/*
 * Native stand-in for a BLAS sgemv in edgerec's scorer bench: out = E·q + b over a row-major
 * n × d float32 table, timed per query. Four rows per pass with AVX2 FMA when the compiler
 * targets it (what OpenBLAS's sgemv_t does for a short row), a portable loop otherwise.
 * Usage: native-gemv N D QUERIES  →  one JSON line {"p50_ms","p99_ms","simd"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define KERNEL "avx2-fma"
static float hsum(__m256 v) {
  __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  a = _mm_hadd_ps(a, a);
  a = _mm_hadd_ps(a, a);
  return _mm_cvtss_f32(a);
}
static void gemv(const float *E, const float *b, const float *q, float *out, int n, int d) {
  int i = 0, d8 = d & ~7;
  for (; i + 4 <= n; i += 4) {
    const float *e = E + (size_t)i * d;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < d8; k += 8) {
      __m256 qv = _mm256_loadu_ps(q + k);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(e + k), qv, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(e + d + k), qv, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(e + 2 * d + k), qv, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(e + 3 * d + k), qv, a3);
    }
    float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
    for (int k = d8; k < d; k++) { s0 += e[k] * q[k]; s1 += e[d + k] * q[k]; s2 += e[2 * d + k] * q[k]; s3 += e[3 * d + k] * q[k]; }
    out[i] = s0 + b[i]; out[i + 1] = s1 + b[i + 1]; out[i + 2] = s2 + b[i + 2]; out[i + 3] = s3 + b[i + 3];
  }
  for (; i < n; i++) { float s = b[i]; for (int k = 0; k < d; k++) s += E[(size_t)i * d + k] * q[k]; out[i] = s; }
}
#else
#define KERNEL "portable"
static void gemv(const float *E, const float *b, const float *q, float *out, int n, int d) {
  for (int i = 0; i < n; i++) { float s = 0; for (int k = 0; k < d; k++) s += E[(size_t)i * d + k] * q[k]; out[i] = s + b[i]; }
}
#endif

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: native-gemv N D QUERIES\n"); return 2; }
  int n = atoi(argv[1]), d = atoi(argv[2]), queries = atoi(argv[3]);
  float *E = malloc((size_t)n * d * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
  float *out = malloc((size_t)n * sizeof(float)), *q = malloc((size_t)d * sizeof(float));
  double *t = malloc((size_t)queries * sizeof(double));
  unsigned s = 7;
  for (size_t i = 0; i < (size_t)n * d; i++) { s = s * 1664525u + 1013904223u; E[i] = (float)(s >> 8) / 16777216.0f - 0.5f; }
  for (int i = 0; i < n; i++) b[i] = 0.01f * (float)(i % 7);
  volatile float sink = 0;
  for (int r = 0; r < queries; r++) {
    for (int k = 0; k < d; k++) { s = s * 1664525u + 1013904223u; q[k] = (float)(s >> 8) / 16777216.0f - 0.5f; }
    double t0 = now_ms();
    gemv(E, b, q, out, n, d);
    t[r] = now_ms() - t0;
    sink += out[r % n]; /* keeps the work observable */
  }
  qsort(t, (size_t)queries, sizeof(double), cmp);
  int r99 = (int)(queries * 0.99 + 0.999999) - 1;
  printf("{\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"simd\":\"%s\"}\n", t[(queries + 1) / 2 - 1], t[r99 < 0 ? 0 : r99], KERNEL);
  return sink == 12345.f;
}
