package dev.engram.engine.cpu;

import dev.engram.engine.spi.ConvGeometry;

/**
 * im2col / col2im for the CPU convolution kernels, with a free row stride so that several
 * examples can sit side by side in one {@code [C·R·S, nb·OH·OW]} matrix.
 *
 * <p>Row {@code (c·R + kr)·S + ks} of the matrix holds, for every output position, the input
 * value under kernel tap {@code (kr, ks)} of channel c (zero in the padding). The valid output
 * columns of each tap are computed once, so the inner loops carry no bounds checks. Three layouts
 * of the copy: whole shifted planes when the output is as wide as the input at stride 1, row
 * segments otherwise, and, for horizontal strides above 1, row segments of the input split into
 * its stride phases first, so that no inner loop reads with a stride.
 */
final class Im2col {
    private Im2col() {}

    /** First output column whose input column {@code xq·stride + base} is {@code >= 0}. */
    private static int firstValid(int base, int stride) {
        return base >= 0 ? 0 : (-base + stride - 1) / stride;
    }

    /** One past the last output column (capped at {@code out}) whose input column is {@code < size}. */
    private static int endValid(int base, int stride, int size, int out) {
        int last = size - 1 - base;
        return last < 0 ? 0 : Math.min(out, last / stride + 1);
    }

