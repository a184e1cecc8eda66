package dev.engram.engine.cpu;

import dev.engram.engine.spi.ConvGeometry;

/**
 * The im2col matrix of a tile of examples as an implicit GEMM operand: SGEMM packs its B panels
 * straight from a zero-padded, stride-phased copy of the tile's input instead of from a
 * materialized {@code [C·R·S, cnt·OH·OW]} matrix, which for a 3×3 or 5×5 kernel is 9 to 25 times
 * the input and does not stay in cache.
 *
 * <p>The copy holds, per example, channel and padded input row, the row's {@code sw} stride
 * phases side by side: {@code xp[((e·C + c)·Hp + iyp)·rowLen + ph·wq + q]} is the input at padded
 * row {@code iyp} and padded column {@code q·sw + ph} (zero in the padding), {@code Hp = H + 2·padH},
 * {@code wq = ceil((W + 2·padW) / sw)}, {@code rowLen = sw·wq}. Matrix element (tap row
 * {@code (c, kr, ks)}, column {@code (e, y, xq)}) then sits at {@code base(e, y, xq) + tap(c, kr, ks)}
 * with {@code base = e·exampleStride + y·sh·rowLen + xq} and {@code tap = (c·Hp + kr·dilH)·rowLen
 * + ((ks·dilW) mod sw)·wq + (ks·dilW) div sw}: the columns of one output row are consecutive, so
 * packing copies runs of up to {@code OW} floats. The packed values are exactly those of
 * {@link Im2col#im2col}, so a GEMM on these panels gives the same bits as one on the matrix.
 *
 * <p>{@code transposed} packs the matrix's transpose (columns = tap rows), the B operand of the
 * filter gradient {@code dy · colsᵀ}. At stride 1, {@link #overPaddedRows} packs the forward's panels over whole
 * padded rows instead, so that a panel's tap row is one run of floats.
 */
final class ConvPanels implements Sgemm.BPanels {
    private final float[] xp;
    private final int[] taps;
    private final boolean transposed;
    /** Columns run over whole padded rows ({@link #overPaddedRows}): an example's columns are consecutive floats. */
    private final boolean rowsJoin;
    private final int ohw, ow, exampleStride, rowStep;

    /**
     * Panels over the copy {@code xp} filled by {@link #fill} for geometry g; {@code taps} from
     * {@link #tapOffsets}.
     */
    ConvPanels(ConvGeometry g, float[] xp, int[] taps, boolean transposed) {
        this(g, xp, taps, transposed, false);
    }

    private ConvPanels(ConvGeometry g, float[] xp, int[] taps, boolean transposed, boolean rowsJoin) {
        this.xp = xp;
        this.taps = taps;
        this.transposed = transposed;
        this.rowsJoin = rowsJoin;
        this.ow = rowsJoin ? rowLength(g) : g.outW();
        this.ohw = g.outH() * ow;
        this.exampleStride = exampleFloats(g);
        this.rowStep = g.strideH() * rowLength(g);
    }

    /**
     * Whether the forward convolution uses {@link #overPaddedRows}: stride 1 (so a column's offset in the copy grows by
     * one per column along a padded row and by a row's length from row to row), output rows shorter than 64 floats
     * (packing then copies runs shorter than a panel) and at least as many taps as output channels (packing, which
     * costs per tap, outweighs the scatter of the output row by row, which costs per channel). Measured on the MNIST
     * CNN's convolutions, batch 128, two threads: 32 → 64 channels on 14×14, 5.16 ms before, 4.15–4.42 ms after;
     * 1 → 32 on 28×28 (9 taps) went from 1.30 to 1.55 ms, so it stays as it was.
     */
    static boolean paddedRowsApply(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.outW() < 2 * Sgemm.NR_MAX && g.colRows() >= g.k();
    }

    /**
     * Forward panels whose columns run over whole padded rows (stride 1 only, {@link #paddedRowsApply}): column
     * {@code (e, y, q)}, {@code q < rowColumns(g)}, is the output position {@code (y, q)} of example {@code e}
     * for {@code q < OW}, and an unused column beyond (it reads the copy past the row's end). Matrix element
     * (tap, column) then sits at {@code e·exampleStride + y·rowLength + q + tap}: consecutive columns of one example
     * are consecutive floats, so packing copies runs of a whole panel width. The used columns hold exactly the
     * im2col matrix's values, so their GEMM results are the same bits; the copy needs {@link #overrun} floats after
     * the last example.
     */
    static ConvPanels overPaddedRows(ConvGeometry g, float[] xp, int[] taps) {
        return new ConvPanels(g, xp, taps, false, true);
    }

