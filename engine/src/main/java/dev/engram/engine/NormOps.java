package dev.engram.engine;

/** Batch normalization and layer normalization, forward and backward. */
final class NormOps {
    private NormOps() {}

    /**
     * Batch-norm over axis 1 of {@code x[N, C, ...]}. In training mode uses batch statistics and
     * updates the running statistics in place (if given); otherwise normalizes with them.
     */
    static Tensor batchNorm(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                            boolean training, float momentum, float eps) {
        x.checkAlive("batch_norm");
        Elementwise.requireFloat("batch_norm", x);
        if (!(eps > 0) || !Float.isFinite(eps)) throw new IllegalArgumentException("batch_norm: eps must be finite and > 0, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("batch_norm: momentum must be in [0, 1], got " + momentum);
        }
        int[] s = x.shapeRef();
        if (s.length < 2) throw new IllegalArgumentException("batch_norm: expected [N, C, ...], got " + Shapes.str(s));
        int n = s[0], c = s[1], hw = Shapes.prod(s, 2, s.length);
        for (Tensor t : new Tensor[] {gamma, beta, runningMean, runningVar}) {
            if (t != null && (t.rank() != 1 || t.shapeRef()[0] != c)) {
                throw new IllegalArgumentException("batch_norm: parameter " + t.describe() + " does not match " + c
                        + " channels of input " + Shapes.str(s));
            }
        }
        if (!training && (runningMean == null || runningVar == null)) {
            throw new IllegalArgumentException("batch_norm: evaluation mode needs running mean and variance");
        }
        if (training && (long) n * hw < 2) {
            throw new IllegalArgumentException("batch_norm: training mode needs more than one value per channel, got input "
                    + Shapes.str(s));
        }
        Tensor y = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, s); // every kernel writes all of y
        Tensor mean, invStd;
        if (training) {
            mean = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, c);
            invStd = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, c);
            x.backend().batchNormTrain(x.storage(), st(gamma), st(beta), y.storage(), mean.storage(), invStd.storage(),
                    st(runningMean), st(runningVar), n, c, hw, momentum, eps);
        } else {
            x.backend().batchNormInfer(x.storage(), st(gamma), st(beta), runningMean.storage(), runningVar.storage(),
                    y.storage(), n, c, hw, eps);
            boolean recorded = Grad.isEnabled() && (x.requiresGrad() || gamma != null && gamma.requiresGrad()
                    || beta != null && beta.requiresGrad());
            if (!recorded) return y; // evaluation: backward's snapshot of the statistics is not needed
            try (Grad off = Grad.disabled()) {
                mean = runningMean.copy();
                invStd = runningVar.add(eps).rsqrt();
            }
        }
        return Tensor.record(y, new BatchNormNode(x, gamma, beta, mean, invStd, training, n, c, hw));
    }

    private static dev.engram.engine.spi.Storage st(Tensor t) {
        return t == null ? null : t.storage();
    }

    /** Backward of batch-norm; per-example rules read the normalized input through {@link #normalized()}. */
    public static final class BatchNormNode extends Node {
        private final Tensor mean, invStd;
        private final boolean training;
        private final int n, c, hw;

        BatchNormNode(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor invStd, boolean training, int n, int c, int hw) {
            super(x, gamma, beta);
            this.mean = mean;
            this.invStd = invStd;
            this.training = training;
            this.n = n;
            this.c = c;
            this.hw = hw;
        }

        /** Whether batch statistics were used (training mode). */
        public boolean training() {
            return training;
        }

        public Tensor input() {
            return inputs[0];
        }

        public Tensor gamma() {
            return inputs[1];
        }

        public Tensor beta() {
            return inputs[2];
        }

        /** {@code x_hat = (x - mean) * invStd} with the statistics of the forward pass (treated as constants). */
        public Tensor normalized() {
            int[] s = inputs[0].shapeRef();
            int[] bs = new int[s.length];
            java.util.Arrays.fill(bs, 1);
            bs[1] = c;
            try (Grad g = Grad.disabled()) {
                return inputs[0].detach().sub(mean.reshape(bs)).mul(invStd.reshape(bs));
            }
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor x = inputs[0];
            // the kernel writes every element of dx, dgamma and dbeta
            Tensor dx = needsGrad(0) ? Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, x.shapeRef()) : null;
            Tensor dg = inputs[1] != null && needsGrad(1) ? Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, c) : null;
            Tensor db = inputs[2] != null && needsGrad(2) ? Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, c) : null;
            x.backend().batchNormBackward(dy.storage(), x.storage(), inputs[1] == null ? null : inputs[1].storage(),
                    mean.storage(), invStd.storage(), st(dx), st(dg), st(db), n, c, hw, training);
            return new Tensor[] {dx, dg, db};
        }

        @Override
        public String name() {
            return "batch_norm";
        }

        /**
         * Per-example rule for the affine parameters: {@code dgamma_b = sum_hw dy*x_hat},
         * {@code dbeta_b = sum_hw dy}. In training mode {@code x_hat} uses the batch statistics of
         * the forward pass, treated as constants (see {@link PerExample} for what that means for
         * parameters upstream of the layer). Where the backend has a one-pass kernel
         * ({@code Backend.batchNormPerExampleAffineGradients}) it reads x and dy once, with no temporaries,
         * and centres on the batch's own mean as the batch gradient does; otherwise element-wise products
         * and row sums form them.
         */
        static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
            @Override
            public boolean covers(Node node, int inputIndex) {
                return inputIndex == 1 || inputIndex == 2;
            }

            @Override
            public void apply(Node node, Tensor dy, PerExampleSink sink) {
                BatchNormNode bn = (BatchNormNode) node;
                Tensor gamma = node.inputs[1], beta = node.inputs[2], x = node.inputs[0];
                boolean wantGamma = gamma != null && sink.wants(gamma), wantBeta = beta != null && sink.wants(beta);
                if (!wantGamma && !wantBeta) return;
                var be = x.backend();
                // the backend's one-pass kernel, where it has one (asked with n = 0 before anything is allocated)
                if (x.offset() == 0 && dy.offset() == 0 && be.batchNormPerExampleAffineGradients(dy.storage(), x.storage(),
                        bn.mean.storage(), bn.invStd.storage(), null, null, 0, bn.c, bn.hw, bn.training)) {
                    int rows = bn.n * bn.c;
                    // the kernel writes every row
                    Tensor dg = wantGamma ? Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, rows) : null;
                    Tensor db = wantBeta ? Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, rows) : null;
                    be.batchNormPerExampleAffineGradients(dy.storage(), x.storage(), bn.mean.storage(), bn.invStd.storage(),
                            st(dg), st(db), bn.n, bn.c, bn.hw, bn.training);
                    if (wantGamma) sink.add(gamma, dg, bn.n, "batch_norm");
                    if (wantBeta) sink.add(beta, db, bn.n, "batch_norm");
                    return;
                }
                if (wantGamma) {
                    sink.add(gamma, PerExampleKernels.rowSums(dy.mul(bn.normalized()), bn.n * bn.c), bn.n, "batch_norm");
                }
                if (wantBeta) {
                    sink.add(beta, PerExampleKernels.rowSums(dy, bn.n * bn.c), bn.n, "batch_norm");
                }
            }
        };
    }

    /** Layer-norm over the last {@code normalizedSize} elements. */
    static Tensor layerNorm(Tensor x, int normalizedSize, Tensor gamma, Tensor beta, float eps) {
        x.checkAlive("layer_norm");
        Elementwise.requireFloat("layer_norm", x);
        if (!(eps > 0) || !Float.isFinite(eps)) throw new IllegalArgumentException("layer_norm: eps must be finite and > 0, got " + eps);
        int[] s = x.shapeRef();
        if (normalizedSize <= 0 || x.numel() % normalizedSize != 0 || s[s.length - 1] > normalizedSize
                || normalizedSize % s[s.length - 1] != 0) {
            throw new IllegalArgumentException("layer_norm: normalized size " + normalizedSize + " does not divide the trailing axes of "
                    + Shapes.str(s));
        }
        for (Tensor t : new Tensor[] {gamma, beta}) {
            if (t != null && t.numel() != normalizedSize) {
                throw new IllegalArgumentException("layer_norm: parameter " + t.describe() + " does not have " + normalizedSize + " elements");
            }
        }
        int rows = (int) (x.numel() / normalizedSize);
        Tensor y = Tensor.empty(x.device(), DType.FLOAT32, s);
        Tensor mean = Tensor.empty(x.device(), DType.FLOAT32, rows);
        Tensor invStd = Tensor.empty(x.device(), DType.FLOAT32, rows);
        x.backend().layerNormForward(x.storage(), st(gamma), st(beta), y.storage(), mean.storage(), invStd.storage(), rows,
                normalizedSize, eps);
        return Tensor.record(y, new LayerNormNode(x, gamma, beta, mean, invStd, rows, normalizedSize));
    }

    /** Backward of layer-norm; exposes the normalized input for per-example rules. */
    public static final class LayerNormNode extends Node {
        private final Tensor mean, invStd;
        private final int rows, cols;

        LayerNormNode(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor invStd, int rows, int cols) {
            super(x, gamma, beta);
            this.mean = mean;
            this.invStd = invStd;
            this.rows = rows;
            this.cols = cols;
        }

        public Tensor input() {
            return inputs[0];
        }

        public Tensor gamma() {
            return inputs[1];
        }

        public Tensor beta() {
            return inputs[2];
        }

        /** Normalized input {@code [rows, cols]} before the affine transform. */
        public Tensor normalized() {
            try (Grad g = Grad.disabled()) {
                Tensor x2 = inputs[0].detach().reshape(rows, cols);
                return x2.sub(mean.reshape(rows, 1)).mul(invStd.reshape(rows, 1));
            }
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor x = inputs[0];
            Tensor dx = needsGrad(0) ? Tensor.empty(x.device(), DType.FLOAT32, x.shapeRef()) : null;
            Tensor dg = inputs[1] != null && needsGrad(1) ? Tensor.empty(x.device(), DType.FLOAT32, inputs[1].shapeRef()) : null;
            Tensor db = inputs[2] != null && needsGrad(2) ? Tensor.empty(x.device(), DType.FLOAT32, inputs[2].shapeRef()) : null;
            x.backend().layerNormBackward(dy.storage(), x.storage(), inputs[1] == null ? null : inputs[1].storage(),
                    mean.storage(), invStd.storage(), st(dx), st(dg), st(db), rows, cols);
            return new Tensor[] {dx, dg, db};
        }

        @Override
        public String name() {
            return "layer_norm";
        }

        /**
         * Per-example rule for the affine parameters: sums of {@code dy*x_hat} and {@code dy} over
         * the rows (sequence positions) of each example; axis 0 of the input is the example axis.
         */
        static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
            @Override
            public boolean covers(Node node, int inputIndex) {
                return inputIndex == 1 || inputIndex == 2;
            }

            @Override
            public void apply(Node node, Tensor dy, PerExampleSink sink) {
                LayerNormNode ln = (LayerNormNode) node;
                Tensor gamma = node.inputs[1], beta = node.inputs[2];
                int batch = PerExampleKernels.batchOf(node.inputs[0], "layer_norm");
                int per = ln.rows / batch;
                Tensor d = dy.reshape(ln.rows, ln.cols);
                if (gamma != null && sink.wants(gamma)) {
                    sink.add(gamma, d.mul(ln.normalized()).reshape(batch, per, ln.cols).sum(1, false), batch, "layer_norm");
                }
                if (beta != null && sink.wants(beta)) {
                    sink.add(beta, d.reshape(batch, per, ln.cols).sum(1, false), batch, "layer_norm");
                }
            }
        };
    }
}
