package dev.engram.engine.cpu;

import dev.engram.engine.spi.ConvGeometry;

/**
 * CPU 2-D convolution (NCHW, OIHW, groups 1) as im2col + SGEMM over tiles of examples, or by
 * {@link Winograd} F(2×2, 3×3) for 3×3 stride-1 convolutions with at least
 * {@link Winograd#MIN_CHANNELS} channels each way (recomputed by im2col where Winograd meets a value that
 * is not finite).
 *
 * <p>The batch is cut into tiles of {@link #tile} examples whose im2col matrices are laid side by
 * side, {@code [C·R·S, nb·OH·OW]}, so one GEMM per tile (not per example) multiplies them with the
 * weights: the weight operand is packed once per tile and the GEMM's n (or k) dimension is large
 * enough to keep the micro-kernel busy. The tile size depends only on the geometry, never on the
 * thread count, and every output element is produced by one GEMM call of a fixed shape: results
 * are bit-identical whatever the number of threads. Tiles run in parallel when there are enough of
 * them; otherwise they run in order and each GEMM is parallel inside.
 */
final class ConvKernels {
    /** Aim for at least this many GEMM columns (examples x output positions) per tile. */
    static final int TARGET_COLUMNS = Math.max(1, Integer.getInteger("engram.conv.tileColumns", 1024));
    /** Upper bound on one tile's im2col buffer, in floats. */
    static final int MAX_TILE_FLOATS = 1 << 22;
    /** Upper bound on the filter-gradient partial sums kept at once, in floats. */
    static final int MAX_PARTIAL_FLOATS = 1 << 22;
    /** Fewest input channels (GEMM rows) for which the input gradient is computed as a forward convolution. */
    static final int FLIPPED_MIN_CHANNELS = 16;
    /** Fixed number of batch chunks whose filter-gradient partials are summed in order. */
    static final int FILTER_GRAD_CHUNKS = 8;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][0]);

    private ConvKernels() {}

    /**
     * Thread-local scratch buffer number {@code slot} of at least {@code size} floats: 0 for a tile's
     * im2col matrix or padded input copy, 1 for its output / gathered gradient, 2 for the transposed
     * filter gradient or the flipped filter of the input gradient, 3 for the calling thread's
     * filter-gradient partial sums (written by all threads of one call, read after it joins), 4 for one
     * example's filter gradient.
     */
    static float[] scratch(int slot, int size) {
        float[][] holder = SCRATCH.get();
        if (holder[slot].length < size) holder[slot] = new float[size];
        return holder[slot];
    }

    /** Examples per tile for a batch of {@code count} examples of geometry g (thread-count free). */
    static int tile(ConvGeometry g, int count) {
        if (count <= 1) return 1;
        long ohw = g.colCols(), crs = g.colRows();
        long want = (TARGET_COLUMNS + ohw - 1) / ohw;
        long cap = Math.max(1, MAX_TILE_FLOATS / Math.max(1, crs * ohw));
        int most = (int) Math.max(1, Math.min(Math.min(want, cap), count));
        int tiles = (count + most - 1) / most;
        return (count + tiles - 1) / tiles; // balanced tiles
    }

    private static boolean isPointwise(ConvGeometry g) {
        return g.r() == 1 && g.s() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    /** Body of a loop over tiles {@code [from, to)}; {@code inline}: other tiles run beside it. */
    @FunctionalInterface
    interface TileBody {
        void run(int from, int to, boolean inline);
    }

    /**
     * Runs {@code tiles} tile bodies: over threads when that balances, each tile claimed by whichever thread is free
     * (a core the host slows down takes fewer tiles), else in order on this thread. What a tile computes does not
     * depend on the thread that runs it.
     */
    static void forTiles(int tiles, TileBody body) {
        int t = CpuParallel.threads();
        if (t > 1 && (tiles >= 2 * t || tiles % t == 0)) CpuParallel.forChunks(tiles, tiles, (from, to) -> body.run(from, to, true));
        else body.run(0, tiles, false);
    }

    /**
     * {@code C = op(A)·op(B) + beta·C}. With {@code inline} the GEMM stays on the calling thread:
     * the first tile range of a parallel loop runs on the (non-pool) caller, whose GEMMs would
     * otherwise fork onto the pool beside the other ranges and unbalance the loop. Arguments are
     * valid by construction here; the result is the same either way (see {@link Sgemm}).
     */
    private static void gemm(boolean inline, boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff,
                             int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (inline) Sgemm.gemm(transA, transB, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, false);
        else Sgemm.sgemm(transA, transB, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Copies rows {@code [K, OHW]} of examples b0..b0+cnt-1 of {@code y} side by side into {@code [K, cnt·OHW]}. */
    private static void gather(boolean inline, float[] y, int b0, int cnt, int k, int ohw, float[] dst) {
        int ld = cnt * ohw, yStride = k * ohw;
        forExamples(inline, cnt, (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                int src = (b0 + j) * yStride;
                for (int kk = 0; kk < k; kk++) System.arraycopy(y, src + kk * ohw, dst, kk * ld + j * ohw, ohw);
            }
        });
    }

    /**
     * Inverse of {@link #gather}; with a bias, {@code y = src + bias[channel]} instead of a copy. The columns of
     * {@code src} run over rows of {@code rowCols} positions, of which the first OW are the output row's:
     * {@code rowCols = OW} for {@link #gather}'s layout, a padded row's length for {@link ConvPanels#overPaddedRows}.
     */
    private static void scatter(boolean inline, float[] src, float[] bias, int b0, int cnt, ConvGeometry g, int rowCols,
                                float[] y) {
        int k = g.k(), oh = g.outH(), ow = g.outW(), ohw = oh * ow, exCols = oh * rowCols, ld = cnt * exCols;
        forExamples(inline, cnt, (j0, j1) -> {
            for (int j = j0; j < j1; j++) {
                int dst = (b0 + j) * k * ohw;
                for (int kk = 0; kk < k; kk++) {
                    int d = dst + kk * ohw, s = kk * ld + j * exCols;
                    if (rowCols == ow) System.arraycopy(src, s, y, d, ohw);
                    else for (int oy = 0; oy < oh; oy++) System.arraycopy(src, s + oy * rowCols, y, d + oy * ow, ow);
                    if (bias != null) {
                        // on the plane just copied (in L1): one array, one index, so C2 vectorizes it
                        float bv = bias[kk];
                        for (int q = d, e = d + ohw; q < e; q++) y[q] += bv;
                    }
                }
            }
        });
    }

    /**
     * Per-example work of one tile (im2col, col2im, gather, scatter: disjoint outputs per example):
     * on this thread when {@code inline}, else split over the threads.
     */
    private static void forExamples(boolean inline, int cnt, CpuParallel.RangeBody body) {
        forRange(inline, cnt, 1, body);
    }

    /**
     * {@code body} over {@code [0, n)}: on this thread when {@code inline} (other tiles or chunks run
     * beside it), else over the threads in chunks of at least {@code minChunk}.
     */
    static void forRange(boolean inline, int n, int minChunk, CpuParallel.RangeBody body) {
        if (inline) body.run(0, n);
        else CpuParallel.forRange(n, minChunk, body);
    }

    /** {@code y = conv(x, w)}. */
    static void forward(float[] x, float[] w, float[] y, ConvGeometry g) {
        forward(x, w, null, y, g);
    }

    /**
     * {@code y = conv(x, w) + bias} (bias {@code [K]} or null), the bias added to each finished sum
     * as the tile is written back: the same rounding as a broadcast add after the convolution.
     * Writes every element of y.
     */
    static void forward(float[] x, float[] w, float[] bias, float[] y, ConvGeometry g) {
        int crs = g.colRows(), ohw = g.colCols(), k = g.k();
        // Winograd's transforms subtract inputs from each other, so an infinity meets itself (inf - inf = NaN) where
        // the direct sums keep PyTorch's ±inf: a non-finite output is recomputed below by im2col
        if (Winograd.applies(g) && Winograd.forward(x, w, y, g)) {
            if (bias != null) {
                CpuParallel.forRange(g.n() * k, Math.max(1, 4096 / ohw), (q0, q1) -> {
                    for (int q = q0; q < q1; q++) {
                        float bv = bias[q % k];
                        for (int i = q * ohw, e = i + ohw; i < e; i++) y[i] += bv;
                    }
                });
            }
            return;
        }
        int xStride = g.c() * g.h() * g.w(), yStride = k * ohw;
        boolean pointwise = isPointwise(g);
        int[] taps = pointwise ? null : ConvPanels.tapOffsets(g);
        boolean paddedRows = !pointwise && ConvPanels.paddedRowsApply(g);
        int nb = tile(g, g.n()), tiles = (g.n() + nb - 1) / nb;
        forTiles(tiles, (t0, t1, inline) -> {
            for (int t = t0; t < t1; t++) {
                int b0 = t * nb, cnt = Math.min(nb, g.n() - b0), ld = cnt * ohw;
                if (paddedRows) {
                    // columns over whole padded rows; the unused ones are left behind in the scratch
                    int filled = cnt * ConvPanels.exampleFloats(g), overrun = ConvPanels.overrun(g);
                    float[] xp = scratch(0, filled + overrun);
                    ConvPanels.fill(x, b0 * xStride, g, cnt, xp, inline);
                    java.util.Arrays.fill(xp, filled, filled + overrun, 0f);
                    int rowCols = ConvPanels.rowColumns(g), cols = cnt * g.outH() * rowCols;
                    float[] out = scratch(1, k * cols);
                    Sgemm.gemmPanels(k, cols, crs, w, 0, crs, ConvPanels.overPaddedRows(g, xp, taps), 0f, out, 0, cols,
                            !inline);
                    scatter(inline, out, bias, b0, cnt, g, rowCols, y);
                    continue;
                }
                // one GEMM per tile: straight into y for a single example, else into out, then scattered
                float[] dst = cnt == 1 ? y : scratch(1, k * ld);
                int dOff = cnt == 1 ? b0 * yStride : 0;
                if (pointwise) {
                    float[] cols = x;
                    int co = b0 * xStride;
                    if (cnt > 1) {
                        cols = scratch(0, crs * ld);
                        co = 0;
                        float[] c0 = cols;
                        forExamples(inline, cnt, (j0, j1) -> {
                            for (int j = j0; j < j1; j++) Im2col.im2col(x, (b0 + j) * xStride, g, c0, j * ohw, ld);
                        });
                    }
                    gemm(inline, false, false, k, ld, crs, w, 0, crs, cols, co, ld, 0f, dst, dOff, ld);
                } else {
                    float[] xp = scratch(0, cnt * ConvPanels.exampleFloats(g));
                    ConvPanels.fill(x, b0 * xStride, g, cnt, xp, inline);
                    Sgemm.gemmPanels(k, ld, crs, w, 0, crs, new ConvPanels(g, xp, taps, false), 0f, dst, dOff, ld, !inline);
                }
                if (cnt == 1) {
                    if (bias != null) {
                        for (int kk = 0; kk < k; kk++) {
                            float bv = bias[kk];
                            for (int q = dOff + kk * ohw, e = q + ohw; q < e; q++) y[q] += bv;
                        }
                    }
                } else {
                    scatter(inline, dst, bias, b0, cnt, g, g.outW(), y);
                }
            }
        });
    }

    /**
     * {@code dx = conv_transpose(dy, w)}: the input gradient. A GEMM writes the im2col-shaped
     * gradient, which col2im adds onto dx. It is instead the forward convolution of dy with the
     * flipped, transposed filter ({@link #asForward}) where that convolution runs by {@link Winograd},
     * or where col2im cannot add whole shifted planes (stride 1 but an output narrower than the
     * input, e.g. no padding) and there are enough input channels to fill the micro-kernel's rows.
     */
    static void backwardData(float[] dy, float[] w, float[] dx, ConvGeometry g) {
        int crs = g.colRows(), ohw = g.colCols(), k = g.k();
        int xStride = g.c() * g.h() * g.w(), yStride = k * ohw;
        boolean pointwise = isPointwise(g);
        ConvGeometry flipped = pointwise ? null : asForward(g);
        if (flipped != null && !Winograd.applies(flipped) && (Im2col.isShift(g) || g.c() < FLIPPED_MIN_CHANNELS)) flipped = null;
        if (flipped != null) {
            int c = g.c(), r = g.r(), s = g.s();
            float[] wt = scratch(2, w.length);
            for (int kk = 0; kk < k; kk++) {
                for (int cc = 0; cc < c; cc++) {
                    int src = (kk * c + cc) * r * s, dst = (cc * k + kk) * r * s + r * s - 1;
                    for (int q = 0; q < r * s; q++) wt[dst - q] = w[src + q];
                }
            }
            forward(dy, wt, null, dx, flipped);
            return;
        }
        // wᵀ [CRS, K] once, read in place by every tile's GEMM (a transposed A would be copied per call)
        float[] wT = scratch(2, w.length);
        CpuParallel.forRange(crs, Math.max(1, (1 << 14) / k), (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                for (int kk = 0; kk < k; kk++) wT[q * k + kk] = w[kk * crs + q];
            }
        });
        int nb = tile(g, g.n()), tiles = (g.n() + nb - 1) / nb;
        forTiles(tiles, (t0, t1, inline) -> {
            for (int t = t0; t < t1; t++) {
                int b0 = t * nb, cnt = Math.min(nb, g.n() - b0), ld = cnt * ohw;
                if (pointwise && cnt == 1) {
                    gemm(inline, false, false, crs, ohw, k, wT, 0, k, dy, b0 * yStride, ohw, 0f, dx, b0 * xStride, ohw);
                    continue;
                }
                float[] dyT = dy;
                int dyo = b0 * yStride;
                if (cnt > 1) {
                    dyT = scratch(1, k * ld);
                    dyo = 0;
                    gather(inline, dy, b0, cnt, k, ohw, dyT);
                }
                float[] dcols = scratch(0, crs * ld);
                gemm(inline, false, false, crs, ld, k, wT, 0, k, dyT, dyo, ld, 0f, dcols, 0, ld);
                forExamples(inline, cnt, (j0, j1) -> {
                    java.util.Arrays.fill(dx, (b0 + j0) * xStride, (b0 + j1) * xStride, 0f);
                    for (int j = j0; j < j1; j++) Im2col.col2imAdd(dcols, j * ohw, ld, g, dx, (b0 + j) * xStride);
                });
            }
        });
    }

    /**
     * The geometry whose forward convolution of dy with {@code w'[c][k][R-1-kr][S-1-ks] = w[k][c][kr][ks]}
     * is the input gradient of g: input dy ({@code K×OH×OW}), C output channels, padding
     * {@code dil·(R-1) - pad}; null when g has a stride above 1 or a padding too large for that.
     */
    static ConvGeometry asForward(ConvGeometry g) {
        int ph = g.dilH() * (g.r() - 1) - g.padH(), pw = g.dilW() * (g.s() - 1) - g.padW();
        if (g.strideH() != 1 || g.strideW() != 1 || ph < 0 || pw < 0) return null;
        return new ConvGeometry(g.n(), g.k(), g.outH(), g.outW(), g.c(), g.r(), g.s(), 1, 1, ph, pw, g.dilH(), g.dilW());
    }

    /** {@code dw = beta·dw + sum_b dy_b · cols_bᵀ}: the filter gradient. */
    static void backwardFilter(float[] x, float[] dy, float[] dw, ConvGeometry g, float beta) {
        if (Winograd.applies(g) && Winograd.backwardFilter(x, dy, dw, g, beta)) return; // else non-finite: im2col
        int crs = g.colRows(), k = g.k();
        int wSize = k * crs;
        // a fixed number of batch chunks (depending only on the geometry) summed in order keeps the
        // result bit-identical whatever the number of threads; one chunk for large filters, whose
        // GEMMs are then parallel inside
        int chunks = Math.max(1, Math.min(Math.min(FILTER_GRAD_CHUNKS, g.n()), MAX_PARTIAL_FLOATS / Math.max(1, wSize)));
        if (g.n() == 0) {
            for (int q = 0; q < wSize; q++) dw[q] = beta == 0 ? 0f : beta * dw[q];
            return;
        }
        // the plain orientation packs colsᵀ straight from a padded copy of the input (tap offsets
        // below); the transposed one reads cols in place as its A operand, so it needs the matrix itself
        int[] taps = isPointwise(g) || filterGradTransposed(g) ? null : ConvPanels.tapOffsets(g);
        if (chunks == 1) {
            filterChunk(x, dy, g, taps, 0, g.n(), dw, 0, beta, false);
            return;
        }
        float[] partial = scratch(3, chunks * wSize); // every chunk overwrites its slice (beta 0)
        forTiles(chunks, (cf, ct, inline) -> {
            for (int ch = cf; ch < ct; ch++) {
                int from = (int) ((long) g.n() * ch / chunks), to = (int) ((long) g.n() * (ch + 1) / chunks);
                filterChunk(x, dy, g, taps, from, to, partial, ch * wSize, 0f, inline);
            }
        });
        // dw[q] = ((beta·dw[q] or 0) + partial_0[q]) + partial_1[q] + ..., chunk after chunk over
        // a block of q (the same sums, in the same order, as a loop over chunks per element)
        CpuParallel.forRange(wSize, 1 << 14, (q0, q1) -> {
            for (int b0 = q0; b0 < q1; b0 += 1024) {
                int b1 = Math.min(q1, b0 + 1024);
                if (beta == 0f) java.util.Arrays.fill(dw, b0, b1, 0f);
                else for (int q = b0; q < b1; q++) dw[q] = beta * dw[q];
                for (int ch = 0; ch < chunks; ch++) {
                    int o = ch * wSize;
                    for (int q = b0; q < b1; q++) dw[q] += partial[o + q];
                }
            }
        });
    }

    /**
     * Per-example filter gradients {@code g_j = dy_{b0+j} ⋆ x_{b0+j}} ({@code [K, C·R·S]}) of examples
     * {@code b0 .. b0+n-1}, each by a GEMM on that example's im2col panels (packed straight from the input), while
     * it is in cache: written to {@code out}
     * at {@code outOff + j·K·C·R·S} (unless out is null), its squared norm to {@code squaredNorms[j]} (unless null),
     * and added to {@code sum} (unless null). The sum runs over a fixed number of example groups, each in
     * example order, then over the groups in order, so nothing depends on the number of threads. (Winograd per
     * example measured no faster: one example's 8×8 or 16×16 output gives its GEMMs a depth of only 16 or 64 tiles.)
     */
    static void perExampleFilterGradients(float[] x, float[] dy, ConvGeometry g, int b0, int n, float[] out, int outOff,
                                          float[] squaredNorms, float[] sum) {
        if (n <= 0) return;
        int wSize = g.k() * g.colRows();
        int[] taps = isPointwise(g) || filterGradTransposed(g) ? null : ConvPanels.tapOffsets(g);
        int groups = sum == null ? n : Math.max(1, Math.min(Math.min(FILTER_GRAD_CHUNKS, n), MAX_PARTIAL_FLOATS / wSize));
        float[] partial = sum == null ? null : scratch(3, groups * wSize);
        forTiles(groups, (g0, g1, inline) -> {
            float[] own = out == null ? scratch(4, wSize) : null;
            for (int gr = g0; gr < g1; gr++) {
                int first = (int) ((long) n * gr / groups), last = (int) ((long) n * (gr + 1) / groups);
                for (int j = first; j < last; j++) {
                    float[] dst = out == null ? own : out;
                    int at = out == null ? 0 : outOff + j * wSize;
                    filterChunk(x, dy, g, taps, b0 + j, b0 + j + 1, dst, at, 0f, inline);
                    if (squaredNorms != null) squaredNorms[j] = squaredNorm(dst, at, wSize);
                    if (partial != null) {
                        int po = gr * wSize;
                        if (j == first) System.arraycopy(dst, at, partial, po, wSize);
                        else for (int q = 0; q < wSize; q++) partial[po + q] += dst[at + q];
                    }
                }
            }
        });
        if (sum == null) return;
        CpuParallel.forRange(wSize, 1 << 14, (q0, q1) -> {
            for (int gr = 0; gr < groups; gr++) {
                int o = gr * wSize;
                for (int q = q0; q < q1; q++) sum[q] += partial[o + q];
            }
        });
    }

    /** {@code Σ v[off..off+len)²}, in eight interleaved partial sums. */
    static float squaredNorm(float[] v, int off, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = off, end = off + len;
        for (; i + 8 <= end; i += 8) {
            s0 += v[i] * v[i];
            s1 += v[i + 1] * v[i + 1];
            s2 += v[i + 2] * v[i + 2];
            s3 += v[i + 3] * v[i + 3];
            s4 += v[i + 4] * v[i + 4];
            s5 += v[i + 5] * v[i + 5];
            s6 += v[i + 6] * v[i + 6];
            s7 += v[i + 7] * v[i + 7];
        }
        for (; i < end; i++) s0 += v[i] * v[i];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * Micro-tile area a GEMM with m rows and n columns pays for (rows padded to 6, columns to 16).
     * Columns are padded to 16 whatever the active kernel's width, so the choice of formulation,
     * and hence the result, is the same on AVX2 and AVX-512 machines.
     */
    private static long paddedArea(int m, int n) {
        final int cols = 16;
        return (long) ((m + Sgemm.MR - 1) / Sgemm.MR * Sgemm.MR) * ((n + cols - 1) / cols * cols);
    }

    /**
     * True when the filter gradient is better computed transposed, {@code dwᵀ[CRS, K] = cols·dyᵀ}:
     * when few output channels or taps would leave most of each 6×16 micro-tile empty.
     */
    static boolean filterGradTransposed(ConvGeometry g) {
        return paddedArea(g.colRows(), g.k()) * 5 < paddedArea(g.k(), g.colRows()) * 4;
    }

    /**
     * {@code acc = beta·acc + sum_{b in [from, to)} dy_b · cols_bᵀ} (acc at {@code accOff}), tile by tile in order;
     * with {@code taps} ({@link ConvPanels#tapOffsets}) the colsᵀ panels come from a padded copy of the input.
     */
    private static void filterChunk(float[] x, float[] dy, ConvGeometry g, int[] taps, int from, int to, float[] acc,
                                    int accOff, float beta, boolean inline) {
        int crs = g.colRows(), ohw = g.colCols(), k = g.k();
        int xStride = g.c() * g.h() * g.w(), yStride = k * ohw;
        boolean pointwise = isPointwise(g), transposed = filterGradTransposed(g);
        boolean implicit = taps != null;
        float[] accT = transposed ? scratch(2, crs * k) : null;
        int nb = tile(g, to - from);
        boolean first = true;
        for (int b0 = from; b0 < to; b0 += nb) {
            int cnt = Math.min(nb, to - b0), ld = cnt * ohw;
            float[] cols = x, dyT = dy;
            int co = b0 * xStride, dyo = b0 * yStride;
            float[] xp = null;
            if (implicit) {
                xp = scratch(0, cnt * ConvPanels.exampleFloats(g));
                ConvPanels.fill(x, b0 * xStride, g, cnt, xp, inline);
            } else if (!pointwise || cnt > 1) {
                cols = scratch(0, crs * ld);
                co = 0;
                float[] c0 = cols;
                int bb = b0;
                forExamples(inline, cnt, (j0, j1) -> {
                    for (int j = j0; j < j1; j++) Im2col.im2col(x, (bb + j) * xStride, g, c0, j * ohw, ld);
                });
            }
            if (cnt > 1) {
                dyT = scratch(1, k * ld);
                dyo = 0;
                gather(inline, dy, b0, cnt, k, ohw, dyT);
            }
            if (implicit) {
                Sgemm.gemmPanels(k, crs, ld, dyT, dyo, ld, new ConvPanels(g, xp, taps, true), first ? beta : 1f, acc, accOff,
                        crs, !inline);
            } else if (transposed) {
                gemm(inline, false, true, crs, k, ld, cols, co, ld, dyT, dyo, ld, first ? 0f : 1f, accT, 0, k);
            } else {
                gemm(inline, false, true, k, crs, ld, dyT, dyo, ld, cols, co, ld, first ? beta : 1f, acc, accOff, crs);
            }
            first = false;
        }
        if (transposed) {
            for (int kk = 0; kk < k; kk++) {
                int a = accOff + kk * crs;
                for (int q = 0; q < crs; q++) {
                    float t = accT[q * k + kk];
                    acc[a + q] = beta == 0f ? t : t + acc[a + q] * beta;
                }
            }
        }
    }
}