    /** Columns per output row of {@link #overPaddedRows}: the padded input row's length. */
    static int rowColumns(ConvGeometry g) {
        return rowLength(g);
    }

    /** Floats read past the last example's copy by the unused columns of {@link #overPaddedRows}. */
    static int overrun(ConvGeometry g) {
        return (g.s() - 1) * g.dilW();
    }

    private static int phaseWidth(ConvGeometry g) {
        return (g.w() + 2 * g.padW() + g.strideW() - 1) / g.strideW();
    }

    private static int rowLength(ConvGeometry g) {
        return g.strideW() * phaseWidth(g);
    }

    /** Floats of one example's padded, phased copy. */
    static int exampleFloats(ConvGeometry g) {
        return g.c() * (g.h() + 2 * g.padH()) * rowLength(g);
    }

    /** Offset of each tap row {@code (c·R + kr)·S + ks} of the im2col matrix inside an example's copy. */
    static int[] tapOffsets(ConvGeometry g) {
        int hp = g.h() + 2 * g.padH(), sw = g.strideW(), wq = phaseWidth(g), rowLen = rowLength(g);
        int[] t = new int[g.colRows()];
        for (int c = 0, row = 0; c < g.c(); c++) {
            for (int kr = 0; kr < g.r(); kr++) {
                for (int ks = 0; ks < g.s(); ks++, row++) {
                    int ix = ks * g.dilW();
                    t[row] = (c * hp + kr * g.dilH()) * rowLen + (ix % sw) * wq + ix / sw;
                }
            }
        }
        return t;
    }

    /**
     * Writes the padded, phased copy of {@code cnt} examples starting at {@code x[xo]} into
     * {@code xp}: over the threads unless {@code inline}.
     */
    static void fill(float[] x, int xo, ConvGeometry g, int cnt, float[] xp, boolean inline) {
        int hw = g.h() * g.w(), hp = g.h() + 2 * g.padH(), ex = exampleFloats(g);
        CpuParallel.RangeBody body = (e0, e1) -> {
            for (int e = e0; e < e1; e++) fillExample(x, xo + e * g.c() * hw, g, xp, e * ex, hp);
        };
        ConvKernels.forRange(inline || cnt < 2, cnt, 1, body);
    }

    private static void fillExample(float[] x, int xo, ConvGeometry g, float[] xp, int d, int hp) {
        int h = g.h(), w = g.w(), pad = g.padW(), sw = g.strideW(), wq = phaseWidth(g), rowLen = sw * wq;
        for (int c = 0; c < g.c(); c++) {
            for (int iyp = 0; iyp < hp; iyp++, d += rowLen) {
                int iy = iyp - g.padH();
                if (iy < 0 || iy >= h) {
                    java.util.Arrays.fill(xp, d, d + rowLen, 0f);
                    continue;
                }
                int s = xo + (c * h + iy) * w;
                if (sw == 1) {
                    java.util.Arrays.fill(xp, d, d + pad, 0f);
                    System.arraycopy(x, s, xp, d + pad, w);
                    java.util.Arrays.fill(xp, d + pad + w, d + rowLen, 0f);
                    continue;
                }
                for (int ph = 0; ph < sw; ph++) {
                    for (int q = 0, ix = ph - pad, o = d + ph * wq; q < wq; q++, ix += sw) {
                        xp[o + q] = ix >= 0 && ix < w ? x[s + ix] : 0f;
                    }
                }
            }
        }
    }

    @Override
    public void pack(int pc, int kc, int jc, int nc, int nr, float[] pb) {
        if (transposed) packTransposed(pc, kc, jc, nc, nr, pb);
        else packColumns(pc, kc, jc, nc, nr, pb);
    }

