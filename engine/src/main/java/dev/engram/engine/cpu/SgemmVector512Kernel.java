package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel for AVX-512: 6 rows × 32 columns (two 16-lane vectors) held in 12
 * accumulator registers, one broadcast of A and two loads of B per k step, 12 FMAs per step.
 * Each C element is the same k-sequential FMA chain as in the 256-bit kernel, so the two
 * kernels give bit-identical results.
 *
 * <p>Only the classes named {@code SgemmVector*} reference {@code jdk.incubator.vector};
 * {@link Sgemm} loads them reflectively (through {@link SgemmVectorKernels}) and only when that
 * module is in the boot layer.
 */
final class SgemmVector512Kernel extends SgemmVectorTileKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;

    SgemmVector512Kernel() {
        if (Sgemm.MR != 6 || Sgemm.MRS != 8 || S.length() != 16) {
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
    void tile(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector b0, b1, av;
        // B index is affine in the loop counter, so C2 hoists its range checks; the A index is a
        // separate induction variable whose (cheap) checks stay in the loop and keep C2 from
        // hoisting all six broadcasts above the FMAs (which would spill accumulators). Not
        // unrolled for the same reason.
        for (int q = 0, qEnd = kc * 32, ao = ai; q < qEnd; q += 32, ao += 8) {
            int bo = bi + q;
            b0 = FloatVector.fromArray(S, b, bo);
            b1 = FloatVector.fromArray(S, b, bo + 16);
            av = FloatVector.broadcast(S, a[ao]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ao + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ao + 5]);
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
    void leftHalfTile(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S);
        FloatVector c3 = FloatVector.zero(S), c4 = FloatVector.zero(S), c5 = FloatVector.zero(S);
        for (int q = 0, qEnd = kc * 32, ao = ai; q < qEnd; q += 32, ao += 8) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi + q);
            c0 = FloatVector.broadcast(S, a[ao]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ao + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ao + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ao + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[ao + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[ao + 5]).fma(b0, c5);
        }
        c0.intoArray(c, ci);
        c1.intoArray(c, ci + ldc);
        c2.intoArray(c, ci + 2 * ldc);
        c3.intoArray(c, ci + 3 * ldc);
        c4.intoArray(c, ci + 4 * ldc);
        c5.intoArray(c, ci + 5 * ldc);
    }
}
