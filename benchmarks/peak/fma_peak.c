/*
 * Practical fp32 FMA peak of this CPU: every thread runs a register-only loop of independent
 * vector FMAs (enough accumulators to cover FMA latency x issue width), all threads at once.
 * Built by benchmarks/side-by-side.sh twice: -mavx2 -mfma (256-bit) and, where the CPU has
 * AVX-512F, -mavx512f -DWIDTH=512.
 *   fma_peak THREADS...   prints  PEAK<bits> <threads> <best GFLOP/s> <median GFLOP/s>
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef WIDTH
#define WIDTH 256
#endif
#if WIDTH == 512
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float SUM(__m256 v) { float t[8]; _mm256_storeu_ps(t, v); float s = 0; for (int i = 0; i < 8; i++) s += t[i]; return s; }
#endif

#define ACC 12 /* independent accumulators a0..a11 */
#define ITERS 20000000L

static pthread_barrier_t barrier;
static volatile float sink;

static void *work(void *arg) {
    (void) arg;
    vec x = SET1(0.999999f), y = SET1(1e-7f);
    vec a0 = SET1(0), a1 = SET1(1), a2 = SET1(2), a3 = SET1(3), a4 = SET1(4), a5 = SET1(5);
    vec a6 = SET1(6), a7 = SET1(7), a8 = SET1(8), a9 = SET1(9), a10 = SET1(10), a11 = SET1(11);
    pthread_barrier_wait(&barrier);
    for (long it = 0; it < ITERS; it++) {
        a0 = FMA(a0, x, y); a1 = FMA(a1, x, y); a2 = FMA(a2, x, y); a3 = FMA(a3, x, y);
        a4 = FMA(a4, x, y); a5 = FMA(a5, x, y); a6 = FMA(a6, x, y); a7 = FMA(a7, x, y);
        a8 = FMA(a8, x, y); a9 = FMA(a9, x, y); a10 = FMA(a10, x, y); a11 = FMA(a11, x, y);
    }
    vec s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));
    sink = SUM(s);
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *p, const void *q) {
    double a = *(const double *) p, b = *(const double *) q;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    for (int ai = 1; ai < argc; ai++) {
        int threads = atoi(argv[ai]);
        if (threads < 1) { fprintf(stderr, "thread count must be >= 1, got '%s'\n", argv[ai]); return 2; }
        enum { TRIALS = 7 };
        double gf[TRIALS];
        for (int trial = 0; trial < TRIALS; trial++) {
            pthread_t tid[threads];
            pthread_barrier_init(&barrier, NULL, threads + 1);
            for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, work, NULL);
            pthread_barrier_wait(&barrier);
            double t0 = now();
            for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
            double dt = now() - t0;
            pthread_barrier_destroy(&barrier);
            gf[trial] = 2.0 * LANES * ACC * ITERS * threads / dt / 1e9;
        }
        qsort(gf, TRIALS, sizeof gf[0], cmp);
        printf("PEAK%d\t%d\t%.1f\t%.1f\n", WIDTH, threads, gf[TRIALS - 1], gf[TRIALS / 2]);
    }
    return 0;
}
