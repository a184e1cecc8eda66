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
     * C tile (6 × nr at {@code c[ci]}, row stride ldc) = A panel (6 rows of kc floats, row r at
     * {@code a[ai + r·lda]}) × packed B panel at {@code b[bi]}, merged with beta as described in
     * {@link SgemmKernel}.
     */
    abstract void tile(int kc, float[] a, int ai, int lda, float[] b, int bi, float[] c, int ci, int ldc, float beta);

    /**
     * The first {@code nr / 2} columns of {@link #tile} with {@code beta = 0}, for edge tiles that
     * narrow: same FMA chains, half the work. This default computes the whole tile.
     */
    void leftHalfTile(int kc, float[] a, int ai, int lda, float[] b, int bi, float[] c, int ci, int ldc) {
        tile(kc, a, ai, lda, b, bi, c, ci, ldc, 0f);
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
        float[] a = new float[7 * kc], pb = new float[2 * kc * nr], c = new float[7 * 48];
        float[] tmp = new float[Sgemm.TMP_FLOATS];
        java.util.Arrays.fill(a, 0.5f);
        java.util.Arrays.fill(pb, 0.25f);
        for (int i = 0; i < WARMUP_CALLS; i++) {
            // 7 rows x (nr + nr/2) columns: a full tile, a half tile and both edge paths
            macro(7, nr + nr / 2, kc, a, 0, kc, pb, c, 0, 48, (i & 1) == 0 ? 0f : 1f, tmp);
        }
    }

    @Override
    public final void macro(int mc, int nc, int kc, float[] a, int aOff, int lda, float[] pb, float[] c, int cOff,
                            int ldc, float beta, float[] tmp) {
        int nr = nr();
        for (int ir = 0; ir < mc; ir += Sgemm.MR) {
            int mr = Math.min(Sgemm.MR, mc - ir);
            int ci = cOff + ir * ldc;
            float[] pa = a;
            int ai = aOff + ir * lda, ld = lda;
            if (mr < Sgemm.MR) { // a partial panel: its rows, zero-padded to MR, in tmp after the edge tile
                pa = tmp;
                ai = Sgemm.MR * Sgemm.NR_MAX;
                ld = kc;
                Sgemm.copyEdgePanel(a, aOff + ir * lda, lda, mr, kc, tmp, ai);
            }
            for (int jr = 0, bi = 0; jr < nc; jr += nr, bi += kc * nr) {
                if (mr == Sgemm.MR && nc - jr >= nr) {
                    tile(kc, pa, ai, ld, pb, bi, c, ci + jr, ldc, beta);
                } else if (nc - jr <= nr / 2) {
                    leftHalfTile(kc, pa, ai, ld, pb, bi, tmp, 0, nr);
                    Sgemm.mergeEdge(tmp, nr, mr, nc - jr, c, ci + jr, ldc, beta);
                } else {
                    tile(kc, pa, ai, ld, pb, bi, tmp, 0, nr, 0f);
                    Sgemm.mergeEdge(tmp, nr, mr, Math.min(nr, nc - jr), c, ci + jr, ldc, beta);
                }
            }
        }
    }
}
