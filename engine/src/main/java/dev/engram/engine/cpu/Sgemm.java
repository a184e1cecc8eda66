package dev.engram.engine.cpu;

import java.lang.System.Logger.Level;

/**
 * Single-precision general matrix multiply for the CPU backend, row-major BLAS semantics:
 * {@code C[m×n] = alpha·op(A)·op(B) + beta·C} with {@code op(X) = X} or {@code Xᵀ}.
 *
 * <p><b>Algorithm.</b> GotoBLAS/BLIS-style blocking with a register-blocked {@link #MR}×NR FMA
 * micro-kernel, NR = 32 (two 512-bit vectors) where the CPU has AVX-512 and 16 (two 256-bit vectors)
 * otherwise, chosen at run time from the Vector API's preferred species. K is cut into k-blocks of at
 * most {@link #KC}. The micro-kernel reads op(A) in place when it is A itself and alpha is 1; otherwise
 * a block of up to {@link #MC} rows of alpha·op(A), all its k-blocks, is first copied row-major, rows
 * split across threads. Then each thread, k-block after k-block, packs its own column chunks of op(B)
 * (NR-column micro-panels, a block of {@link #B_BLOCK_FLOATS} floats that stays in L2; the chunk width
 * follows from the k-block's length, {@link #chunkWidth}) and sweeps each A micro-panel (L1) across it.
 * The micro-kernel uses {@code jdk.incubator.vector} when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}; otherwise a plain-Java kernel is used (and a one-time
 * log message says how to enable the fast path). The system property {@code engram.sgemm.vectorBits}
 * (256 or 512) overrides the width, e.g. to compare the two kernels on one machine. The vector kernel
 * is run on tiny buffers by a background thread when it is loaded, so that the JIT compiles it early
 * ({@code -Dengram.sgemm.warmup=false} turns that off). Matrix-vector shapes (m or n = 1) skip packing
 * and run a direct loop; packing is cheap enough that all other shapes, even tiny ones, use the
 * packed path.
 *
 * <p><b>Threading and determinism.</b> Problems of at least 2·{@link #PAR_MIN_WORK} multiply-adds
 * are split across {@link CpuParallel} threads by B column chunks (or by A row panels when there are
 * fewer chunks than threads); K is never split. Every element of C is therefore computed by the
 * same sequence of floating-point operations — a k-sequential FMA chain within each k-block, whose
 * boundaries depend only on k, the blocks merged in order — whatever the thread count and the
 * scheduling: results are bit-identical run to run <em>and</em> across thread counts (for a given
 * kernel, vector or scalar; the 256- and 512-bit vector kernels run the same FMA chains, so they
 * agree bit for bit too). The choice between direct and packed path depends only on m and n.
 *
 * <p>Pack buffers are thread-local and reused across calls.
 */
public final class Sgemm {
    /** Micro-kernel rows. */
    static final int MR = 6;
    /** Widest micro-kernel column count of any kernel (two 16-float vectors): sizes edge-tile scratch. */
    static final int NR_MAX = 32;
    /**
     * Maximum k-block. Each C tile is loaded and stored once per k-block, so long blocks keep C's traffic small
     * next to the multiply-adds; an A micro-panel of MR rows × KC (24 KB) stays in L1. Part of the determinism
     * guarantee (block boundaries depend only on k and KC), so it does not depend on the machine.
     */
    static final int KC = 1024;
    /** Row super-block (multiple of MR): a packed A block MC×KC is shared by all threads (L3). */
    static final int MC = 3072;
    /** Test hook: false makes every GEMM copy op(A), as it does when A is transposed or alpha ≠ 1. */
    static volatile boolean inPlaceA = true;
    /**
     * Floats of one thread's packed B block (k-block × column chunk): 256 KB, half of a 512 KB L2, so the block
     * stays in L2 beside the C tiles and A panels that pass through. Columns are independent, so the chunk
     * width it implies ({@link #chunkWidth}) does not affect results.
     */
    static final int B_BLOCK_FLOATS = 1 << 16;
    /** Column chunk of a full k-block ({@link #chunkWidth} of {@link #KC}): the in-cache kernel's B block. */
    static final int NC = chunkWidth(KC);
    /** Scratch floats a macro-kernel call needs: an edge tile and a zero-padded partial A panel. */
    static final int TMP_FLOATS = MR * NR_MAX + MR * KC;
    /** Largest packed A block (all k-blocks of a row super-block), in floats: 16 MB. */
    static final long PACKED_A_MAX_FLOATS = 1L << 22;
    /** Minimum multiply-adds per thread before a GEMM is split across threads. */
    static final long PAR_MIN_WORK = 1L << 20;

