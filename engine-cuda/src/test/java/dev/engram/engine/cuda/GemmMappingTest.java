package dev.engram.engine.cuda;

import dev.engram.engine.cpu.Sgemm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The row-major to column-major GEMM mapping, executed by a pure-Java column-major SGEMM with
 * cuBLAS's exact argument semantics and compared with the CPU backend's row-major Sgemm.
 */
class GemmMappingTest {
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 24).map(k -> 0x6E440000L + k * 104729);
    }

    /** Column-major {@code C = alpha op(A) op(B) + beta C}, as cublasSgemm (A is m x k after op). */
    static void columnMajorSgemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                                 float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    float av = ta ? a[aOff + i * lda + p] : a[aOff + p * lda + i];
                    float bv = tb ? b[bOff + p * ldb + j] : b[bOff + j * ldb + p];
                    s += av * bv;
                }
                int ci = cOff + j * ldc + i;
                c[ci] = beta == 0 ? alpha * s : alpha * s + beta * c[ci];
            }
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void mappedColumnMajorCallEqualsRowMajorSgemm(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean ta = r.nextBoolean(), tb = r.nextBoolean();
        int m = 1 + r.nextInt(7), n = 1 + r.nextInt(7), k = 1 + r.nextInt(7);
        int lda = (ta ? m : k) + r.nextInt(3), ldb = (tb ? k : n) + r.nextInt(3), ldc = n + r.nextInt(3);
        int aOff = r.nextInt(4), bOff = r.nextInt(4), cOff = r.nextInt(4);
        float alpha = r.nextBoolean() ? 1f : 0.5f + r.nextInt(3), beta = r.nextBoolean() ? 0f : -0.75f;
        float[] a = random(r, aOff + (ta ? k : m) * lda), b = random(r, bOff + (tb ? n : k) * ldb);
        float[] c0 = random(r, cOff + m * ldc);
        float[] expected = c0.clone(), actual = c0.clone();
        Sgemm.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, expected, cOff, ldc);

        GemmMapping g = GemmMapping.ofRowMajor(ta, tb, m, n, k, lda, ldb, ldc);
        // the first cuBLAS operand is the row-major B, the second the row-major A
        columnMajorSgemm(g.transFirst(), g.transSecond(), g.m(), g.n(), g.k(), alpha, b, bOff, g.ldFirst(), a, aOff,
                g.ldSecond(), beta, actual, cOff, g.ldc());
        // Sgemm accumulates with FMA in packed blocks, the reference loop with separate multiply and
        // add: the two round differently (|a|, |b| <= 1, k <= 7, so 1e-5 is ~40 ulps of the largest sum);
        // a wrong mapping is off by O(1).
        assertThat(actual).as("ta=%s tb=%s m=%d n=%d k=%d", ta, tb, m, n, k)
                .containsExactly(expected, org.assertj.core.data.Offset.offset(1e-5f));
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void spanCoversTheLastElement(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 1 + r.nextInt(9), cols = 1 + r.nextInt(9), ld = cols + r.nextInt(4);
        assertThat(GemmMapping.span(rows, cols, ld)).isEqualTo((rows - 1) * ld + (cols - 1) + 1L);
        assertThat(GemmMapping.span(0, cols, ld)).isZero();
    }

    @org.junit.jupiter.api.Test
    void rejectsLeadingDimensionsTooSmall() {
        assertThatThrownBy(() -> GemmMapping.ofRowMajor(false, false, 3, 4, 5, 4, 4, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lda=4");
        assertThatThrownBy(() -> GemmMapping.ofRowMajor(false, true, 3, 4, 5, 5, 4, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("B^T");
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }
}
