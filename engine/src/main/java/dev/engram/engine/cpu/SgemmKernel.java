package dev.engram.engine.cpu;

/**
 * Macro-kernel of the packed SGEMM: multiplies one packed block of op(A) (mc×kc, stored as
 * {@link Sgemm#MR}-row micro-panels) by one packed block of op(B) (kc×nc, stored as
 * {@link #nr()}-column micro-panels) and merges the result into C. Tiles are visited row panel
 * by row panel (each A micro-panel stays in L1 while the B block streams from L2), so C is written
 * in row-sequential runs that hardware prefetchers follow.
 *
 * <p>Merge rule (identical for full and edge tiles, so results never depend on where a tile
 * boundary falls): {@code beta == 0 → c = acc}, otherwise {@code c = acc + c·beta}
 * (exactly {@code acc + c} for beta 1); {@code acc} is the k-sequential fused-multiply-add chain over the block.
 */
interface SgemmKernel {
    /**
     * @param pa   packed A block, micro-panel {@code r} at {@code paOff + r·kc·MRS}, element (i, p) at {@code p·MRS + i}
     * @param pb   packed B block, micro-panel {@code s} at {@code s·kc·nr}, element (p, j) at {@code p·nr + j}
     * @param tmp  scratch of at least {@code MR·nr} floats for edge tiles
     */
    void macro(int mc, int nc, int kc, float[] pa, int paOff, float[] pb, float[] c, int cOff, int ldc, float beta,
               float[] tmp);

    /** Columns of the micro-tile (and of a packed B micro-panel); at most {@link Sgemm#NR_MAX}. */
    int nr();

    /** Short name for logs and benchmarks. */
    String name();
}