    private static final System.Logger LOG = System.getLogger(Sgemm.class.getName());
    private static final SgemmKernel VECTOR = loadVectorKernel();
    private static final SgemmKernel SCALAR = new SgemmScalarKernel();
    private static volatile SgemmKernel override;

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private Sgemm() {}

    /** Per-thread pack buffers, grown on demand and reused. */
    private static final class Workspace {
        float[] pa = new float[0];
        float[] pb = new float[0];
        final float[] tmp = new float[TMP_FLOATS];
        float[] row = new float[0];

        float[] pa(int size) {
            if (pa.length < size) pa = new float[size];
            return pa;
        }

        float[] pb(int size) {
            if (pb.length < size) pb = new float[size];
            return pb;
        }

        float[] row(int size) {
            if (row.length < size) row = new float[size];
            return row;
        }
    }

    private static SgemmKernel loadVectorKernel() {
        if (!VectorApi.present()) {
            LOG.log(Level.WARNING, "jdk.incubator.vector is not available: SGEMM uses the slower scalar "
                    + "kernel. Start the JVM with --add-modules jdk.incubator.vector to enable the fast path.");
            return null;
        }
        try {
            SgemmKernel k = (SgemmKernel) Class.forName("dev.engram.engine.cpu.SgemmVectorKernels")
                    .getDeclaredMethod("preferred", Integer.class)
                    .invoke(null, Integer.getInteger("engram.sgemm.vectorBits"));
            if (k == null) {
                LOG.log(Level.WARNING, "the CPU has no 256-bit vectors: SGEMM uses the slower scalar kernel.");
            }
            return k;
        } catch (java.lang.reflect.InvocationTargetException e) {
            LOG.log(Level.WARNING, "Vector API SGEMM kernel unavailable (" + e.getCause() + "); using the scalar kernel.");
            return null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.log(Level.WARNING, "Vector API SGEMM kernel unavailable (" + e + "); using the scalar kernel.");
            return null;
        }
    }

    /** True when a Vector API kernel is active. */
    public static boolean vectorized() {
        return !(kernel() instanceof SgemmScalarKernel);
    }

    /** Name of the active micro-kernel, e.g. {@code vector512-6x32}, for logs and benchmarks. */
    public static String kernelName() {
        return kernel().name();
    }

    /** Test hook: runs every following GEMM on {@code k} ({@code null} restores the automatic choice). */
    static void useKernel(SgemmKernel k) {
        override = k;
    }

    static SgemmKernel kernel() {
        SgemmKernel o = override;
        return o != null ? o : VECTOR != null ? VECTOR : SCALAR;
    }

    /** Per-thread operands of {@link #kernelInCache}: one A panel, one packed B block, a C block. */
    private static final ThreadLocal<float[][]> IN_CACHE = ThreadLocal.withInitial(() -> {
        float[] a = new float[MR * KC], b = new float[KC * NC], c = new float[MR * NC];
        java.util.Arrays.fill(a, 1f / 1024);
        java.util.Arrays.fill(b, 0.5f);
        return new float[][] {a, b, c, new float[TMP_FLOATS]};
    });