    /** B = the im2col matrix: rows are taps, columns output positions. */
    private void packColumns(int pc, int kc, int jc, int nc, int nr, float[] pb) {
        for (int jr = 0, d = 0; jr < nc; jr += nr, d += kc * nr) {
            int width = Math.min(nr, nc - jr);
            if (width < nr) {
                for (int p = 0; p < kc; p++) java.util.Arrays.fill(pb, d + p * nr + width, d + (p + 1) * nr, 0f);
            }
            // one output-row run of columns at a time, copied for every tap row of the block
            for (int col = jc + jr, end = col + width; col < end; ) {
                int e = col / ohw, pos = col - e * ohw, len, base;
                if (rowsJoin) {
                    len = Math.min(ohw - pos, end - col);
                    base = e * exampleStride + pos;
                } else {
                    int y = pos / ow, xq = pos - y * ow;
                    len = Math.min(ow - xq, end - col);
                    base = e * exampleStride + y * rowStep + xq;
                }
                int t = d + col - (jc + jr);
                for (int p = 0; p < kc; p++, t += nr) copy(xp, base + taps[pc + p], pb, t, len);
                col += len;
            }
        }
    }

    /**
     * {@code dst[t, t+len) = src[s, s+len)} for the short runs of packing: a call of
     * {@code System.arraycopy} from 16 floats on, eight floats per step below (C2 does not vectorize
     * a loop this short), then one at a time (about twice as fast as a plain loop at 8 to 16 floats).
     */
    private static void copy(float[] src, int s, float[] dst, int t, int len) {
        if (len >= 16) {
            System.arraycopy(src, s, dst, t, len);
            return;
        }
        int u = 0;
        for (; u + 8 <= len; u += 8) {
            dst[t + u] = src[s + u];
            dst[t + u + 1] = src[s + u + 1];
            dst[t + u + 2] = src[s + u + 2];
            dst[t + u + 3] = src[s + u + 3];
            dst[t + u + 4] = src[s + u + 4];
            dst[t + u + 5] = src[s + u + 5];
            dst[t + u + 6] = src[s + u + 6];
            dst[t + u + 7] = src[s + u + 7];
        }
        for (; u < len; u++) dst[t + u] = src[s + u];
    }

    /** B = the transposed im2col matrix: rows are output positions, columns taps. */
    private void packTransposed(int pc, int kc, int jc, int nc, int nr, float[] pb) {
        for (int jr = 0, d = 0; jr < nc; jr += nr, d += kc * nr) {
            int width = Math.min(nr, nc - jr), j = jc + jr;
            int q = 0;
            // eight taps at a time, so that each position writes 32 contiguous bytes of the panel
            for (; q + 8 <= width; q += 8) {
                int o0 = taps[j + q], o1 = taps[j + q + 1], o2 = taps[j + q + 2], o3 = taps[j + q + 3],
                        o4 = taps[j + q + 4], o5 = taps[j + q + 5], o6 = taps[j + q + 6], o7 = taps[j + q + 7];
                for (int col = pc, end = pc + kc; col < end; ) {
                    int e = col / ohw, pos = col - e * ohw, y = pos / ow, xq = pos - y * ow;
                    int len = Math.min(ow - xq, end - col);
                    int base = e * exampleStride + y * rowStep + xq;
                    for (int u = 0, t = d + (col - pc) * nr + q; u < len; u++, t += nr) {
                        int s = base + u;
                        pb[t] = xp[s + o0];
                        pb[t + 1] = xp[s + o1];
                        pb[t + 2] = xp[s + o2];
                        pb[t + 3] = xp[s + o3];
                        pb[t + 4] = xp[s + o4];
                        pb[t + 5] = xp[s + o5];
                        pb[t + 6] = xp[s + o6];
                        pb[t + 7] = xp[s + o7];
                    }
                    col += len;
                }
            }
            for (; q < nr; q++) {
                if (q >= width) {
                    for (int p = 0; p < kc; p++) pb[d + p * nr + q] = 0f;
                    continue;
                }
                int o = taps[j + q];
                for (int col = pc, end = pc + kc; col < end; ) {
                    int e = col / ohw, pos = col - e * ohw, y = pos / ow, xq = pos - y * ow;
                    int len = Math.min(ow - xq, end - col);
                    int base = e * exampleStride + y * rowStep + xq + o;
                    for (int u = 0, t = d + (col - pc) * nr + q; u < len; u++, t += nr) pb[t] = xp[base + u];
                    col += len;
                }
            }
        }
    }
}
