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
        Tensor y = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, g.n(), g.k(), g.outH(), g.outW());
        x.backend().conv2dForward(x.storage(), w.storage(), bias == null ? null : bias.storage(), y.storage(), g);
        return Tensor.record(y, new Conv2dNode(x, w, bias, g));
    }

    /** Backward of {@link #conv2d}; the per-example rule reads the input, weight and geometry. */
    public static final class Conv2dNode extends Node {
        private final ConvGeometry geometry;
        /** Set by the per-example rule when it already formed the sum of the per-example weight gradients; used once. */
        private Tensor weightGradFromRule;

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
                dx = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, x.shapeRef());
                x.backend().conv2dBackwardData(dy.storage(), w.storage(), dx.storage(), geometry);
            }
            if (needsGrad(1) && weightGradFromRule != null) {
                dw = weightGradFromRule; // sum over examples of the per-example gradients (same GEMMs, summed in example order)
                weightGradFromRule = null;
                TensorScope.register(dw.storage()); // owned by the backward's scope again (the rule had to retain it)
            } else if (needsGrad(1)) {
                dw = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, w.shapeRef());
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

        /**
         * Per-example rule: weight {@code g_b = dy_b [K, P] cols_b^T [P, C*R*S]} with {@code cols_b}
         * the im2col matrix of example b: the backend's per-example filter-gradient kernel where it has one
         * ({@code Backend.conv2dPerExampleFilterGradients}), else a batched GEMM over a chunk of examples whose
         * im2col buffers fit the memory budget; bias: per-example channel sums of dy. Norms only: the Gram
         * form {@code sum_{p,q} (cols_p.cols_q)(dy_p.dy_q)} over the P output positions when
         * {@code P^2 (CRS+K) < P CRS K} (or as forced by the options), else per-example weight
         * gradients materialized one chunk at a time (or, with the backend's kernel, one example at a time).
         */
        static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
            @Override
            public boolean covers(Node node, int inputIndex) {
                return inputIndex == 1 || inputIndex == 2;
            }

            @Override
            public void apply(Node node, Tensor dy, PerExampleSink sink) {
                Conv2dNode cn = (Conv2dNode) node;
                ConvGeometry g = cn.geometry;
                Tensor x = node.inputs[0], w = node.inputs[1], b = node.inputs[2];
                int batch = g.n(), k = g.k(), crs = g.colRows(), p = g.colCols();
                long xStride = (long) g.c() * g.h() * g.w(), dyStride = (long) k * p, colStride = (long) crs * p;
                var be = x.backend();
                if (sink.wants(w)) {
                    boolean norms = sink.normsOnly(w);
                    boolean ghost = norms && sink.useGhost((double) p * p * (crs + k), (double) p * crs * k);
                    Tensor acc = norms ? null : sink.gradientsToOverwrite(w, batch, "conv2d");
                    float beta = acc != null ? 0f : 1f;
                    if (!norms && acc == null) acc = sink.gradients(w, batch, "conv2d");
                    // the backend's own per-example kernel (no im2col matrices; norms and sum while each gradient
                    // is in cache) where it has one, for whole-batch tensors it may overwrite
                    boolean direct = !ghost && (norms || beta == 0f) && x.offset() == 0 && dy.offset() == 0
                            && be.conv2dPerExampleFilterGradients(x.storage(), dy.storage(), g, 0, 0, null, 0, null, null);
                    long scratch = 4L * (direct ? (long) k * crs : colStride + (!norms ? 0 : ghost ? 2L * p * p : (long) k * crs));
                    int chunk = sink.chunkSize(scratch, batch);
                    Tensor cols = direct ? null : Tensor.empty(x.device(), DType.FLOAT32, Math.min(chunk, batch), crs, p);
                    // the per-example weight gradients already hold this node's filter gradient: sum them
                    // (B*K*CRS adds) so that its backward skips the equal-cost conv2dBackwardFilter pass
                    boolean giveSum = w.requiresGrad() && (norms ? !ghost : beta == 0f);
                    Tensor sum = giveSum ? Tensor.zeros(x.device(), w.shapeRef()).retain() : null;
                    for (int b0 = 0; b0 < batch; b0 += chunk) {
                        int n = Math.min(chunk, batch - b0);
                        if (direct) {
                            float[] squared = norms ? new float[n] : null;
                            be.conv2dPerExampleFilterGradients(x.storage(), dy.storage(), g, b0, n, norms ? null : acc.storage(),
                                    norms ? 0 : acc.offset() + (long) b0 * k * crs, squared, sum == null ? null : sum.storage());
                            if (norms) sink.addSquaredNorms(w, b0, squared, batch, "conv2d");
                            continue;
                        }
                        for (int j = 0; j < n; j++) {
                            be.im2col(x.storage(), x.offset() + (b0 + j) * xStride, cols.storage(), j * colStride, g);
                        }
                        long dyOff = dy.offset() + b0 * dyStride;
                        if (!norms) {
                            be.gemmStridedBatched(false, true, k, crs, p, 1f, dy.storage(), dyOff, p, dyStride, cols.storage(), 0,
                                    p, colStride, beta, acc.storage(), acc.offset() + (long) b0 * k * crs, crs, (long) k * crs, n);
                            if (sum != null) addRows(acc, b0 * k * crs, n, k * crs, sum);
                        } else if (ghost) {
                            float[] v = PerExampleKernels.ghostNorms(be, x.device(), cols.storage(), 0, true, crs, dy.storage(),
                                    dyOff, true, k, p, n);
                            sink.addSquaredNorms(w, b0, v, batch, "conv2d");
                        } else {
                            Tensor gw = Tensor.empty(x.device(), DType.FLOAT32, n, k, crs);
                            be.gemmStridedBatched(false, true, k, crs, p, 1f, dy.storage(), dyOff, p, dyStride, cols.storage(), 0,
                                    p, colStride, 0f, gw.storage(), 0, crs, (long) k * crs, n);
                            sink.addSquaredNorms(w, b0, PerExampleKernels.rowSquaredNorms(gw, n), batch, "conv2d");
                            if (sum != null) addRows(gw, 0, n, k * crs, sum);
                            gw.free();
                        }
                    }
                    if (cols != null) cols.free();
                    if (sum != null) cn.weightGradFromRule = sum;
                }
                if (b != null && sink.wants(b)) {
                    sink.add(b, PerExampleKernels.rowSums(dy, batch * k), batch, "conv2d");
                }
            }
        };
    }

    /** {@code sum += sum over r of rows r of t} for {@code t} viewed as {@code [rows, width]} from element {@code offset}. */
    private static void addRows(Tensor t, long offset, int rows, int width, Tensor sum) {
        Tensor part = Tensor.empty(t.device(), DType.FLOAT32, width);
        t.backend().reduce(ReduceOp.SUM, offset == 0 && t.offset() == 0 ? t.storage() : slice(t, offset, (long) rows * width),
                part.storage(), 1, rows, width);
        int[] s = {width};
        t.backend().binary(BinaryOp.ADD, sum.storage(), s, part.storage(), s, sum.storage(), s);
        part.free();
    }

    private static dev.engram.engine.spi.Storage slice(Tensor t, long offset, long count) {
        Tensor c = Tensor.empty(t.device(), DType.FLOAT32, Math.toIntExact(count));
        t.backend().copy(t.storage(), t.offset() + offset, c.storage(), 0, count);
        return c.storage();
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
