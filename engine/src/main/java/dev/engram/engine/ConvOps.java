package dev.engram.engine;

import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ConvGeometry;
import dev.engram.engine.spi.ReduceOp;

/** 2-D convolution (NCHW, OIHW weights, groups 1), forward and backward. */
final class ConvOps {
    private ConvOps() {}

    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
        x.checkAlive("conv2d");
        w.checkAlive("conv2d");
        Elementwise.sameDevice("conv2d", x, w);
        Elementwise.requireFloat("conv2d", x);
        int[] sx = x.shapeRef(), sw = w.shapeRef();
        if (sx.length != 4 || sw.length != 4) {
            throw new IllegalArgumentException("conv2d: expected input [N, C, H, W] and weight [K, C, R, S], got "
                    + Tensor.shapes(x, w));
        }
        if (sx[1] != sw[1]) {
            throw new IllegalArgumentException("conv2d: input has " + sx[1] + " channels but weight expects " + sw[1]
                    + " (" + Tensor.shapes(x, w) + ")");
        }
        if (bias != null && (bias.rank() != 1 || bias.shapeRef()[0] != sw[0])) {
            throw new IllegalArgumentException("conv2d: bias " + bias.describe() + " does not match " + sw[0] + " output channels");
        }
        ConvGeometry g = new ConvGeometry(sx[0], sx[1], sx[2], sx[3], sw[0], sw[2], sw[3], strideH, strideW, padH, padW,
                dilH, dilW);
        Tensor y = Tensor.empty(x.device(), DType.FLOAT32, g.n(), g.k(), g.outH(), g.outW());
        x.backend().conv2dForward(x.storage(), w.storage(), y.storage(), g);
        if (bias != null) {
            int[] ys = y.shapeRef();
            x.backend().binary(BinaryOp.ADD, y.storage(), ys, bias.storage(), new int[] {g.k(), 1, 1}, y.storage(), ys);
        }
        return Tensor.record(y, new Conv2dNode(x, w, bias, g));
    }

    /** Backward of {@link #conv2d}; the per-example rule reads the input, weight and geometry. */
    public static final class Conv2dNode extends Node {
        private final ConvGeometry geometry;

        Conv2dNode(Tensor x, Tensor w, Tensor b, ConvGeometry g) {
            super(x, w, b);
            this.geometry = g;
        }

        public Tensor input() {
            return inputs[0];
        }

        public Tensor weight() {
            return inputs[1];
        }

        public Tensor bias() {
            return inputs[2];
        }

        public ConvGeometry geometry() {
            return geometry;
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor x = inputs[0], w = inputs[1];
            Tensor dx = null, dw = null, db = null;
            if (needsGrad(0)) {
                dx = Tensor.empty(x.device(), DType.FLOAT32, x.shapeRef());
                x.backend().conv2dBackwardData(dy.storage(), w.storage(), dx.storage(), geometry);
            }
            if (needsGrad(1)) {
                dw = Tensor.empty(x.device(), DType.FLOAT32, w.shapeRef());
                x.backend().conv2dBackwardFilter(x.storage(), dy.storage(), dw.storage(), geometry, 0f);
            }
            if (inputs[2] != null && needsGrad(2)) {
                db = channelSums(dy, geometry.n(), geometry.k(), geometry.outH() * geometry.outW());
            }
            return new Tensor[] {dx, dw, db};
        }

        @Override
        public String name() {
            return "conv2d";
        }
    }

    /** Sum of {@code t[n, c, hw]} over n and hw, as a [c] tensor. */
    static Tensor channelSums(Tensor t, int n, int c, int hw) {
        Tensor perImage = Tensor.empty(t.device(), DType.FLOAT32, n, c);
        t.backend().reduce(ReduceOp.SUM, t.storage(), perImage.storage(), n * c, hw, 1);
        Tensor out = Tensor.empty(t.device(), DType.FLOAT32, c);
        t.backend().reduce(ReduceOp.SUM, perImage.storage(), out.storage(), 1, n, c);
        return out;
    }
}
