package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel: 6 rows × 16 columns (two 8-lane vectors) held in 12 accumulator
 * registers, one broadcast of A and two loads of B per k step, 12 FMAs per step.
 *
 * <p>This is the only class that references {@code jdk.incubator.vector}; {@link Sgemm} loads it
 * reflectively and only when that module is in the boot layer.
 */
final class SgemmVectorKernel implements SgemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    SgemmVectorKernel() {
        if (Sgemm.MR != 6 || Sgemm.NR != 16 || S.length() != 8) {
            throw new IllegalStateException("kernel shape mismatch");
        }
        // Fail early (and fall back) if the hardware cannot run 256-bit vectors natively.
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("preferred vector size "
                    + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits < 256");
        }
    }

    @Override
    public String name() {
        return "vector-6x16";
    }

    @Override
    public void macro(int mc, int nc, int kc, float[] pa, float[] pb, float[] c, int cOff, int ldc,
                      float beta, float[] tmp) {
        for (int jr = 0; jr < nc; jr += 16) {
            int nr = Math.min(16, nc - jr);
            int bi = (jr >> 4) * kc * 16;
            for (int ir = 0, ai = 0; ir < mc; ir += 6, ai += kc * 6) {
                int mr = Math.min(6, mc - ir);
                if (mr == 6 && nr == 16) {
                    kernel(kc, pa, ai, pb, bi, c, cOff + ir * ldc + jr, ldc, beta);
                } else {
                    kernel(kc, pa, ai, pb, bi, tmp, 0, 16, 0f);
                    Sgemm.mergeEdge(tmp, mr, nr, c, cOff + ir * ldc + jr, ldc, beta);
                }
            }
        }
    }

    private static void kernel(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc,
                               float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++, ai += 6, bi += 16) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + 8);
            FloatVector av = FloatVector.broadcast(S, a[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        store(c, ci, c00, c01, beta);
        store(c, ci + ldc, c10, c11, beta);
        store(c, ci + 2 * ldc, c20, c21, beta);
        store(c, ci + 3 * ldc, c30, c31, beta);
        store(c, ci + 4 * ldc, c40, c41, beta);
        store(c, ci + 5 * ldc, c50, c51, beta);
    }

    private static void store(float[] c, int ci, FloatVector v0, FloatVector v1, float beta) {
        if (beta == 0f) {
            v0.intoArray(c, ci);
            v1.intoArray(c, ci + 8);
        } else if (beta == 1f) {
            v0.add(FloatVector.fromArray(S, c, ci)).intoArray(c, ci);
            v1.add(FloatVector.fromArray(S, c, ci + 8)).intoArray(c, ci + 8);
        } else {
            v0.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            v1.add(FloatVector.fromArray(S, c, ci + 8).mul(beta)).intoArray(c, ci + 8);
        }
    }
}
