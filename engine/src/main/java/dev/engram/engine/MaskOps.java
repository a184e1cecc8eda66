package dev.engram.engine;

import dev.engram.engine.spi.Distribution;

/**
 * Neuron masks: {@code mask(x, m)} multiplies channel (or neuron) c of {@code x[B, C, ...]} by
 * {@code m[c]} or {@code m[b, c]}; differentiable in both. {@code dL/dm_c} is the first-order
 * change of the loss when channel c is switched off (times -1).
 */
final class MaskOps {
    private MaskOps() {}

    static Tensor mask(Tensor x, Tensor m) {
        x.checkAlive("mask");
        m.checkAlive("mask");
        Elementwise.sameDevice("mask", x, m);
        int[] s = x.shapeRef();
        if (s.length < 2) throw new IllegalArgumentException("mask: input must be [B, C, ...], got " + Shapes.str(s));
        int n = s[0], c = s[1], inner = Shapes.prod(s, 2, s.length);
        int[] sm = m.shapeRef();
        boolean perExample;
        if (sm.length == 1 && sm[0] == c) perExample = false;
        else if (sm.length == 2 && sm[0] == n && sm[1] == c) perExample = true;
        else {
            throw new IllegalArgumentException("mask: mask " + Shapes.str(sm) + " must be [" + c + "] or [" + n + ", " + c
                    + "] for input " + Shapes.str(s));
        }
        // the mask kernels write every element of their outputs
        Tensor y = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, s);
        x.backend().channelMask(x.storage(), m.storage(), y.storage(), n, c, inner, perExample);
        return Tensor.record(y, new MaskNode(x, m, n, c, inner, perExample));
    }

    /** Backward of {@link #mask}. */
    public static final class MaskNode extends Node {
        private final int n, c, inner;
        private final boolean perExample;

        MaskNode(Tensor x, Tensor m, int n, int c, int inner, boolean perExample) {
            super(x, m);
            this.n = n;
            this.c = c;
            this.inner = inner;
            this.perExample = perExample;
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor x = inputs[0], m = inputs[1];
            Tensor dx = null, dm = null;
            if (needsGrad(0)) {
                dx = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, x.shapeRef());
                x.backend().channelMask(dy.storage(), m.storage(), dx.storage(), n, c, inner, perExample);
            }
            if (needsGrad(1)) {
                dm = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, m.shapeRef());
                x.backend().channelMaskGradMask(x.storage(), dy.storage(), dm.storage(), n, c, inner, perExample);
            }
            return new Tensor[] {dx, dm};
        }

        @Override
        public String name() {
            return "mask";
        }

        /** The masked input x. */
        public Tensor input() {
            return inputs[0];
        }

        /** The mask m ({@code [C]} or {@code [B, C]}). */
        public Tensor mask() {
            return inputs[1];
        }

        /** Whether the mask has one row per example ({@code [B, C]}). */
        public boolean perExampleMask() {
            return perExample;
        }

        /**
         * Per-example rule for a mask that is a parameter: example b's gradient of a shared
         * {@code [C]} mask is its channel sums of {@code dy*x}; of a {@code [B, C]} mask it is a
         * {@code [B, C]} tensor whose only non-zero row is b.
         */
        static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
            @Override
            public boolean covers(Node node, int inputIndex) {
                return inputIndex == 1;
            }

            @Override
            public void apply(Node node, Tensor dy, PerExampleSink sink) {
                MaskNode mn = (MaskNode) node;
                Tensor x = node.inputs[0], m = node.inputs[1];
                if (!sink.wants(m)) return;
                Tensor dm = Tensor.empty(x.device(), DType.FLOAT32, mn.n, mn.c);
                x.backend().channelMaskGradMask(x.storage(), dy.storage(), dm.storage(), mn.n, mn.c, mn.inner, true);
                if (!mn.perExample) {
                    sink.add(m, dm, mn.n, "mask");
                } else if (sink.normsOnly(m)) {
                    sink.addSquaredNorms(m, 0, PerExampleKernels.rowSquaredNorms(dm, mn.n), mn.n, "mask");
                } else {
                    Tensor full = Tensor.zeros(x.device(), mn.n, mn.n, mn.c);
                    for (int b = 0; b < mn.n; b++) {
                        x.backend().copy(dm.storage(), (long) b * mn.c, full.storage(), ((long) b * mn.n + b) * mn.c, mn.c);
                    }
                    sink.add(m, full, mn.n, "mask");
                }
            }
        };
    }

    /** Inverted dropout with Philox bits from {@code (seed, counterOffset)}; identity when p = 0. */
    static Tensor dropout(Tensor x, float p, long seed, long counterOffset) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout: probability must be in [0, 1), got " + p);
        if (p == 0) return x;
        Tensor keep = Tensor.empty(x.device(), DType.FLOAT32, x.shapeRef());
        x.backend().randomFill(keep.storage(), keep.numel(), Distribution.BERNOULLI, 1 - p, 0, seed, counterOffset);
        return x.mul(keep.mul(1f / (1 - p)));
    }
}
