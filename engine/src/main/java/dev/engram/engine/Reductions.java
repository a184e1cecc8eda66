package dev.engram.engine;

import dev.engram.engine.spi.ReduceOp;

import java.util.Arrays;

/** Sums, maxima and argmax over one axis, forward and backward. */
final class Reductions {
    private Reductions() {}

    private static int[] reducedShape(int[] s, int ax, boolean keepDim) {
        if (keepDim) {
            int[] o = s.clone();
            o[ax] = 1;
            return o;
        }
        int[] o = new int[s.length - 1];
        for (int k = 0, j = 0; k < s.length; k++) if (k != ax) o[j++] = s[k];
        return o;
    }

    static Tensor sumAll(Tensor x) {
        x.checkAlive("sum");
        Elementwise.requireFloat("sum", x);
        Tensor out = Tensor.empty(x.device(), DType.FLOAT32);
        x.backend().reduce(ReduceOp.SUM, x.storage(), out.storage(), 1, (int) x.numel(), 1);
        return Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                return new Tensor[] {dy.reshape(ones(x.rank())).expand(x.shapeRef())};
            }

            @Override
            public String name() {
                return "sum";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        });
    }

    private static int[] ones(int rank) {
        int[] o = new int[rank];
        Arrays.fill(o, 1);
        return o;
    }

    static Tensor reduce(ReduceOp op, Tensor x, int axis, boolean keepDim) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        x.checkAlive(name);
        Elementwise.requireFloat(name, x);
        int[] s = x.shapeRef();
        int ax = Shapes.axis(axis, s.length, name);
        int outer = Shapes.prod(s, 0, ax), r = s[ax], inner = Shapes.prod(s, ax + 1, s.length);
        if (op == ReduceOp.MAX || op == ReduceOp.MIN) requireNonEmptyAxis(name, x, ax);
        int[] kept = reducedShape(s, ax, true);
        Tensor out = Tensor.empty(x.device(), DType.FLOAT32, kept);
        x.backend().reduce(op, x.storage(), out.storage(), outer, r, inner);
        Tensor result = Tensor.record(out, op == ReduceOp.SUM ? new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                return new Tensor[] {dy.expand(s)};
            }

            @Override
            public String name() {
                return "sum_axis";
            }

            @Override
            protected boolean readsValues() {
                return false;
            }
        } : null);
        return keepDim ? result : result.reshape(reducedShape(s, ax, false));
    }

    static Tensor max(Tensor x, int axis, boolean keepDim) {
        x.checkAlive("max");
        Elementwise.requireFloat("max", x);
        int[] s = x.shapeRef();
        int ax = Shapes.axis(axis, s.length, "max");
        requireNonEmptyAxis("max", x, ax);
        int outer = Shapes.prod(s, 0, ax), r = s[ax], inner = Shapes.prod(s, ax + 1, s.length);
        int[] kept = reducedShape(s, ax, true);
        Tensor out = Tensor.empty(x.device(), DType.FLOAT32, kept);
        x.backend().reduce(ReduceOp.MAX, x.storage(), out.storage(), outer, r, inner);
        Tensor idx = Tensor.empty(x.device(), DType.INT32, kept);
        x.backend().argmax(x.storage(), idx.storage(), outer, r, inner);
        Tensor result = Tensor.record(out, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                // scatter dy to the argmax positions through a one-hot built on the host-independent path
                Tensor oneHot = oneHot(idx, s, ax);
                return new Tensor[] {dy.expand(s).mul(oneHot)};
            }

            @Override
            public String name() {
                return "max";
            }
        });
        return keepDim ? result : result.reshape(reducedShape(s, ax, false));
    }

    /** A maximum, minimum or argmax has no value over zero elements (a sum has: zero). */
    private static void requireNonEmptyAxis(String op, Tensor x, int ax) {
        if (x.shapeRef()[ax] == 0) {
            throw new IllegalArgumentException(op + ": axis " + ax + " of " + x.describe() + " is empty; the " + op
                    + " of no elements is undefined");
        }
    }

    /** 1 at the argmax position along {@code ax}, 0 elsewhere. */
    private static Tensor oneHot(Tensor idx, int[] s, int ax) {
        int outer = Shapes.prod(s, 0, ax), r = s[ax], inner = Shapes.prod(s, ax + 1, s.length);
        int[] id = idx.toIntArray();
        float[] h = new float[(int) Shapes.numel(s)];
        for (int o = 0; o < outer; o++) {
            for (int q = 0; q < inner; q++) h[(o * r + id[o * inner + q]) * inner + q] = 1f;
        }
        return Tensor.of(idx.device(), h, s);
    }

    static Tensor argmax(Tensor x, int axis) {
        x.checkAlive("argmax");
        int[] s = x.shapeRef();
        int ax = Shapes.axis(axis, s.length, "argmax");
        requireNonEmptyAxis("argmax", x, ax);
        int outer = Shapes.prod(s, 0, ax), r = s[ax], inner = Shapes.prod(s, ax + 1, s.length);
        Tensor idx = Tensor.empty(x.device(), DType.INT32, reducedShape(s, ax, false));
        x.backend().argmax(x.storage(), idx.storage(), outer, r, inner);
        return idx;
    }
}
