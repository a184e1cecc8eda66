package dev.engram.engine.cpu;

/**
 * Macro-kernel of the packed SGEMM: multiplies one block of op(A) (mc×kc, row i at
 * {@code a[aOff + i·lda]}: either A itself, unpacked, or a row-major packed copy) by one packed block
 * of op(B) (kc×nc, stored as {@link #nr()}-column micro-panels) and merges the result into C. Tiles
 * are visited {@link Sgemm#MR}-row panel by panel (each A panel stays in L1 while the B block streams
 * from L2), so C is written in row-sequential runs that hardware prefetchers follow.
 *
 * <p>Merge rule (identical for full and edge tiles, so results never depend on where a tile
 * boundary falls): {@code beta == 0 → c = acc}, otherwise {@code c = acc + c·beta}
 * (exactly {@code acc + c} for beta 1); {@code acc} is the k-sequential fused-multiply-add chain over the block.
 */
interface SgemmKernel {
    /**
     * @param a    op(A) block: element (i, p) at {@code aOff + i·lda + p}, {@code i < mc, p < kc}
     * @param pb   packed B block, micro-panel {@code s} at {@code s·kc·nr}, element (p, j) at {@code p·nr + j}
     * @param tmp  scratch of at least {@link Sgemm#TMP_FLOATS} floats: an edge tile and a zero-padded
     *             partial A panel
     */
    void macro(int mc, int nc, int kc, float[] a, int aOff, int lda, float[] pb, float[] c, int cOff, int ldc,
               float beta, float[] tmp);

    /** Columns of the micro-tile (and of a packed B micro-panel); at most {@link Sgemm#NR_MAX}. */
    int nr();

    /** Short name for logs and benchmarks. */
    String name();
}