    /**
     * The ceiling a GEMM approaches: the active micro-kernel alone, with its operands in cache and nothing packed.
     * Each of {@code threads} threads of {@link CpuParallel} (the caller included) runs {@code calls}
     * macro-kernel calls of {@link #MR} × {@link #NC} × {@link #KC} on its own buffers (an A panel that stays in L1,
     * a packed B block in L2), all threads at once. A benchmark times this call: floating-point operations done =
     * {@code 2·MR·NC·KC·calls·threads}.
     *
     * @return the number of threads that ran a share (fewer than asked when a worker joined too late to claim one)
     * @throws IllegalStateException    when the kernel's result is not the exact product (checked after each share)
     * @throws IllegalArgumentException when {@code threads} is not in [1, {@link CpuParallel#threads()}] or {@code calls < 1}
     */
    public static int kernelInCache(int threads, int calls) {
        if (threads < 1 || threads > CpuParallel.threads()) {
            throw new IllegalArgumentException("threads must be in [1, " + CpuParallel.threads() + "], got " + threads);
        }
        if (calls < 1) throw new IllegalArgumentException("calls must be >= 1, got " + calls);
        SgemmKernel ker = kernel();
        java.util.Set<Thread> ran = java.util.concurrent.ConcurrentHashMap.newKeySet();
        CpuParallel.forChunks(threads, threads, (from, to) -> {
            ran.add(Thread.currentThread());
            float[][] w = IN_CACHE.get();
            for (int t = from; t < to; t++) {
                java.util.Arrays.fill(w[2], Float.NaN);
                for (int i = 0; i < calls; i++) ker.macro(MR, NC, KC, w[0], 0, KC, w[1], w[2], 0, NC, 0f, w[3]);
                // every element is KC · (1/1024) · 0.5, exact in float: a kernel that skipped work would show here
                for (float v : w[2]) {
                    if (v != KC / 2048f) {
                        throw new IllegalStateException("micro-kernel " + ker.name() + " computed " + v + " instead of "
                                + KC / 2048f + " in the in-cache run");
                    }
                }
            }
        });
        return ran.size();
    }

    /** Floating-point operations of one {@link #kernelInCache} macro-kernel call. */
    public static double kernelInCacheFlop() {
        return 2.0 * MR * NC * KC;
    }

    /** Micro-tile column count of the active kernel. */
    static int nr() {
        return kernel().nr();
    }

