package dev.engram.engine;

import dev.engram.engine.spi.PoolGeometry;

/** Max and average pooling over NCHW tensors, forward and backward. */
final class PoolOps {
    private PoolOps() {}

    private static PoolGeometry geometry(String op, Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        x.checkAlive(op);
        Elementwise.requireFloat(op, x);
        int[] s = x.shapeRef();
        if (s.length != 4) throw new IllegalArgumentException(op + ": expected [N, C, H, W], got " + Shapes.str(s));
        return new PoolGeometry(s[0], s[1], s[2], s[3], kh, kw, sh, sw, ph, pw);
    }

    static Tensor maxPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        PoolGeometry g = geometry("max_pool2d", x, kh, kw, sh, sw, ph, pw);
        Tensor y = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, g.n(), g.c(), g.outH(), g.outW());
        Tensor idx = Tensor.emptyForOverwrite(x.device(), DType.INT32, g.n(), g.c(), g.outH(), g.outW());
        x.backend().maxPool2dForward(x.storage(), y.storage(), idx.storage(), g);
        return Tensor.record(y, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor dx = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, x.shapeRef());
                x.backend().maxPool2dBackward(dy.storage(), idx.storage(), dx.storage(), g);
                return new Tensor[] {dx};
            }

            @Override
            public String name() {
                return "max_pool2d";
            }
        });
    }

    static Tensor avgPool2d(Tensor x, int kh, int kw, int sh, int sw, int ph, int pw) {
        PoolGeometry g = geometry("avg_pool2d", x, kh, kw, sh, sw, ph, pw);
        Tensor y = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, g.n(), g.c(), g.outH(), g.outW());
        x.backend().avgPool2dForward(x.storage(), y.storage(), g);
        return Tensor.record(y, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor dx = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, x.shapeRef());
                x.backend().avgPool2dBackward(dy.storage(), dx.storage(), g);
                return new Tensor[] {dx};
            }

            @Override
            public String name() {
                return "avg_pool2d";
            }
        });
    }
}
