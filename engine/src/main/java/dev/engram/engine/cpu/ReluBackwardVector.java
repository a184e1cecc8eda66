package dev.engram.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ReluBackward} with the Vector API at the CPU's preferred width: {@code dy} blended with zero where
 * {@code x <= 0} (a compare with NaN is false, so a NaN input keeps its gradient). Loaded reflectively by
 * {@link ReluBackward} only when {@code jdk.incubator.vector} is in the boot layer.
 */
final class ReluBackwardVector extends ReluBackward {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    void apply(float[] x, float[] dy, float[] dx, int from, int to) {
        int k = from;
        for (int end = to - L; k <= end; k += L) {
            FloatVector v = FloatVector.fromArray(S, x, k);
            FloatVector.fromArray(S, dy, k).blend(0f, v.compare(VectorOperators.LE, 0f)).intoArray(dx, k);
        }
        for (; k < to; k++) dx[k] = x[k] <= 0f ? 0f : dy[k];
    }

    @Override
    String name() {
        return "vector" + S.vectorBitSize();
    }
}