    /**
     * Row-major {@code C[m×n] = alpha·op(A)·op(B) + beta·C}, {@code op(X) = X} or {@code Xᵀ}.
     *
     * <p>A is stored m×k ({@code transA == false}) or k×m ({@code transA == true}) with row stride
     * {@code lda}; likewise B is k×n or n×k with row stride {@code ldb}; C is m×n with row stride
     * {@code ldc}. {@code beta == 0} overwrites C without reading it (NaN in C is ignored);
     * {@code k == 0} or {@code alpha == 0} gives {@code C = beta·C} without reading A or B.
     * Results are deterministic and independent of the thread count (see the class comment).
     *
     * @throws IllegalArgumentException for negative sizes or offsets, too small leading dimensions,
     *                                  or arrays too short for the described matrices
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        checkArgs(transA, transB, m, n, k, a, aOff, lda, 0, b, bOff, ldb, 0, c, cOff, ldc, 0, 1);
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, true);
    }

    /**
     * Batched {@link #sgemm}: matrix {@code i} of the batch uses offsets {@code aOff + i·strideA},
     * {@code bOff + i·strideB}, {@code cOff + i·strideC}. Strides of A and B may be 0 (shared
     * operand); the C matrices must not overlap. Parallelizes over the batch when there are enough
     * items, otherwise inside each GEMM; results are the same either way.
     *
     * @throws IllegalArgumentException as {@link #sgemm}, for negative strides or batch, and for
     *                                  overlapping C matrices
     */
    public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    float[] a, int aOff, int lda, long strideA, float[] b, int bOff, int ldb,
                                    long strideB, float beta, float[] c, int cOff, int ldc, long strideC,
                                    int batch) {
        checkArgs(transA, transB, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC,
                batch);
        if (batch == 0 || m == 0 || n == 0) return;
        long work = (long) m * n * k;
        int threads = CpuParallel.threads();
        boolean overBatch = threads > 1 && batch > 1
                && (work * threads < PAR_MIN_WORK * 8 || batch % threads == 0 || batch >= 4 * threads);
        if (overBatch) {
            int minChunk = (int) Math.max(1, Math.min(batch, PAR_MIN_WORK / Math.max(1, work)));
            CpuParallel.forRange(batch, minChunk, (from, to) -> {
                for (int i = from; i < to; i++) {
                    gemm(transA, transB, m, n, k, alpha, a, (int) (aOff + i * strideA), lda,
                            b, (int) (bOff + i * strideB), ldb, beta, c, (int) (cOff + i * strideC), ldc, false);
                }
            });
        } else {
            for (int i = 0; i < batch; i++) {
                gemm(transA, transB, m, n, k, alpha, a, (int) (aOff + i * strideA), lda,
                        b, (int) (bOff + i * strideB), ldb, beta, c, (int) (cOff + i * strideC), ldc, true);
            }
        }
    }

    /**
     * Packs rows {@code [pc, pc+kc)} × columns {@code [jc, jc+nc)} of a GEMM's B operand (op(B),
     * k×n) into {@code nr}-column micro-panels: panel after panel, each {@code kc} rows of
     * {@code nr} floats, the columns beyond nc of the last panel zero. For operands that exist only
     * implicitly, such as a convolution's im2col matrix; called from several threads at once, so an
     * implementation only reads shared state.
     */
    interface BPanels {
        void pack(int pc, int kc, int jc, int nc, int nr, float[] pb);
    }

    /**
     * {@code C[m×n] = A·B + beta·C} with A stored m×k (row stride lda) and B given by its
     * {@link BPanels}: the packed path of {@link #sgemm} (same blocking, threads and FMA chains) on
     * every shape, so the result equals the packed path's on the materialized B bit for bit.
     * Arguments are trusted (package-internal callers build them).
     */
    static void gemmPanels(int m, int n, int k, float[] a, int aOff, int lda, BPanels b, float beta, float[] c,
                           int cOff, int ldc, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            scaleC(m, n, beta, c, cOff, ldc);
            return;
        }
        boolean fork = parallel && (long) m * n * k >= 2 * PAR_MIN_WORK;
        packed(kernel(), false, m, n, k, 1f, a, aOff, lda, b, beta, c, cOff, ldc, fork ? CpuParallel.threads() : 1);
    }

    // ---------------------------------------------------------------------------------------------
    // argument checks

    private static void checkArgs(boolean transA, boolean transB, int m, int n, int k,
                                  float[] a, int aOff, int lda, long strideA, float[] b, int bOff, int ldb,
                                  long strideB, float[] c, int cOff, int ldc, long strideC, int batch) {
        if (m < 0) throw new IllegalArgumentException("m must be >= 0, got " + m);
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
        if (batch < 0) throw new IllegalArgumentException("batch must be >= 0, got " + batch);
        int aCols = transA ? m : k, aRows = transA ? k : m;
        int bCols = transB ? k : n, bRows = transB ? n : k;
        checkLd("lda", lda, aCols, transA ? "transA=true: A is k×m" : "transA=false: A is m×k");
        checkLd("ldb", ldb, bCols, transB ? "transB=true: B is n×k" : "transB=false: B is k×n");
        checkLd("ldc", ldc, n, "C is m×n");
        checkArray("a", a, aOff, aRows, aCols, lda, strideA, batch);
        checkArray("b", b, bOff, bRows, bCols, ldb, strideB, batch);
        checkArray("c", c, cOff, m, n, ldc, strideC, batch);
        if (batch > 1 && m > 0 && n > 0) {
            long extentC = (long) (m - 1) * ldc + n;
            if (strideC < extentC) {
                throw new IllegalArgumentException("strideC must be >= (m-1)·ldc + n = " + extentC
                        + " so that the C matrices do not overlap, got " + strideC);
            }
        }
    }

    private static void checkLd(String name, int ld, int cols, String what) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(name + " must be >= max(1, " + cols + ") (" + what + "), got " + ld);
        }
    }

    private static void checkArray(String name, float[] x, int off, int rows, int cols, int ld, long stride,
                                   int batch) {
        if (off < 0) throw new IllegalArgumentException(name + "Off must be >= 0, got " + off);
        String sName = "stride" + Character.toUpperCase(name.charAt(0));
        if (stride < 0) throw new IllegalArgumentException(sName + " must be >= 0, got " + stride);
        if (rows == 0 || cols == 0 || batch == 0) return;
        if (x == null) throw new IllegalArgumentException(name + " must not be null");
        long need = off + (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (need > x.length) {
            throw new IllegalArgumentException(name + " is too short: " + rows + "×" + cols + " matrix"
                    + (batch > 1 ? " ×" + batch + " (stride " + stride + ")" : "")
                    + " with offset " + off + " and leading dimension " + ld + " needs " + need
                    + " elements, length is " + x.length);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // drivers

    /** Validated GEMM; {@code parallel} = may use CpuParallel (false inside a parallel batch). */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc, boolean parallel) {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c, cOff, ldc);
            return;
        }
        if (m == 1 || n == 1) {
            gemv(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        // small problems stay on the calling thread (forking costs more than it saves)
        boolean fork = parallel && (long) m * n * k >= 2 * PAR_MIN_WORK;
        BPanels bPanels = (pc, kc, jc, nc, nr, pb) -> packB(transB, b, bOff, ldb, pc, kc, jc, nc, nr, pb);
        packed(kernel(), transA, m, n, k, alpha, a, aOff, lda, bPanels, beta, c, cOff, ldc, fork ? CpuParallel.threads() : 1);
    }

    /** C = beta·C (beta == 0 writes zeros, ignoring NaN). */
    private static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, ci, ci + n, 0f);
            } else {
                for (int j = 0; j < n; j++) c[ci + j] *= beta;
            }
        }
    }

    /** Merge of a computed tile into C; see {@link SgemmKernel} for the rule. */
    static void mergeEdge(float[] t, int tileNr, int mr, int nr, float[] c, int ci, int ldc, float beta) {
        for (int r = 0; r < mr; r++, ci += ldc) {
            int tr = r * tileNr;
            if (beta == 0f) {
                System.arraycopy(t, tr, c, ci, nr);
            } else {
                for (int j = 0; j < nr; j++) c[ci + j] = t[tr + j] + c[ci + j] * beta;
            }
        }
    }

    /** Runs body over [0, n) with CpuParallel when threads > 1, else inline. */
    private static void run(int threads, int n, int minChunk, CpuParallel.RangeBody body) {
        if (threads > 1) {
            CpuParallel.forRange(n, minChunk, body);
        } else {
            body.run(0, n);
        }
    }

    /**
     * Packed GEMM. op(A) is used in place when it is A itself and alpha is 1 (its rows are read
     * directly by the micro-kernel); otherwise, per row super-block (at most {@link #MC} rows, fewer
     * when the copy would exceed {@link #PACKED_A_MAX_FLOATS}), alpha·op(A) is copied once, all its
     * k-blocks at a time, into a row-major buffer of the calling thread (rows split across threads).
     * Column chunks of at most {@link #chunkWidth} columns are then distributed over the threads; each
     * thread, k-block after k-block, packs its chunks of B into its own buffer (kept in L2) and
     * sweeps the A micro-panels over it. At most two parallel regions per super-block (one when A is
     * used in place). If there are too few column chunks, rows are split instead. B's panels come
     * from {@code bPanels} (for a stored matrix, {@link #packB}).
     */
    private static void packed(SgemmKernel ker, boolean transA, int m, int n, int k, float alpha,
                               float[] a, int aOff, int lda, BPanels bPanels, float beta, float[] c, int cOff, int ldc,
                               int threads) {
        int nrK = ker.nr();
        int kBlocks = (k + KC - 1) / KC;
        int kcMax = (k + kBlocks - 1) / kBlocks;
        // column chunks: a multiple of the thread count when that keeps chunks >= 2 micro-panels
        int widest = chunkWidth(kcMax);
        int chunks = (n + widest - 1) / widest;
        if (threads > 1 && chunks % threads != 0) {
            int up = (chunks + threads - 1) / threads * threads;
            if (n >= up * 2 * nrK) chunks = up;
        }
        int chunkW = roundUp((n + chunks - 1) / chunks, nrK);
        int nChunks = (n + chunkW - 1) / chunkW;
        boolean splitCols = threads <= 1 || nChunks >= threads;
        boolean inPlace = inPlaceA && !transA && alpha == 1f;
        // rows per super-block: MC, or fewer so that a copy of A (all k-blocks) stays within bounds
        int mcMax = inPlace ? MC : Math.max(MR, Math.min(MC, (int) (PACKED_A_MAX_FLOATS / ((long) k * MR)) * MR));
        float[] pa = inPlace ? a : WORKSPACE.get().pa(Math.min(mcMax, m) * k);
        for (int ic = 0; ic < m; ic += mcMax) {
            int mc = Math.min(mcMax, m - ic), i0 = ic;
            // k-block kb of op(A) row i (of this super-block): in place at aOff + (i0 + i)·lda + pc(kb),
            // copied at mc·pc(kb) + i·kc(kb)
            if (!inPlace) {
                run(threads, (mc + MR - 1) / MR, Math.max(1, (1 << 16) / (k * MR)), (p0, p1) -> {
                    int r0 = p0 * MR, r1 = Math.min(mc, p1 * MR);
                    for (int kb = 0; kb < kBlocks; kb++) {
                        int pc = kStart(k, kBlocks, kb), kc = kStart(k, kBlocks, kb + 1) - pc;
                        packA(transA, a, aOff, lda, i0 + r0, r1 - r0, pc, kc, alpha, pa, mc * pc + r0 * kc);
                    }
                });
            }
            if (splitCols) {
                // each thread keeps its own column chunks for all k-blocks (k-block outer, so every
                // A k-block is read by all chunks while it is hot in the cache)
                run(threads, nChunks, 1, (c0, c1) -> {
                    float[] pb = WORKSPACE.get().pb(chunkW * kcMax);
                    float[] tmp = WORKSPACE.get().tmp;
                    for (int kb = 0; kb < kBlocks; kb++) {
                        int pc = kStart(k, kBlocks, kb), kc = kStart(k, kBlocks, kb + 1) - pc;
                        int ai = inPlace ? aOff + i0 * lda + pc : mc * pc, ld = inPlace ? lda : kc;
                        for (int ch = c0; ch < c1; ch++) {
                            int jc = ch * chunkW, nc = Math.min(chunkW, n - jc);
                            bPanels.pack(pc, kc, jc, nc, nrK, pb);
                            ker.macro(mc, nc, kc, pa, ai, ld, pb, c, cOff + i0 * ldc + jc, ldc, kb == 0 ? beta : 1f, tmp);
                        }
                    }
                });
            } else {
                run(threads, (mc + MR - 1) / MR, 1, (p0, p1) -> {
                    float[] pb = WORKSPACE.get().pb(chunkW * kcMax);
                    float[] tmp = WORKSPACE.get().tmp;
                    int r0 = p0 * MR, r1 = Math.min(mc, p1 * MR);
                    for (int kb = 0; kb < kBlocks; kb++) {
                        int pc = kStart(k, kBlocks, kb), kc = kStart(k, kBlocks, kb + 1) - pc;
                        int ld = inPlace ? lda : kc;
                        int ai = (inPlace ? aOff + i0 * lda + pc : mc * pc) + r0 * ld;
                        for (int ch = 0; ch < nChunks; ch++) {
                            int jc = ch * chunkW, nc = Math.min(chunkW, n - jc);
                            bPanels.pack(pc, kc, jc, nc, nrK, pb);
                            ker.macro(r1 - r0, nc, kc, pa, ai, ld, pb, c, cOff + (i0 + r0) * ldc + jc, ldc,
                                    kb == 0 ? beta : 1f, tmp);
                        }
                    }
                });
            }
        }
    }

    /**
     * Widest column chunk whose packed B block of {@code kc} rows fits {@link #B_BLOCK_FLOATS}: a multiple of
     * {@link #NR_MAX} (so of every kernel's NR) between 64 and 256 columns (short k-blocks get wide chunks, long
     * ones narrow chunks).
     */
    static int chunkWidth(int kc) {
        int w = B_BLOCK_FLOATS / Math.max(1, kc) / NR_MAX * NR_MAX;
        return Math.max(2 * NR_MAX, Math.min(8 * NR_MAX, w));
    }

    /** First k index of k-block {@code kb}: block boundaries depend only on k (part of the determinism guarantee). */
    private static int kStart(int k, int kBlocks, int kb) {
        return (int) ((long) k * kb / kBlocks);
    }

    private static int roundUp(int x, int q) {
        return (x + q - 1) / q * q;
    }

    /**
     * Copies alpha·op(A)[ic:ic+mc, pc:pc+kc] row-major into {@code pa} at {@code d} (row i at
     * {@code d + i·kc}).
     */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
                              float alpha, float[] pa, int d) {
        if (!transA) {
            for (int i = 0; i < mc; i++) {
                int s = aOff + (ic + i) * lda + pc, t = d + i * kc;
                for (int p = 0; p < kc; p++) pa[t + p] = alpha * a[s + p];
            }
            return;
        }
        // op(A)(i, p) = a[aOff + p·lda + i]: eight stored rows at a time, each read contiguously,
        // so each destination row receives 8 consecutive floats per pass
        int p = 0;
        for (; p + 8 <= kc; p += 8) {
            int s0 = aOff + (pc + p) * lda + ic, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda,
                    s5 = s4 + lda, s6 = s5 + lda, s7 = s6 + lda;
            for (int i = 0, t = d + p; i < mc; i++, t += kc) {
                pa[t] = alpha * a[s0 + i];
                pa[t + 1] = alpha * a[s1 + i];
                pa[t + 2] = alpha * a[s2 + i];
                pa[t + 3] = alpha * a[s3 + i];
                pa[t + 4] = alpha * a[s4 + i];
                pa[t + 5] = alpha * a[s5 + i];
                pa[t + 6] = alpha * a[s6 + i];
                pa[t + 7] = alpha * a[s7 + i];
            }
        }
        for (; p < kc; p++) {
            int s = aOff + (pc + p) * lda + ic;
            for (int i = 0; i < mc; i++) pa[d + i * kc + p] = alpha * a[s + i];
        }
    }

    /**
     * Copies a partial A panel ({@code mr < MR} rows of kc floats, row r at {@code a[ai + r·lda]}) into
     * {@code dst} at {@code d} with row stride kc, the missing rows zero: a micro-kernel reads MR rows.
     */
    static void copyEdgePanel(float[] a, int ai, int lda, int mr, int kc, float[] dst, int d) {
        for (int r = 0; r < MR; r++) {
            if (r < mr) System.arraycopy(a, ai + r * lda, dst, d + r * kc, kc);
            else java.util.Arrays.fill(dst, d + r * kc, d + (r + 1) * kc, 0f);
        }
    }

    /** Packs op(B)[pc:pc+kc, jc:jc+nc] into {@code nrK}-column micro-panels, zero-padding the last. */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, int nrK,
                              float[] pb) {
        int d = 0;
        for (int jr = 0; jr < nc; jr += nrK) {
            int nr = Math.min(nrK, nc - jr);
            int j = jc + jr;
            if (!transB) {
                int s = bOff + pc * ldb + j;
                if (nr == nrK) {
                    for (int p = 0; p < kc; p++, d += nrK, s += ldb) System.arraycopy(b, s, pb, d, nrK);
                } else {
                    for (int p = 0; p < kc; p++, d += nrK, s += ldb) {
                        for (int q = 0; q < nrK; q++) pb[d + q] = q < nr ? b[s + q] : 0f;
                    }
                }
            } else {
                // op(B)(p, j) = b[bOff + j·ldb + p]: eight stored rows at a time, each read
                // contiguously, so each k step writes 32 contiguous bytes of the panel (one row at a
                // time would touch every cache line of the panel once per column)
                int q = 0;
                for (; q + 8 <= nr; q += 8) {
                    int s0 = bOff + (j + q) * ldb + pc, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb, s4 = s3 + ldb,
                            s5 = s4 + ldb, s6 = s5 + ldb, s7 = s6 + ldb;
                    for (int p = 0, o = d + q; p < kc; p++, o += nrK) {
                        pb[o] = b[s0 + p];
                        pb[o + 1] = b[s1 + p];
                        pb[o + 2] = b[s2 + p];
                        pb[o + 3] = b[s3 + p];
                        pb[o + 4] = b[s4 + p];
                        pb[o + 5] = b[s5 + p];
                        pb[o + 6] = b[s6 + p];
                        pb[o + 7] = b[s7 + p];
                    }
                }
                for (; q < nrK; q++) {
                    if (q < nr) {
                        int s = bOff + (j + q) * ldb + pc;
                        for (int p = 0; p < kc; p++) pb[d + p * nrK + q] = b[s + p];
                    } else {
                        for (int p = 0; p < kc; p++) pb[d + p * nrK + q] = 0f;
                    }
                }
                d += kc * nrK;
            }
        }
    }

    /**
     * Matrix-vector products (m == 1 or n == 1) without packing: {@code out[x] = Σ_p s[p]·M(p, x)}
     * where s is the vector operand (copied contiguous) and M the matrix operand, walked either as
     * axpy over its contiguous rows or as dot products along them. Single-threaded, fixed order.
     */
    private static void gemv(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        Workspace ws = WORKSPACE.get();
        float[] v = ws.row(k + Math.max(m, n));
        int outLen, outStride, mOff, ld;
        float[] mat;
        boolean axpy;
        if (m == 1) { // c[0, j] = Σ_p a(0, p)·op(B)(p, j)
            int st = transA ? lda : 1;
            for (int p = 0; p < k; p++) v[p] = a[aOff + p * st];
            mat = b;
            mOff = bOff;
            ld = ldb;
            axpy = !transB;
            outLen = n;
            outStride = 1;
        } else { // c[i, 0] = Σ_p op(A)(i, p)·b(p, 0)
            int st = transB ? 1 : ldb;
            for (int p = 0; p < k; p++) v[p] = b[bOff + p * st];
            mat = a;
            mOff = aOff;
            ld = lda;
            axpy = transA;
            outLen = m;
            outStride = ldc;
        }
        int o = k; // accumulators live in v[k, k + outLen)
        if (axpy) {
            java.util.Arrays.fill(v, o, o + outLen, 0f);
            for (int p = 0; p < k; p++) {
                float s = v[p];
                int r = mOff + p * ld;
                for (int x = 0; x < outLen; x++) v[o + x] += s * mat[r + x];
            }
        } else {
            int x = 0;
            for (; x + 4 <= outLen; x += 4) {
                int r0 = mOff + x * ld, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld;
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (int p = 0; p < k; p++) {
                    float s = v[p];
                    s0 += s * mat[r0 + p];
                    s1 += s * mat[r1 + p];
                    s2 += s * mat[r2 + p];
                    s3 += s * mat[r3 + p];
                }
                v[o + x] = s0;
                v[o + x + 1] = s1;
                v[o + x + 2] = s2;
                v[o + x + 3] = s3;
            }
            for (; x < outLen; x++) {
                int r0 = mOff + x * ld;
                float s0 = 0f;
                for (int p = 0; p < k; p++) s0 += v[p] * mat[r0 + p];
                v[o + x] = s0;
            }
        }
        for (int x = 0, ci = cOff; x < outLen; x++, ci += outStride) {
            c[ci] = beta == 0f ? alpha * v[o + x] : alpha * v[o + x] + beta * c[ci];
        }
    }
}
