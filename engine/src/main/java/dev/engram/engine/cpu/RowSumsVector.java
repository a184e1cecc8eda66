package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowSums} with the Vector API at the CPU's preferred width: two vector accumulators per block, reduced
 * across lanes at the block's end. Loaded reflectively by {@link RowSums} only when {@code jdk.incubator.vector} is
 * in the boot layer; with {@link Sgemm}'s {@code SgemmVector*} kernels and {@link ReluBackwardVector}, the only
 * classes that reference it.
 */
final class RowSumsVector extends RowSums {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    double sum(float[] x, int off, int len) {
        double total = 0;
        for (int b = off, end = off + len; b < end; b += BLOCK) {
            int e = Math.min(end, b + BLOCK), i = b;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            for (; i + 2 * L <= e; i += 2 * L) {
                a0 = a0.add(FloatVector.fromArray(S, x, i));
                a1 = a1.add(FloatVector.fromArray(S, x, i + L));
            }
            if (i + L <= e) {
                a0 = a0.add(FloatVector.fromArray(S, x, i));
                i += L;
            }
            float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (; i < e; i++) s += x[i];
            total += s;
        }
        return total;
    }

    @Override
    double sumSquaredDeviations(float[] x, int off, int len, float mu) {
        double total = 0;
        for (int b = off, end = off + len; b < end; b += BLOCK) {
            int e = Math.min(end, b + BLOCK), i = b;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            for (; i + 2 * L <= e; i += 2 * L) {
                FloatVector d0 = FloatVector.fromArray(S, x, i).sub(mu), d1 = FloatVector.fromArray(S, x, i + L).sub(mu);
                a0 = d0.fma(d0, a0);
                a1 = d1.fma(d1, a1);
            }
            if (i + L <= e) {
                FloatVector d0 = FloatVector.fromArray(S, x, i).sub(mu);
                a0 = d0.fma(d0, a0);
                i += L;
            }
            float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (; i < e; i++) {
                float d = x[i] - mu;
                s += d * d;
            }
            total += s;
        }
        return total;
    }

    @Override
    boolean allFinite(float[] x, int off, int len) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int i = off, end = off + len;
        for (; i + 2 * L <= end; i += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, i), v1 = FloatVector.fromArray(S, x, i + L);
            a0 = a0.add(v0.sub(v0));
            a1 = a1.add(v1.sub(v1));
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) s += x[i] - x[i];
        return s == 0f;
    }

    @Override
    double dot(float[] a, int aOff, float[] b, int bOff, int len) {
        double total = 0;
        int shift = bOff - aOff;
        for (int blk = aOff, end = aOff + len; blk < end; blk += BLOCK) {
            int e = Math.min(end, blk + BLOCK), i = blk;
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            for (; i + 2 * L <= e; i += 2 * L) {
                a0 = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i + shift), a0);
                a1 = FloatVector.fromArray(S, a, i + L).fma(FloatVector.fromArray(S, b, i + L + shift), a1);
            }
            if (i + L <= e) {
                a0 = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i + shift), a0);
                i += L;
            }
            float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
            for (; i < e; i++) s += a[i] * b[i + shift];
            total += s;
        }
        return total;
    }

    @Override
    void sumAndCenteredDot(float[] dy, float[] x, int off, int len, float mu, double[] acc) {
        for (int b = off, end = off + len; b < end; b += BLOCK) {
            int e = Math.min(end, b + BLOCK), i = b;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), t0 = FloatVector.zero(S), t1 = FloatVector.zero(S);
            FloatVector u0 = FloatVector.zero(S), u1 = FloatVector.zero(S);
            for (; i + 2 * L <= e; i += 2 * L) {
                FloatVector g0 = FloatVector.fromArray(S, dy, i), g1 = FloatVector.fromArray(S, dy, i + L);
                FloatVector d0 = FloatVector.fromArray(S, x, i).sub(mu), d1 = FloatVector.fromArray(S, x, i + L).sub(mu);
                s0 = s0.add(g0);
                s1 = s1.add(g1);
                t0 = g0.fma(d0, t0);
                t1 = g1.fma(d1, t1);
                u0 = u0.add(d0);
                u1 = u1.add(d1);
            }
            if (i + L <= e) {
                FloatVector g0 = FloatVector.fromArray(S, dy, i), d0 = FloatVector.fromArray(S, x, i).sub(mu);
                s0 = s0.add(g0);
                t0 = g0.fma(d0, t0);
                u0 = u0.add(d0);
                i += L;
            }
            float s = s0.add(s1).reduceLanes(VectorOperators.ADD), t = t0.add(t1).reduceLanes(VectorOperators.ADD);
            float u = u0.add(u1).reduceLanes(VectorOperators.ADD);
            for (; i < e; i++) {
                float d = x[i] - mu;
                s += dy[i];
                t += dy[i] * d;
                u += d;
            }
            acc[0] += s;
            acc[1] += t;
            acc[2] += u;
        }
    }

    @Override
    String name() {
        return "vector-" + L;
    }
}
