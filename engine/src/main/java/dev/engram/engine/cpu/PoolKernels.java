package dev.engram.engine.cpu;

import dev.engram.engine.spi.PoolGeometry;

/**
 * CPU max / average pooling over NCHW planes. Each plane is handled by one thread; the window's
 * valid rows and columns are clipped once per output, so the inner loops carry no bounds checks,
 * and the common unpadded 2×2 stride-2 max pool has its own straight-line kernel.
 *
 * <p>Max pooling scans the window row by row; the first element starts as the best, a later one
 * replaces it when strictly greater or NaN. So a NaN in the window wins (the last NaN), otherwise
 * the first maximum; the stored index is {@code iy·W + ix} within the plane.
 */
final class PoolKernels {
    private static final int PLANE_GRAIN = 1 << 13;

    private PoolKernels() {}

    private static int planeChunk(PoolGeometry g) {
        return Math.max(1, PLANE_GRAIN / Math.max(1, g.h() * g.w()));
    }

    static void maxForward(float[] x, float[] y, int[] idx, PoolGeometry g) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        boolean unpadded = g.padH() == 0 && g.padW() == 0;
        boolean twoByTwo = unpadded && g.kh() == 2 && g.kw() == 2 && g.strideH() == 2 && g.strideW() == 2;
        CpuParallel.forRange(g.n() * g.c(), planeChunk(g), (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int xb = nc * h * w, yb = nc * oh * ow;
                if (twoByTwo) max2x2(x, xb, y, idx, yb, oh, ow, w);
                else maxGeneral(x, xb, y, idx, yb, g);
            }
        });
    }

    /**
     * Unpadded 2×2 stride-2 max pool. Windows without NaN take a branch-free tournament (pairs, then
     * the later pair wins only when strictly greater: the first maximum, as the sequential scan);
     * the value is then read at the winning index, so signed zeros match the scan too. A window
     * whose sum is NaN (a NaN, or +inf and -inf) takes the exact sequential scan.
     */
    private static void max2x2(float[] x, int xb, float[] y, int[] idx, int yb, int oh, int ow, int w) {
        for (int oy = 0; oy < oh; oy++) {
            int r0 = 2 * oy * w, r1 = r0 + w, o = yb + oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                int p = r0 + 2 * ox, q = r1 + 2 * ox;
                float a0 = x[xb + p], a1 = x[xb + p + 1], a2 = x[xb + q], a3 = x[xb + q + 1];
                float sum = a0 + a1 + a2 + a3;
                int bi;
                if (sum != sum) {
                    float best = a0;
                    bi = p;
                    if (a1 > best || a1 != a1) {
                        best = a1;
                        bi = p + 1;
                    }
                    if (a2 > best || a2 != a2) {
                        best = a2;
                        bi = q;
                    }
                    if (a3 > best || a3 != a3) bi = q + 1;
                } else {
                    int top = a1 > a0 ? p + 1 : p, bottom = a3 > a2 ? q + 1 : q;
                    bi = Math.max(a2, a3) > Math.max(a0, a1) ? bottom : top;
                }
                y[o + ox] = x[xb + bi];
                idx[o + ox] = bi;
            }
        }
    }

    private static void maxGeneral(float[] x, int xb, float[] y, int[] idx, int yb, PoolGeometry g) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        for (int oy = 0; oy < oh; oy++) {
            int iy0 = oy * g.strideH() - g.padH();
            int ky0 = Math.max(0, -iy0), ky1 = Math.min(g.kh(), h - iy0);
            for (int ox = 0; ox < ow; ox++) {
                int ix0 = ox * g.strideW() - g.padW();
                int kx0 = Math.max(0, -ix0), kx1 = Math.min(g.kw(), w - ix0);
                float best = Float.NEGATIVE_INFINITY;
                int bi = -1;
                for (int ky = ky0; ky < ky1; ky++) {
                    int row = (iy0 + ky) * w + ix0;
                    for (int kx = kx0; kx < kx1; kx++) {
                        float v = x[xb + row + kx];
                        if (v > best || v != v || bi < 0) {
                            best = v;
                            bi = row + kx;
                        }
                    }
                }
                y[yb + oy * ow + ox] = best;
                idx[yb + oy * ow + ox] = bi;
            }
        }
    }

    static void maxBackward(float[] dy, int[] idx, float[] dx, PoolGeometry g) {
        int ohw = g.outH() * g.outW(), hw = g.h() * g.w();
        CpuParallel.forRange(g.n() * g.c(), planeChunk(g), (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                // plane by plane: the zeroed plane is still in L1 when the gradients are added to it
                int xb = nc * hw, yb = nc * ohw;
                java.util.Arrays.fill(dx, xb, xb + hw, 0f);
                for (int q = 0; q < ohw; q++) dx[xb + idx[yb + q]] += dy[yb + q];
            }
        });
    }

    static void avgForward(float[] x, float[] y, PoolGeometry g) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        float inv = 1f / (g.kh() * g.kw());
        CpuParallel.forRange(g.n() * g.c(), planeChunk(g), (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int xb = nc * h * w, yb = nc * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy0 = oy * g.strideH() - g.padH();
                    int ky0 = Math.max(0, -iy0), ky1 = Math.min(g.kh(), h - iy0);
                    for (int ox = 0; ox < ow; ox++) {
                        int ix0 = ox * g.strideW() - g.padW();
                        int kx0 = Math.max(0, -ix0), kx1 = Math.min(g.kw(), w - ix0);
                        float s = 0;
                        for (int ky = ky0; ky < ky1; ky++) {
                            int row = xb + (iy0 + ky) * w + ix0;
                            for (int kx = kx0; kx < kx1; kx++) s += x[row + kx];
                        }
                        y[yb + oy * ow + ox] = s * inv;
                    }
                }
            }
        });
    }

    static void avgBackward(float[] dy, float[] dx, PoolGeometry g) {
        int oh = g.outH(), ow = g.outW(), h = g.h(), w = g.w();
        float inv = 1f / (g.kh() * g.kw());
        CpuParallel.forRange(g.n() * g.c(), planeChunk(g), (from, to) -> {
            java.util.Arrays.fill(dx, from * h * w, to * h * w, 0f);
            for (int nc = from; nc < to; nc++) {
                int xb = nc * h * w, yb = nc * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy0 = oy * g.strideH() - g.padH();
                    int ky0 = Math.max(0, -iy0), ky1 = Math.min(g.kh(), h - iy0);
                    for (int ox = 0; ox < ow; ox++) {
                        int ix0 = ox * g.strideW() - g.padW();
                        int kx0 = Math.max(0, -ix0), kx1 = Math.min(g.kw(), w - ix0);
                        float v = dy[yb + oy * ow + ox] * inv;
                        for (int ky = ky0; ky < ky1; ky++) {
                            int row = xb + (iy0 + ky) * w + ix0;
                            for (int kx = kx0; kx < kx1; kx++) dx[row + kx] += v;
                        }
                    }
                }
            }
        });
    }
}
