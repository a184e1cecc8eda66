package dev.engram.engine.cpu;

/**
 * Portable fallback macro-kernel in plain Java (no Vector API). The innermost loop runs over the
 * 16 columns of a B micro-panel with unit stride so C2's superword pass can vectorize it.
 * Uses separate multiply and add (not FMA), so its results may differ from the vector kernel in
 * the last bit; it is deterministic in the same way.
 */
final class SgemmScalarKernel implements SgemmKernel {
    @Override
    public int nr() {
        return 16;
    }

    @Override
    public String name() {
        return "scalar-6x16";
    }

    @Override
    public void macro(int mc, int nc, int kc, float[] a, int aOff, int lda, float[] pb, float[] c, int cOff, int ldc,
                      float beta, float[] tmp) {
        for (int ir = 0; ir < mc; ir += 6) {
            int mr = Math.min(6, mc - ir);
            int ci = cOff + ir * ldc;
            for (int jr = 0, bi = 0; jr < nc; jr += 16, bi += kc * 16) {
                kernel(kc, mr, a, aOff + ir * lda, lda, pb, bi, tmp);
                Sgemm.mergeEdge(tmp, 16, mr, Math.min(16, nc - jr), c, ci + jr, ldc, beta);
            }
        }
    }

    /** tmp[mr×16] = A rows (row r at {@code a[ai + r·lda]}) × packed B panel. */
    private static void kernel(int kc, int mr, float[] a, int ai, int lda, float[] b, int bi, float[] t) {
        java.util.Arrays.fill(t, 0, 96, 0f);
        for (int p = 0; p < kc; p++, bi += 16) {
            for (int r = 0; r < mr; r++) {
                float av = a[ai + r * lda + p];
                int tr = r * 16;
                for (int j = 0; j < 16; j++) {
                    t[tr + j] += av * b[bi + j];
                }
            }
        }
    }
}
