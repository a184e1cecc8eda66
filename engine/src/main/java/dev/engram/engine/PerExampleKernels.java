package dev.engram.engine;

import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;

/** Building blocks shared by the per-example rules: row norms and the Gram ("ghost") norm form. */
final class PerExampleKernels {
    private PerExampleKernels() {}

    /** Squared L2 norm of each of the {@code rows} rows of {@code t} (any shape with that many leading rows). */
    static float[] rowSquaredNorms(Tensor t, int rows) {
        Tensor src = t.offset() == 0 ? t : t.copy();
        int width = Math.toIntExact(t.numel() / Math.max(1, rows));
        // view each row as [width / lanes, lanes]: independent partial sums per lane (no single
        // long dependency chain), then one short sum over the lanes
        int lanes = lanes(width);
        Tensor out = Tensor.empty(t.device(), DType.FLOAT32, rows);
        if (lanes == 1) {
            t.backend().reduce(ReduceOp.SUM_SQUARES, src.storage(), out.storage(), rows, width, 1);
        } else {
            Tensor partial = Tensor.empty(t.device(), DType.FLOAT32, rows, lanes);
            t.backend().reduce(ReduceOp.SUM_SQUARES, src.storage(), partial.storage(), rows, width / lanes, lanes);
            t.backend().reduce(ReduceOp.SUM, partial.storage(), out.storage(), rows, lanes, 1);
            partial.free();
        }
        float[] v = out.toFloatArray();
        out.free();
        return v;
    }

    /**
     * Row sums {@code [rows]} of {@code t} viewed as {@code [rows, width]}, with per-lane partial
     * sums (as {@link #rowSquaredNorms}) so that long rows do not form one dependency chain.
     */
    static Tensor rowSums(Tensor t, int rows) {
        Tensor src = t.offset() == 0 ? t : t.copy();
        int width = Math.toIntExact(t.numel() / Math.max(1, rows));
        int lanes = lanes(width);
        Tensor out = Tensor.empty(t.device(), DType.FLOAT32, rows);
        if (lanes == 1) {
            t.backend().reduce(ReduceOp.SUM, src.storage(), out.storage(), rows, width, 1);
        } else {
            Tensor partial = Tensor.empty(t.device(), DType.FLOAT32, rows, lanes);
            t.backend().reduce(ReduceOp.SUM, src.storage(), partial.storage(), rows, width / lanes, lanes);
            t.backend().reduce(ReduceOp.SUM, partial.storage(), out.storage(), rows, lanes, 1);
            partial.free();
        }
        return out;
    }

    private static int lanes(int width) {
        for (int l : new int[] {32, 16, 8, 4, 2}) {
            if (width % l == 0 && width / l >= 2) return l;
        }
        return 1;
    }

    /**
     * Per-example {@code sum_{p,q} (a_p . a_q)(d_p . d_q)} = ||sum_p d_p a_p^T||^2 for {@code count}
     * examples, where example e holds P positions of an {@code da}-vector a and a {@code dd}-vector d.
     * With {@code aColumns} example e's block of {@code a} is stored {@code [da, P]} (positions as
     * columns, as im2col lays them out), else {@code [P, da]}; likewise {@code dColumns} for d.
     * Cost: {@code count * P^2 * (da + dd)} multiply-adds, memory {@code 2 * count * P^2} floats.
     */
    static float[] ghostNorms(Backend be, Device device, Storage a, long aOffset, boolean aColumns, int da,
                              Storage d, long dOffset, boolean dColumns, int dd, int positions, int count) {
        int p = positions;
        Tensor ga = Tensor.empty(device, DType.FLOAT32, count, p, p);
        Tensor gd = Tensor.empty(device, DType.FLOAT32, count, p, p);
        gram(be, a, aOffset, aColumns, da, p, count, ga.storage());
        gram(be, d, dOffset, dColumns, dd, p, count, gd.storage());
        int[] s = {count, p, p};
        be.binary(BinaryOp.MUL, ga.storage(), s, gd.storage(), s, ga.storage(), s);
        Tensor out = Tensor.empty(device, DType.FLOAT32, count);
        be.reduce(ReduceOp.SUM, ga.storage(), out.storage(), count, p * p, 1);
        float[] v = out.toFloatArray();
        ga.free();
        gd.free();
        out.free();
        return v;
    }

    /** Gram matrices {@code [count, P, P]} of the P position vectors (of length {@code dim}) of each example. */
    private static void gram(Backend be, Storage x, long offset, boolean columns, int dim, int p, int count, Storage out) {
        long stride = (long) dim * p;
        if (columns) { // block [dim, P]: X^T X
            be.gemmStridedBatched(true, false, p, p, dim, 1f, x, offset, p, stride, x, offset, p, stride, 0f, out, 0, p,
                    (long) p * p, count);
        } else { // block [P, dim]: X X^T
            be.gemmStridedBatched(false, true, p, p, dim, 1f, x, offset, dim, stride, x, offset, dim, stride, 0f, out, 0,
                    p, (long) p * p, count);
        }
    }

    /** The example count of a node's activation {@code x} (its axis 0), with an error naming the op when it has none. */
    static int batchOf(Tensor x, String op) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("per-example " + op + ": input " + x.describe()
                    + " has no example axis (axis 0 is the example axis; expected rank >= 2)");
        }
        return x.shapeRef()[0];
    }
}
