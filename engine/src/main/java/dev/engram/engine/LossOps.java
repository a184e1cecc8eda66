package dev.engram.engine;

/** Softmax, log-softmax and fused cross-entropy with integer labels, forward and backward. */
final class LossOps {
    private LossOps() {}

    static Tensor softmax(Tensor x, int axis, boolean log) {
        String op = log ? "log_softmax" : "softmax";
        x.checkAlive(op);
        Elementwise.requireFloat(op, x);
        int[] s = x.shapeRef();
        int ax = Shapes.axis(axis, s.length, op);
        int outer = Shapes.prod(s, 0, ax), r = s[ax], inner = Shapes.prod(s, ax + 1, s.length);
        Tensor y = Tensor.empty(x.device(), DType.FLOAT32, s);
        x.backend().softmax(x.storage(), y.storage(), outer, r, inner, log);
        return Tensor.record(y, new Node(x) {
            @Override
            protected Tensor[] backward(Tensor dy) {
                Tensor dx = Tensor.empty(x.device(), DType.FLOAT32, s);
                x.backend().softmaxBackward(y.storage(), dy.storage(), dx.storage(), outer, r, inner, log);
                return new Tensor[] {dx};
            }

            @Override
            public String name() {
                return op;
            }
        });
    }

    /** Per-example cross-entropy {@code [B]} of logits {@code [B, C]} against int32 labels {@code [B]}. */
    static Tensor crossEntropy(Tensor logits, Tensor labels) {
        logits.checkAlive("cross_entropy");
        labels.checkAlive("cross_entropy");
        Elementwise.requireFloat("cross_entropy", logits);
        int[] s = logits.shapeRef();
        if (s.length != 2) throw new IllegalArgumentException("cross_entropy: logits must be [B, C], got " + Shapes.str(s));
        if (labels.dtype() != DType.INT32 || labels.rank() != 1 || labels.shapeRef()[0] != s[0]) {
            throw new IllegalArgumentException("cross_entropy: labels must be int32 [" + s[0] + "], got " + labels.describe());
        }
        if (!labels.device().equals(logits.device())) {
            throw new IllegalArgumentException("cross_entropy: labels on " + labels.device() + ", logits on " + logits.device());
        }
        int b = s[0], c = s[1];
        Tensor loss = Tensor.empty(logits.device(), DType.FLOAT32, b);
        Tensor probs = Tensor.empty(logits.device(), DType.FLOAT32, b, c);
        logits.backend().crossEntropy(logits.storage(), labels.storage(), loss.storage(), probs.storage(), b, c);
        return Tensor.record(loss, new Node(logits) {
            @Override
            protected Tensor[] backward(Tensor dloss) {
                Tensor dx = Tensor.empty(logits.device(), DType.FLOAT32, b, c);
                logits.backend().crossEntropyBackward(probs.storage(), labels.storage(), dloss.storage(), dx.storage(), b, c);
                return new Tensor[] {dx};
            }

            @Override
            public String name() {
                return "cross_entropy";
            }
        });
    }
}