    /**
     * Writes the im2col matrix of the example at {@code x[xo..]} into {@code cols}, row r starting
     * at {@code co + r·ld} ({@code ld >= OH·OW}).
     */
    static void im2col(float[] x, int xo, ConvGeometry g, float[] cols, int co, int ld) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        int sh = g.strideH(), sw = g.strideW();
        if (g.r() == 1 && g.s() == 1 && sh == 1 && sw == 1 && g.padH() == 0 && g.padW() == 0) {
            int hw = h * w;
            for (int c = 0; c < g.c(); c++) System.arraycopy(x, xo + c * hw, cols, co + c * ld, hw);
            return;
        }
        if (isShift(g)) {
            im2colShift(x, xo, g, cols, co, ld);
            return;
        }
        // sw > 1: every input row is first split into its sw phases
        // (p[((c·h + iy)·sw + ph)·wq + q] = x[c][iy][q·sw + ph]), after which the input columns a tap
        // reads for consecutive outputs are consecutive: tap column offset ixBase = ks·dil - pad reads
        // phase floorMod(ixBase, sw) from column xq + floorDiv(ixBase, sw), and the strided gather of
        // each tap row becomes a contiguous copy. With sw = 1 the input itself is that layout.
        float[] src = x;
        int base = xo, wq = w, rowLen = w;
        if (sw > 1) {
            wq = phaseWidth(g);
            rowLen = sw * wq;
            src = phaseBuffer(g.c() * h * rowLen);
            base = 0;
            for (int row = 0, n = g.c() * h; row < n; row++) {
                int s = xo + row * w, d = row * rowLen;
                for (int ph = 0; ph < sw; ph++) {
                    for (int q = 0, ix = ph; ix < w; q++, ix += sw) src[d + ph * wq + q] = x[s + ix];
                }
            }
        }
        for (int c = 0; c < g.c(); c++) {
            for (int kr = 0; kr < g.r(); kr++) {
                int iyBase = kr * g.dilH() - g.padH();
                for (int ks = 0; ks < g.s(); ks++) {
                    int row = (c * g.r() + kr) * g.s() + ks;
                    int ixBase = ks * g.dilW() - g.padW();
                    int lo = Math.min(ow, firstValid(ixBase, sw)), hi = Math.max(lo, endValid(ixBase, sw, w, ow));
                    int s0 = base + c * h * rowLen + Math.floorMod(ixBase, sw) * wq + Math.floorDiv(ixBase, sw);
                    copyRows(src, s0, rowLen, iyBase, sh, h, cols, co + row * ld, oh, ow, lo, hi);
                }
            }
        }
    }

    /**
     * Rows {@code y < oh} of one im2col row: {@code dst[d + y·ow + xq] = src[s0 + iy·w + xq]} for
     * {@code iy = y·sh + iyBase} inside {@code [0, h)} and {@code xq} in {@code [lo, hi)}; zero elsewhere.
     */
    private static void copyRows(float[] src, int s0, int w, int iyBase, int sh, int h, float[] dst, int d, int oh,
                                 int ow, int lo, int hi) {
        for (int y = 0; y < oh; y++, d += ow) {
            int iy = y * sh + iyBase;
            if (iy < 0 || iy >= h || hi == lo) {
                java.util.Arrays.fill(dst, d, d + ow, 0f);
                continue;
            }
            int s = s0 + iy * w;
            for (int xq = 0; xq < lo; xq++) dst[d + xq] = 0f;
            if (hi - lo >= SHORT_ROW) System.arraycopy(src, s + lo, dst, d + lo, hi - lo);
            else for (int xq = lo; xq < hi; xq++) dst[d + xq] = src[s + xq]; // short rows: a call costs more than the copy
            for (int xq = hi; xq < ow; xq++) dst[d + xq] = 0f;
        }
    }

    /** Row segments shorter than this are copied by a loop rather than {@code System.arraycopy}. */
    private static final int SHORT_ROW = 16;

    private static final ThreadLocal<float[][]> PHASES = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The calling thread's phase buffer, at least {@code size} floats (contents unspecified). */
    private static float[] phaseBuffer(int size) {
        float[][] holder = PHASES.get();
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
    }

    /** Columns per phase row: {@code ceil(w / sw)}. */
    private static int phaseWidth(ConvGeometry g) {
        return (g.w() + g.strideW() - 1) / g.strideW();
    }

    /**
     * Adds the im2col-shaped matrix at {@code cols[co..]} (row stride {@code ld}) back onto the
     * example at {@code dx[dxo..]}: the adjoint of {@link #im2col}. Contributions to one input
     * element are summed in the fixed order (c, kr, ks, y, x); with a horizontal stride above 1
     * they are summed from zero first and the sum is then added to dx (on a zeroed dx, the same
     * bits either way). May overwrite the entries of {@code cols} that fall in the padding with zeros.
     */
    static void col2imAdd(float[] cols, int co, int ld, ConvGeometry g, float[] dx, int dxo) {
        if (isShift(g)) {
            col2imAddShift(cols, co, ld, g, dx, dxo);
            return;
        }
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        int sh = g.strideH(), sw = g.strideW(), wq = phaseWidth(g), rowLen = sw * wq;
        // sw > 1: add into the row phases (see im2col), then fold them back onto dx; each
        // element still receives its contributions in the order (c, kr, ks, y, x), starting from 0
        float[] p = sw > 1 ? phaseBuffer(g.c() * h * rowLen) : dx;
        if (sw > 1) java.util.Arrays.fill(p, 0, g.c() * h * rowLen, 0f);
        int rs = sw > 1 ? rowLen : w;
        for (int c = 0; c < g.c(); c++) {
            for (int kr = 0; kr < g.r(); kr++) {
                int iyBase = kr * g.dilH() - g.padH();
                for (int ks = 0; ks < g.s(); ks++) {
                    int row = (c * g.r() + kr) * g.s() + ks;
                    int ixBase = ks * g.dilW() - g.padW();
                    int lo = Math.min(ow, firstValid(ixBase, sw)), hi = Math.max(lo, endValid(ixBase, sw, w, ow));
                    if (hi == lo) continue;
                    int t0 = sw > 1 ? c * h * rowLen + Math.floorMod(ixBase, sw) * wq + Math.floorDiv(ixBase, sw)
                            : dxo + c * h * w + ixBase;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * sh + iyBase;
                        if (iy < 0 || iy >= h) continue;
                        int src = co + row * ld + y * ow, dst = t0 + iy * rs;
                        for (int xq = lo; xq < hi; xq++) p[dst + xq] += cols[src + xq];
                    }
                }
            }
        }
        if (sw > 1) {
            for (int r = 0, n = g.c() * h; r < n; r++) {
                int d = dxo + r * w, s = r * rowLen;
                for (int ph = 0; ph < sw; ph++) {
                    for (int q = 0, ix = ph; ix < w; q++, ix += sw) dx[d + ix] += p[s + ph * wq + q];
                }
            }
        }
    }

    /**
     * Stride 1 with output width = input width ("same" padding along x): tap (kr, ks) of channel c
     * then reads the input plane shifted by a constant flat offset, so a whole tap row is one
     * contiguous copy (or add) once the columns that fall in the padding are taken care of.
     */
    static boolean isShift(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.outW() == g.w();
    }

    private static void im2colShift(float[] x, int xo, ConvGeometry g, float[] cols, int co, int ld) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w(), ohw = oh * ow;
        for (int c = 0; c < g.c(); c++) {
            for (int kr = 0; kr < g.r(); kr++) {
                int dy0 = kr * g.dilH() - g.padH();
                int yLo = Math.max(0, -dy0), yHi = Math.min(oh, h - dy0);
                for (int ks = 0; ks < g.s(); ks++) {
                    int dst = co + ((c * g.r() + kr) * g.s() + ks) * ld;
                    int dx0 = ks * g.dilW() - g.padW();
                    int lo = Math.max(0, -dx0), hi = Math.min(ow, w - dx0);
                    if (yHi <= yLo || hi <= lo) {
                        java.util.Arrays.fill(cols, dst, dst + ohw, 0f);
                        continue;
                    }
                    int p0 = yLo * ow + lo, p1 = (yHi - 1) * ow + hi;
                    java.util.Arrays.fill(cols, dst, dst + p0, 0f);
                    // source of position p is src + p; rows wrap into the neighbouring row's edge,
                    // which lands exactly on the padding columns zeroed below
                    int src = xo + c * h * w + dy0 * w + dx0;
                    System.arraycopy(x, src + p0, cols, dst + p0, p1 - p0);
                    if (lo > 0 || hi < ow) {
                        for (int y = yLo; y < yHi; y++) {
                            int d = dst + y * ow;
                            for (int q = 0; q < lo; q++) cols[d + q] = 0f;
                            for (int q = hi; q < ow; q++) cols[d + q] = 0f;
                        }
                    }
                    java.util.Arrays.fill(cols, dst + p1, dst + ohw, 0f);
                }
            }
        }
    }

    private static void col2imAddShift(float[] cols, int co, int ld, ConvGeometry g, float[] dx, int dxo) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        for (int c = 0; c < g.c(); c++) {
            for (int kr = 0; kr < g.r(); kr++) {
                int dy0 = kr * g.dilH() - g.padH();
                int yLo = Math.max(0, -dy0), yHi = Math.min(oh, h - dy0);
                if (yHi <= yLo) continue;
                for (int ks = 0; ks < g.s(); ks++) {
                    int src = co + ((c * g.r() + kr) * g.s() + ks) * ld;
                    int dx0 = ks * g.dilW() - g.padW();
                    int lo = Math.max(0, -dx0), hi = Math.min(ow, w - dx0);
                    if (hi <= lo) continue;
                    if (lo > 0 || hi < ow) {
                        // padding columns would wrap onto the neighbouring row's edge: add zeros there
                        for (int y = yLo; y < yHi; y++) {
                            int d = src + y * ow;
                            for (int q = 0; q < lo; q++) cols[d + q] = 0f;
                            for (int q = hi; q < ow; q++) cols[d + q] = 0f;
                        }
                    }
                    int p0 = yLo * ow + lo, p1 = (yHi - 1) * ow + hi;
                    int dst = dxo + c * h * w + dy0 * w + dx0;
                    for (int p = p0; p < p1; p++) dx[dst + p] += cols[src + p];
                }
            }
        }
    }
}
