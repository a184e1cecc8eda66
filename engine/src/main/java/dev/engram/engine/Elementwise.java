package dev.engram.engine;

import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.UnaryOp;

/** Element-wise unary and broadcasting binary ops, forward and backward. */
final class Elementwise {
    private Elementwise() {}

    static void sameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": tensors on different devices: " + a.describe() + " vs " + b.describe());
        }
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": dtypes differ: " + a.describe() + " vs " + b.describe());
        }
    }

    static void requireFloat(String op, Tensor t) {
        if (t.dtype() != DType.FLOAT32) throw new IllegalArgumentException(op + ": expected float32, got " + t.describe());
    }

    // ---- unary -------------------------------------------------------------------------------

    static Tensor unary(UnaryOp op, float alpha, Tensor x) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        x.checkAlive(name);
        requireFloat(name, x);
        Tensor y = Tensor.emptyForOverwrite(x.device(), x.dtype(), x.shapeRef());
        x.backend().unary(op, alpha, x.storage(), y.storage(), x.numel());
        return Tensor.record(y, new UnaryNode(op, alpha, x, y));
    }

    static final class UnaryNode extends Node {
        final UnaryOp op;
        final float alpha;
        Tensor y;

        UnaryNode(UnaryOp op, float alpha, Tensor x, Tensor y) {
            super(x);
            this.op = op;
            this.alpha = alpha;
            this.y = y;
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor x = inputs[0];
            // x^0 is 1 everywhere: its derivative is 0, not 0·x^-1 (NaN at 0)
            if (op == UnaryOp.POW && alpha == 0f) return new Tensor[] {Tensor.zeros(x.device(), x.shapeRef())};
            Tensor dx = Tensor.emptyForOverwrite(x.device(), x.dtype(), x.shapeRef());
            x.backend().unaryBackward(op, alpha, x.storage(), y.storage(), dy.storage(), dx.storage(), x.numel());
            return new Tensor[] {dx};
        }

        @Override
        public String name() {
            return op.name().toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        protected void release() {
            y = null;
        }
    }

    // ---- binary ------------------------------------------------------------------------------

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        a.checkAlive(name);
        b.checkAlive(name);
        sameDevice(name, a, b);
        requireFloat(name, a);
        int[] outShape = Shapes.broadcast(a.shapeRef(), b.shapeRef(), name);
        Tensor out = Tensor.emptyForOverwrite(a.device(), DType.FLOAT32, outShape);
        a.backend().binary(op, a.storage(), a.shapeRef(), b.storage(), b.shapeRef(), out.storage(), outShape);
        if (op == BinaryOp.EQ || op == BinaryOp.GT) return out;
        return Tensor.record(out, new BinaryNode(op, a, b));
    }

    static final class BinaryNode extends Node {
        final BinaryOp op;

        BinaryNode(BinaryOp op, Tensor a, Tensor b) {
            super(a, b);
            this.op = op;
        }

        @Override
        protected boolean readsValues() {
            return op != BinaryOp.ADD && op != BinaryOp.SUB;
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor a = inputs[0], b = inputs[1];
            Tensor da = null, db = null;
            switch (op) {
                case ADD -> {
                    if (needsGrad(0)) da = sumTo(dy, a.shapeRef());
                    if (needsGrad(1)) db = sumTo(dy, b.shapeRef());
                }
                case SUB -> {
                    if (needsGrad(0)) da = sumTo(dy, a.shapeRef());
                    if (needsGrad(1)) db = sumTo(dy.neg(), b.shapeRef());
                }
                case MUL -> {
                    if (needsGrad(0)) da = sumTo(dy.mul(b), a.shapeRef());
                    if (needsGrad(1)) db = sumTo(dy.mul(a), b.shapeRef());
                }
                case DIV -> {
                    if (needsGrad(0)) da = sumTo(dy.div(b), a.shapeRef());
                    if (needsGrad(1)) db = sumTo(dy.mul(a).div(b.square()).neg(), b.shapeRef());
                }
                case MAX, MIN -> {
                    // PyTorch's rule: the strictly better operand takes dy, a tie gives each dy/2, and where a NaN
                    // makes the two incomparable (neither is better, they are not equal) both take dy; the loser's
                    // share is set to 0, not multiplied by 0, so that an infinite dy gives it 0 rather than NaN
                    Tensor share = dy.mul(0.5f).where(a.eq(b), dy);
                    Tensor zero = Tensor.zeros(dy.device(), dy.shapeRef());
                    if (needsGrad(0)) da = sumTo(zero.where(op == BinaryOp.MAX ? b.gt(a) : a.gt(b), share), a.shapeRef());
                    if (needsGrad(1)) db = sumTo(zero.where(op == BinaryOp.MAX ? a.gt(b) : b.gt(a), share), b.shapeRef());
                }
                default -> throw new IllegalStateException("no gradient for " + op);
            }
            return new Tensor[] {da, db};
        }

        @Override
        public String name() {
            return op.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Per-example rule for a parameter without an example axis that is broadcast over the batch
     * by an add, subtract or multiply (position embeddings, learned scales): example b's share is
     * its slice of {@code dy} (times the other operand for a multiply), summed over the axes the
     * parameter was broadcast along. Covered only when the other operand carries the batch axis.
     */
    static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
        @Override
        public boolean covers(Node node, int inputIndex) {
            BinaryOp op = ((BinaryNode) node).op;
            if (op != BinaryOp.ADD && op != BinaryOp.SUB && op != BinaryOp.MUL) return false;
            return batchFree(node.inputs[inputIndex], node.inputs[1 - inputIndex]);
        }

        @Override
        public void apply(Node node, Tensor dy, PerExampleSink sink) {
            BinaryOp op = ((BinaryNode) node).op;
            for (int k = 0; k < 2; k++) {
                Tensor p = node.inputs[k];
                if (p == null || !sink.wants(p) || !covers(node, k)) continue;
                Tensor share = switch (op) {
                    case ADD -> dy;
                    case SUB -> k == 0 ? dy : dy.neg();
                    default -> dy.mul(node.inputs[1 - k]);
                };
                int batch = dy.shapeRef()[0];
                sink.add(p, perExampleSumTo(share, p.shapeRef()), batch, op.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
    };

    /** Whether {@code p} has no example axis while {@code other} (the operand it meets) has one. */
    static boolean batchFree(Tensor p, Tensor other) {
        if (p == null || other == null) return false;
        int[] ps = p.shapeRef(), os = other.shapeRef();
        if (os.length < 2 || ps.length > os.length) return false;
        int lead = ps.length < os.length ? 1 : ps[0];
        return lead == 1;
    }

    /**
     * {@code g[B, ...]} (the batch axis first, broadcast shape) reduced per example to the shape of
     * a parameter without an example axis: a tensor of {@code B * numel(param)} elements.
     */
    static Tensor perExampleSumTo(Tensor g, int[] paramShape) {
        int[] gs = g.shapeRef();
        int rank = gs.length;
        int[] padded = new int[rank];
        java.util.Arrays.fill(padded, 1);
        System.arraycopy(paramShape, 0, padded, rank - paramShape.length, paramShape.length);
        Tensor r = g;
        for (int ax = 1; ax < rank; ax++) {
            if (padded[ax] == 1 && gs[ax] != 1) r = Reductions.reduce(ReduceOp.SUM, r, ax, true);
        }
        return r;
    }

    /** Sums a broadcast gradient back to {@code shape}. */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shapeRef();
        if (java.util.Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        Tensor r = g;
        // reduce leading axes that the target does not have
        if (lead > 0) {
            int outer = Shapes.prod(gs, 0, lead);
            int inner = Shapes.prod(gs, lead, gs.length);
            Tensor out = Tensor.empty(g.device(), DType.FLOAT32, java.util.Arrays.copyOfRange(gs, lead, gs.length));
            g.backend().reduce(ReduceOp.SUM, g.storage(), out.storage(), 1, outer, inner);
            r = out;
        }
        int[] rs = r.shapeRef();
        for (int ax = 0; ax < shape.length; ax++) {
            if (shape[ax] == 1 && rs[ax] != 1) {
                r = Reductions.reduce(ReduceOp.SUM, r, ax, true);
                rs = r.shapeRef();
            }
        }
        return r.reshape(shape);
    }

    // ---- where -------------------------------------------------------------------------------

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        cond.checkAlive("where");
        a.checkAlive("where");
        b.checkAlive("where");
        sameDevice("where", a, b);
        Shapes.requireSame(a.shapeRef(), b.shapeRef(), "where");
        Shapes.requireSame(a.shapeRef(), cond.shapeRef(), "where condition");
        Tensor c = cond.toFloat();
        Tensor out = Tensor.emptyLike(a);
        a.backend().where(c.storage(), a.storage(), b.storage(), out.storage(), a.numel());
        return Tensor.record(out, new Node(a, b) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor zero = Tensor.zeros(dy.device(), dy.shapeRef());
                return new Tensor[] {needsGrad(0) ? dy.where(c, zero) : null, needsGrad(1) ? zero.where(c, dy) : null};
            }

            @Override
            public String name() {
                return "where";
            }
        });
    }
}
