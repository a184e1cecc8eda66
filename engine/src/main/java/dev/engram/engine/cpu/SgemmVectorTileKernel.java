package dev.engram.engine.cpu;

/**
 * Macro-kernel shared by the Vector API micro-kernels: walks the packed blocks tile by tile,
 * running {@link #tile} on full 6×{@link #nr()} tiles straight into C and on edge tiles into the
 * scratch buffer, merged by {@link Sgemm#mergeEdge} (same rounding as the full-tile path).
 *
 * <p>Each subclass hard-codes its vector species as a {@code static final} constant: C2 only
 * turns Vector API calls into SIMD instructions when the species is a compile-time constant, so
 * the tile loop cannot be written once for a species passed as a value.
 */
abstract class SgemmVectorTileKernel implements SgemmKernel {
    /**
     * C tile (6 × nr at {@code c[ci]}, row stride ldc) = packed A panel at {@code a[ai]} × packed B
     * panel at {@code b[bi]} over kc steps, merged with beta as described in {@link SgemmKernel}.
     */
    abstract void tile(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, float beta);

    /**
     * The first {@code nr / 2} columns of {@link #tile} with {@code beta = 0}, for edge tiles that
     * narrow: same FMA chains, half the work. This default computes the whole tile.
     */
    void leftHalfTile(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc) {
        tile(kc, a, ai, b, bi, c, ci, ldc, 0f);
    }

    /** Calls of each micro-kernel method {@link #warmUp} makes: above C2's compile thresholds. */
    static final int WARMUP_CALLS = 12_000;

    /**
     * Runs the micro-kernels on tiny private buffers until the JIT's optimizing compiler (C2) has
     * had reason to compile them. Until then the Vector API runs as plain Java (each vector op an
     * object and a loop, tens of times slower), and a GEMM with k = 256 per call reaches C2's
     * invocation threshold only after seconds: the first seconds of training, and of any timed
     * run, would otherwise depend on when the compiler got to these methods. Writes nothing shared.
     */
    void warmUp() {
        int kc = 2, nr = nr();
        float[] pa = new float[2 * kc * Sgemm.MRS], pb = new float[2 * kc * nr], c = new float[7 * 48];
        float[] tmp = new float[Sgemm.MR * Sgemm.NR_MAX];
        java.util.Arrays.fill(pa, 0.5f);
        java.util.Arrays.fill(pb, 0.25f);
        for (int i = 0; i < WARMUP_CALLS; i++) {
            // 7 rows x (nr + nr/2) columns: a full tile, a half tile and both edge paths
            macro(7, nr + nr / 2, kc, pa, 0, pb, c, 0, 48, (i & 1) == 0 ? 0f : 1f, tmp);
        }
    }

    @Override
    public final void macro(int mc, int nc, int kc, float[] pa, int paOff, float[] pb, float[] c, int cOff, int ldc,
                            float beta, float[] tmp) {
        int nr = nr();
        for (int ir = 0, ai = paOff; ir < mc; ir += Sgemm.MR, ai += kc * Sgemm.MRS) {
            int mr = Math.min(Sgemm.MR, mc - ir);
            int ci = cOff + ir * ldc;
            for (int jr = 0, bi = 0; jr < nc; jr += nr, bi += kc * nr) {
                if (mr == Sgemm.MR && nc - jr >= nr) {
                    tile(kc, pa, ai, pb, bi, c, ci + jr, ldc, beta);
                } else if (nc - jr <= nr / 2) {
                    leftHalfTile(kc, pa, ai, pb, bi, tmp, 0, nr);
                    Sgemm.mergeEdge(tmp, nr, mr, nc - jr, c, ci + jr, ldc, beta);
                } else {
                    tile(kc, pa, ai, pb, bi, tmp, 0, nr, 0f);
                    Sgemm.mergeEdge(tmp, nr, mr, Math.min(nr, nc - jr), c, ci + jr, ldc, beta);
                }
            }
        }
    }
}
