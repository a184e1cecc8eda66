package dev.engram.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SgemmTest {
    private static final long SEED = Long.getLong("engram.test.seed", System.nanoTime());
    private static final int[] SIZES = {1, 3, 7, 17, 33, 65, 129, 255};

    static {
        System.out.println("SgemmTest seed = " + SEED + " (rerun with -Dengram.test.seed=" + SEED + ")");
    }

    private final SplittableRandom rnd = new SplittableRandom(SEED);
    private final int savedThreads = CpuParallel.threads();

    @AfterEach
    void restore() {
        Sgemm.useKernel(null);
        Sgemm.inPlaceA = true;
        CpuParallel.setThreads(savedThreads);
    }

    /**
     * Makes the named micro-kernel the active one. Each kernel is tested whatever the CPU: where
     * the hardware lacks a vector width, the Vector API runs that species in (slow) Java code.
     */
    private static void use(String kernel) {
        Sgemm.useKernel(switch (kernel) {
            case "scalar" -> new SgemmScalarKernel();
            case "vector256" -> new SgemmVectorKernel();
            case "vector512" -> new SgemmVector512Kernel();
            default -> throw new IllegalArgumentException(kernel);
        });
    }

    private float[] random(int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        return x;
    }

    /** One GEMM problem with its own (padded, offset) storage. */
    private final class Case {
        final boolean ta, tb;
        final int m, n, k, lda, ldb, ldc, aOff, bOff, cOff;
        final float alpha, beta;
        final float[] a, b, c0;

        Case(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int pad, int off) {
            this.ta = ta;
            this.tb = tb;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            lda = Math.max(1, ta ? m : k) + pad;
            ldb = Math.max(1, tb ? k : n) + pad;
            ldc = Math.max(1, n) + pad;
            aOff = off;
            bOff = off + 1;
            cOff = off + 2;
            a = random(aOff + (ta ? k : m) * lda + 3);
            b = random(bOff + (tb ? n : k) * ldb + 3);
            c0 = random(cOff + m * ldc + 3);
            if (beta == 0f) Arrays.fill(c0, Float.NaN);
        }

        float[] run() {
            float[] c = c0.clone();
            Sgemm.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return c;
        }

        double opA(int i, int p) {
            return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        }

        double opB(int p, int j) {
            return tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        }

        /**
         * Checks against a double-precision triple loop. Error bound: float accumulation of k
         * products (FMA or mul+add), plus rounding of alpha·a (packing) and of the beta merge, is at
         * most about (k + 3)·u·(|alpha|·Σ|a||b| + |beta·c|) with u = 2⁻²⁴ (standard γ_n analysis,
         * Higham §3.1); we allow twice that. Elements outside the C matrix must be untouched.
         */
        void check(float[] c) {
            double u = Math.ulp(1f) / 2;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, sAbs = 0;
                    for (int p = 0; p < k; p++) {
                        double t = opA(i, p) * opB(p, j);
                        s += t;
                        sAbs += Math.abs(t);
                    }
                    int idx = cOff + i * ldc + j;
                    double old = beta == 0f ? 0 : c0[idx];
                    double want = alpha * s + beta * old;
                    double tol = 2 * (k + 3) * u * (Math.abs(alpha) * sAbs + Math.abs(beta * old)) + 1e-30;
                    if (!(Math.abs(c[idx] - want) <= tol)) {
                        throw new AssertionError(String.format(
                                "%s: C[%d,%d] = %s, want %s (tol %s)", this, i, j, c[idx], want, tol));
                    }
                }
            }
            for (int idx = 0; idx < c.length; idx++) {
                int r = (idx - cOff) / ldc, col = (idx - cOff) % ldc;
                boolean inside = idx >= cOff && r < m && col < n;
                if (!inside) {
                    assertThat(Float.floatToRawIntBits(c[idx])).as("%s: C outside at %d", this, idx)
                            .isEqualTo(Float.floatToRawIntBits(c0[idx]));
                }
            }
        }

        @Override
        public String toString() {
            return String.format("sgemm(ta=%s, tb=%s, m=%d, n=%d, k=%d, alpha=%s, beta=%s, lda=%d, ldb=%d, ldc=%d,"
                    + " off=%d, kernel=%s)", ta, tb, m, n, k, alpha, beta, lda, ldb, ldc, aOff,
                    Sgemm.kernel().name());
        }
    }

    private void sweep() {
        boolean[] tf = {false, true};
        for (boolean ta : tf) {
            for (boolean tb : tf) {
                for (int s : SIZES) {
                    // square, plus two random non-square shapes around s
                    Case sq = new Case(ta, tb, s, s, s, 1f, 0f, 0, 0);
                    sq.check(sq.run());
                    int m = 1 + rnd.nextInt(2 * s), n = 1 + rnd.nextInt(2 * s), k = 1 + rnd.nextInt(2 * s);
                    Case c1 = new Case(ta, tb, m, n, k, 0.75f, -1.25f, rnd.nextInt(5), rnd.nextInt(7));
                    c1.check(c1.run());
                    Case c2 = new Case(ta, tb, n, k, m, -2f, 1f, 3, 5);
                    c2.check(c2.run());
                }
            }
        }
    }

    @Test
    void defaultKernelMatchesTheCpusPreferredVectorWidth() {
        int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        System.out.println("preferred vector bits " + bits + ", default kernel " + Sgemm.kernelName());
        assertThat(Sgemm.kernelName()).isEqualTo(bits >= 512 ? "vector512-6x32" : bits >= 256 ? "vector256-6x16" : "scalar-6x16");
        assertThat(SgemmVectorKernels.preferred(256).name()).isEqualTo("vector256-6x16");
        assertThat(SgemmVectorKernels.preferred(512).name()).isEqualTo("vector512-6x32");
        assertThatThrownBy(() -> SgemmVectorKernels.preferred(128)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 128");
    }

    /** The in-cache kernel run behind the SGEMM ceiling benchmark computes the exact product on every thread asked. */
    @Test
    void kernelInCacheChecksItsProductOnEveryThread() {
        CpuParallel.setThreads(2);
        assertThat(Sgemm.kernelInCache(1, 3)).isEqualTo(1);
        assertThat(Sgemm.kernelInCache(2, 3)).isBetween(1, 2);
        assertThat(Sgemm.kernelInCacheFlop()).isEqualTo(2.0 * Sgemm.MR * Sgemm.NC * Sgemm.KC);
        assertThatThrownBy(() -> Sgemm.kernelInCache(3, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 3");
        assertThatThrownBy(() -> Sgemm.kernelInCache(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("calls must be >= 1");
        // a kernel that leaves C untouched is caught
        Sgemm.useKernel(new SgemmKernel() {
            @Override
            public void macro(int mc, int nc, int kc, float[] a, int aOff, int lda, float[] pb, float[] c, int cOff,
                              int ldc, float beta, float[] tmp) { }

            @Override
            public int nr() {
                return 16;
            }

            @Override
            public String name() {
                return "idle";
            }
        });
        assertThatThrownBy(() -> Sgemm.kernelInCache(1, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("idle computed NaN");
    }

    /** The warm-up runs the kernel on private buffers: a GEMM gives the same bits before and after it. */
    @Test
    void warmUpLeavesResultsUnchanged() {
        SgemmVectorTileKernel k = (SgemmVectorTileKernel) SgemmVectorKernels.preferred(null);
        Sgemm.useKernel(k);
        Case c = new Case(false, true, 13, 70, 600, 0.5f, 1.5f, 1, 2);
        float[] before = c.run();
        k.warmUp();
        assertThat(c.run()).isEqualTo(before);
        c.check(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector256", "vector512", "scalar"})
    void allTransposesOddSizes(String kernel) {
        use(kernel);
        assertThat(Sgemm.vectorized()).isEqualTo(!kernel.equals("scalar"));
        sweep();
    }

    /** The two vector kernels run the same FMA chain per element: results agree bit for bit. */
    @Test
    void vectorWidthsAgreeBitForBit() {
        int[][] shapes = {{128, 512, 784}, {13, 70, 600}, {64, 33, 27}, {200, 10, 512}, {20, 70, Sgemm.KC + 300}};
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                Case c = new Case(ta, !ta, s[0], s[1], s[2], 0.5f, 1.5f, 1, 2);
                use("vector256");
                float[] r256 = c.run();
                use("vector512");
                float[] r512 = c.run();
                assertThat(r512).as("%s", c).isEqualTo(r256);
                c.check(r512);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector256", "vector512", "scalar"})
    void nonSquareAndBlockBoundaryShapes(String kernel) {
        use(kernel);
        int[][] shapes = {{1, 1000, 3}, {1000, 1, 3}, {3, 1000, 1}, {1, 10, 128}, {64, 64, 64},
            {7, 300, 513}, {300, 7, 257}, {145, 3075, 20}, {150, 40, 600}, {2, 2, 5000}, {97, 161, 1},
            {3100, 17, 9}, {2, 3, 2}, {1, 1, 1}, {40, 1, 70}, {1, 40, 70}, {5, 700, 3},
            {13, 70, Sgemm.KC + 1}, {7, 100, 2 * Sgemm.KC + 37}};
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    Case c = new Case(ta, tb, s[0], s[1], s[2], 1.5f, 0.5f, 2, 3);
                    c.check(c.run());
                }
            }
        }
    }

    @Test
    void alphaBetaVariants() {
        float[][] ab = {{1, 0}, {1, 1}, {2.5f, 0}, {-1, 1}, {0.5f, -3}, {0, 2}, {0, 0}, {1, 0.25f}};
        for (float[] x : ab) {
            for (int s : new int[] {5, 40, 130}) {
                Case c = new Case(rnd.nextBoolean(), rnd.nextBoolean(), s, s + 3, s + 1, x[0], x[1], 1, 2);
                c.check(c.run());
            }
        }
    }

    @Test
    void betaZeroOverwritesNaN() {
        for (int s : new int[] {4, 50, 200}) {
            Case c = new Case(false, false, s, s, s, 1f, 0f, 2, 1);
            float[] out = c.run();
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) assertThat(out[c.cOff + i * c.ldc + j]).isNotNaN();
            }
            c.check(out);
        }
        // k == 0 and alpha == 0 with beta == 0 also clear NaN
        float[] c = new float[6];
        Arrays.fill(c, Float.NaN);
        Sgemm.sgemm(false, false, 2, 3, 0, 1f, new float[0], 0, 1, new float[3], 0, 3, 0f, c, 0, 3);
        assertThat(c).containsOnly(0f);
        Arrays.fill(c, Float.NaN);
        Sgemm.sgemm(false, false, 2, 3, 4, 0f, new float[8], 0, 4, new float[12], 0, 3, 0f, c, 0, 3);
        assertThat(c).containsOnly(0f);
    }

    @Test
    void kZeroScalesC() {
        float[] c = {1, 2, 3, 4};
        Sgemm.sgemm(true, true, 2, 2, 0, 5f, null, 0, 2, null, 0, 1, 3f, c, 0, 2);
        assertThat(c).containsExactly(3, 6, 9, 12);
        Sgemm.sgemm(false, false, 0, 0, 0, 1f, null, 0, 1, null, 0, 1, 0f, null, 0, 1);
    }

    @Test
    void batched() {
        for (int threads : new int[] {1, 2, 3}) {
            CpuParallel.setThreads(threads);
            for (int[] s : new int[][] {{3, 5, 7, 5}, {64, 40, 72, 4}, {130, 97, 65, 3}, {8, 8, 8, 16}}) {
                int m = s[0], n = s[1], k = s[2], batch = s[3];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                        long sA = (long) (ta ? k : m) * lda + 5, sB = (long) (tb ? n : k) * ldb + 1;
                        long sC = (long) m * ldc + 7;
                        float[] a = random((int) (4 + sA * batch));
                        float[] b = random((int) (2 + sB * batch));
                        float[] c = random((int) (3 + sC * batch));
                        float[] want = c.clone();
                        for (int i = 0; i < batch; i++) {
                            Sgemm.sgemm(ta, tb, m, n, k, 0.5f, a, (int) (4 + i * sA), lda, b, (int) (2 + i * sB),
                                    ldb, 2f, want, (int) (3 + i * sC), ldc);
                        }
                        Sgemm.sgemmBatched(ta, tb, m, n, k, 0.5f, a, 4, lda, sA, b, 2, ldb, sB, 2f, c, 3, ldc, sC,
                                batch);
                        // single GEMMs are themselves checked elsewhere; batching must not change a bit
                        assertThat(c).as("batched %s", Arrays.toString(s)).isEqualTo(want);
                    }
                }
            }
        }
        // shared (stride 0) B operand, checked against the reference
        Case one = new Case(false, false, 20, 30, 40, 1f, 0f, 0, 0);
        float[] c = new float[2 * 20 * 30];
        Sgemm.sgemmBatched(false, false, 20, 30, 40, 1f, one.a, 0, 40, 0, one.b, 1, 30, 0, 0f, c, 0, 30, 600, 2);
        float[] first = Arrays.copyOfRange(c, 0, 600);
        assertThat(Arrays.copyOfRange(c, 600, 1200)).isEqualTo(first);
        float[] single = new float[600];
        Sgemm.sgemm(false, false, 20, 30, 40, 1f, one.a, 0, 40, one.b, 1, 30, 0f, single, 0, 30);
        assertThat(first).isEqualTo(single);
    }

    /** Column chunks keep a packed B block within its budget, as whole micro-panels of every kernel. */
    @ParameterizedTest
    @ValueSource(ints = {1, 27, 128, 256, 300, 576, 784, 1024, 5000})
    void chunkWidthKeepsThePackedBlockInBudget(int kc) {
        int w = Sgemm.chunkWidth(kc);
        assertThat(w % Sgemm.NR_MAX).isZero();
        assertThat(w).isBetween(2 * Sgemm.NR_MAX, 8 * Sgemm.NR_MAX);
        if (w > 2 * Sgemm.NR_MAX) assertThat((long) w * kc).isLessThanOrEqualTo(Sgemm.B_BLOCK_FLOATS);
        if (w < 8 * Sgemm.NR_MAX) assertThat((long) (w + Sgemm.NR_MAX) * kc).isGreaterThan(Sgemm.B_BLOCK_FLOATS);
    }

    /** A read in place (alpha 1, A not transposed) and A copied first give the same bits, edge rows and k-blocks included. */
    @ParameterizedTest
    @ValueSource(strings = {"vector256", "vector512", "scalar"})
    void inPlaceAMatchesCopiedABitForBit(String kernel) {
        use(kernel);
        int[][] shapes = {{128, 512, 784}, {13, 70, 600}, {7, 300, 513}, {301, 97, 260}, {5, 40, 3}, {1000, 33, 257},
            {19, 200, 2 * Sgemm.KC + 37}};
        for (int[] s : shapes) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int threads : new int[] {1, 2, 3}) {
                    CpuParallel.setThreads(threads);
                    Case c = new Case(false, tb, s[0], s[1], s[2], 1f, 0.5f, 3, 2);
                    Sgemm.inPlaceA = true;
                    float[] direct = c.run();
                    Sgemm.inPlaceA = false;
                    float[] copied = c.run();
                    assertThat(direct).as("%s, %d threads", c, threads).isEqualTo(copied);
                    c.check(direct);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector256", "vector512", "scalar"})
    void deterministicAndThreadCountIndependent(String kernel) {
        use(kernel);
        int[][] shapes = {{300, 517, 700}, {517, 40, 300}, {96, 2000, 130}, {40, 40, 40}, {50, 300, 2 * Sgemm.KC + 37}};
        for (int[] s : shapes) {
            Case c = new Case(true, false, s[0], s[1], s[2], 1.25f, 0.5f, 1, 1);
            CpuParallel.setThreads(1);
            float[] r1 = c.run();
            CpuParallel.setThreads(2);
            float[] r2 = c.run();
            float[] r2b = c.run();
            CpuParallel.setThreads(3);
            float[] r3 = c.run();
            assertThat(r2).as("run to run").isEqualTo(r2b);
            assertThat(r1).as("1 vs 2 threads").isEqualTo(r2);
            assertThat(r3).as("1 vs 3 threads").isEqualTo(r1);
            c.check(r1);
        }
    }

    /** Without --add-modules jdk.incubator.vector the class must still load and fall back. */
    @Test
    void worksWithoutVectorModule() throws Exception {
        String javaCmd = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        Process p = new ProcessBuilder(javaCmd, "-cp", cp, NoVectorMain.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("vectorized=false").contains("result=OK")
                .contains("--add-modules jdk.incubator.vector");
    }

    /** Entry point of the child JVM started by {@link #worksWithoutVectorModule()}. */
    static final class NoVectorMain {
        public static void main(String[] args) {
            int s = 70;
            float[] a = new float[s * s], b = new float[s * s], c = new float[s * s];
            for (int i = 0; i < a.length; i++) {
                a[i] = i % 7 - 3;
                b[i] = i % 5 - 2;
            }
            Sgemm.sgemm(false, true, s, s, s, 1f, a, 0, s, b, 0, s, 0f, c, 0, s);
            boolean ok = true;
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    float want = 0; // small integers: exact in float
                    for (int p = 0; p < s; p++) want += a[i * s + p] * b[j * s + p];
                    ok &= c[i * s + j] == want;
                }
            }
            // the other kernels with a Vector API path fall back as well
            float[] x = {-1f, 2f, -0f, Float.NaN}, dy = {5f, 6f, 7f, 8f}, dx = new float[4];
            ReluBackward relu = ReluBackward.get();
            relu.apply(x, dy, dx, 0, 4);
            ok &= relu instanceof ReluBackward.Scalar && dx[0] == 0f && dx[1] == 6f && dx[2] == 0f && dx[3] == 8f;
            ok &= RowSums.get() instanceof RowSums.Scalar;
            System.out.println("vectorized=" + Sgemm.vectorized() + " result=" + (ok ? "OK" : "WRONG"));
        }
    }

    @Test
    void validationMessages() {
        float[] x = new float[100];
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, -1, 2, 2, 1, x, 0, 2, x, 0, 2, 0, x, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("m must be >= 0, got -1");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 2, -3, 2, 1, x, 0, 2, x, 0, 2, 0, x, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n must be >= 0, got -3");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 2, 2, -4, 1, x, 0, 2, x, 0, 2, 0, x, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k must be >= 0, got -4");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 2, 3, 5, 1, x, 0, 4, x, 0, 3, 0, x, 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lda").hasMessageContaining("got 4");
        assertThatThrownBy(() -> Sgemm.sgemm(true, false, 7, 3, 5, 1, x, 0, 5, x, 0, 3, 0, x, 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lda")
                .hasMessageContaining("max(1, 7)");
        assertThatThrownBy(() -> Sgemm.sgemm(false, true, 2, 3, 5, 1, x, 0, 5, x, 0, 3, 0, x, 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ldb");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 2, 3, 5, 1, x, 0, 5, x, 0, 3, 0, x, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ldc");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 10, 10, 10, 1, x, 1, 10, x, 0, 10, 0, x, 0, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a is too short")
                .hasMessageContaining("needs 101").hasMessageContaining("length is 100");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 10, 10, 10, 1, x, 0, 10, new float[99], 0, 10, 0, x, 0, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b is too short");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 10, 10, 10, 1, x, 0, 10, x, 0, 10, 0, x, 0, 11))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("c is too short");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 2, 2, 2, 1, x, -1, 2, x, 0, 2, 0, x, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aOff must be >= 0, got -1");
        assertThatThrownBy(() -> Sgemm.sgemm(false, false, 2, 2, 2, 1, null, 0, 2, x, 0, 2, 0, x, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a must not be null");
        assertThatThrownBy(() -> Sgemm.sgemmBatched(false, false, 2, 2, 2, 1, x, 0, 2, 4, x, 0, 2, 4, 0, x, 0, 2, 4, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch must be >= 0, got -1");
        assertThatThrownBy(() -> Sgemm.sgemmBatched(false, false, 2, 2, 2, 1, x, 0, 2, -4, x, 0, 2, 4, 0, x, 0, 2, 4, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strideA must be >= 0, got -4");
        assertThatThrownBy(() -> Sgemm.sgemmBatched(false, false, 2, 2, 2, 1, x, 0, 2, 4, x, 0, 2, 4, 0, x, 0, 2, 3, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strideC");
        assertThatThrownBy(() -> Sgemm.sgemmBatched(false, false, 2, 2, 2, 1, x, 0, 2, 4, x, 0, 2, 4, 0, x, 0, 2, 50, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("c is too short");
    }
}
