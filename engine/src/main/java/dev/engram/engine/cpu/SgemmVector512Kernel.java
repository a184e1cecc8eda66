package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for AVX-512: 6 rows × 32 columns (two 16-lane vectors) held in 12
 * accumulator registers, six broadcasts of A (one per row, rows {@code lda} apart) and two loads of
 * B per k step, 12 FMAs per step.
 * Each C element is the same k-sequential FMA chain as in the 256-bit kernel, so the two
 * kernels give bit-identical results.
 *
 * <p>Only the classes named {@code SgemmVector*}, {@link RowSumsVector} and {@link ReluBackwardVector} reference
 * {@code jdk.incubator.vector}; {@link Sgemm} loads these kernels reflectively (through
 * {@link SgemmVectorKernels}) and only when that module is in the boot layer.
 */
final class SgemmVector512Kernel extends SgemmVectorTileKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

    SgemmVector512Kernel() {
        if (Sgemm.MR != 6 || S.length() != 16) {
            throw new IllegalStateException("kernel shape mismatch");
        }
    }

    @Override
    public int nr() {
        return 32;
    }

    @Override
    public String name() {
        return "vector512-6x32";
    }

    @Override
    void tile(int kc, float[] a, int ai, int lda, float[] b, int bi, float[] c, int ci, int ldc, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector b0, b1, av;
        int a0 = ai, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        // every index is affine in p, so C2 hoists all range checks; with 32 vector registers the
        // 12 accumulators, 2 B vectors and 6 broadcasts fit even if the broadcasts are hoisted
        for (int p = 0; p < kc; p++) {
            int bo = bi + p * 32;
            b0 = FloatVector.fromArray(S, b, bo);
            b1 = FloatVector.fromArray(S, b, bo + 16);
            av = FloatVector.broadcast(S, a[a0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[a4 + p]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[a5 + p]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        // Stores are written out here (not in a helper taking vectors): passing vectors to a
        // non-inlined call makes C2 box the accumulators inside the loop.
        if (beta == 0f) {
            c00.intoArray(c, ci);
            c01.intoArray(c, ci + 16);
            ci += ldc;
            c10.intoArray(c, ci);
            c11.intoArray(c, ci + 16);
            ci += ldc;
            c20.intoArray(c, ci);
            c21.intoArray(c, ci + 16);
            ci += ldc;
            c30.intoArray(c, ci);
            c31.intoArray(c, ci + 16);
            ci += ldc;
            c40.intoArray(c, ci);
            c41.intoArray(c, ci + 16);
            ci += ldc;
            c50.intoArray(c, ci);
            c51.intoArray(c, ci + 16);
        } else {
            // acc + c·beta (exactly acc + c when beta == 1), same rounding as Sgemm.mergeEdge
            c00.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            c01.add(FloatVector.fromArray(S, c, ci + 16).mul(beta)).intoArray(c, ci + 16);
            ci += ldc;
            c10.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            c11.add(FloatVector.fromArray(S, c, ci + 16).mul(beta)).intoArray(c, ci + 16);
            ci += ldc;
            c20.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            c21.add(FloatVector.fromArray(S, c, ci + 16).mul(beta)).intoArray(c, ci + 16);
            ci += ldc;
            c30.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            c31.add(FloatVector.fromArray(S, c, ci + 16).mul(beta)).intoArray(c, ci + 16);
            ci += ldc;
            c40.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            c41.add(FloatVector.fromArray(S, c, ci + 16).mul(beta)).intoArray(c, ci + 16);
            ci += ldc;
            c50.add(FloatVector.fromArray(S, c, ci).mul(beta)).intoArray(c, ci);
            c51.add(FloatVector.fromArray(S, c, ci + 16).mul(beta)).intoArray(c, ci + 16);
        }
    }

    /** 6 × 16 with one 16-lane vector per row, reading the left half of each 32-float B row. */
    @Override
    void leftHalfTile(int kc, float[] a, int ai, int lda, float[] b, int bi, float[] c, int ci, int ldc) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
        int a0 = ai, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi + p * 32);
            c0 = FloatVector.broadcast(S, a[a0 + p]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[a1 + p]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[a2 + p]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[a3 + p]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[a4 + p]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[a5 + p]).fma(b0, c5);
        }
        c0.intoArray(c, ci);
        c1.intoArray(c, ci + ldc);
        c2.intoArray(c, ci + 2 * ldc);
        c3.intoArray(c, ci + 3 * ldc);
        c4.intoArray(c, ci + 4 * ldc);
        c5.intoArray(c, ci + 5 * ldc);
    }
}
