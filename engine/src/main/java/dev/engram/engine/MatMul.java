package dev.engram.engine;

import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.Storage;

/** Matrix products and the fused linear layer {@code y = x W^T + b}, forward and backward. */
final class MatMul {
    private MatMul() {}

    /**
     * The backend's GEMM, except for empty products: nothing to do when C is empty, and {@code C = 0} (beta 0) or C
     * unchanged (beta 1) when the inner dimension is 0, without asking the backend for a zero-width operand.
     */
    static void gemm(Backend be, boolean transA, boolean transB, int m, int n, int k, float alpha, Storage a, long aOff, int lda,
                     Storage b, long bOff, int ldb, float beta, Storage c, long cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            zeroUnlessAccumulating(be, beta, c, cOff, m, n, ldc);
            return;
        }
        be.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** {@link #gemm} for a strided batch of products. */
    static void gemmStridedBatched(Backend be, boolean transA, boolean transB, int m, int n, int k, float alpha, Storage a,
                                   long aOff, int lda, long strideA, Storage b, long bOff, int ldb, long strideB, float beta,
                                   Storage c, long cOff, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0) {
            for (int i = 0; i < batch; i++) zeroUnlessAccumulating(be, beta, c, cOff + i * strideC, m, n, ldc);
            return;
        }
        be.gemmStridedBatched(transA, transB, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c, cOff, ldc,
                strideC, batch);
    }

    private static void zeroUnlessAccumulating(Backend be, float beta, Storage c, long cOff, int m, int n, int ldc) {
        if (beta == 1f) return;
        if (beta != 0f) throw new IllegalStateException("empty GEMM with beta " + beta);
        for (int i = 0; i < m; i++) be.fill(c, cOff + (long) i * ldc, n, 0f);
    }

    static Tensor matmul(Tensor a, Tensor b) {
        a.checkAlive("matmul");
        b.checkAlive("matmul");
        Elementwise.sameDevice("matmul", a, b);
        Elementwise.requireFloat("matmul", a);
        int[] sa = a.shapeRef(), sb = b.shapeRef();
        if (sa.length < 2 || sb.length < 2 || sb.length > 3 || (sb.length == 3 && sa.length != 3)) {
            throw new IllegalArgumentException("matmul: unsupported ranks " + Tensor.shapes(a, b)
                    + " (2-D x 2-D, N-D x 2-D, or 3-D x 3-D)");
        }
        int k = sa[sa.length - 1];
        if (sb[sb.length - 2] != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ, " + Tensor.shapes(a, b));
        }
        int n = sb[sb.length - 1];
        Tensor out;
        if (sb.length == 2) {
            int m = Shapes.prod(sa, 0, sa.length - 1);
            int[] o = sa.clone();
            o[o.length - 1] = n;
            out = Tensor.empty(a.device(), DType.FLOAT32, o);
            gemm(a.backend(), false, false, m, n, k, 1f, a.storage(), 0, k, b.storage(), 0, n, 0f, out.storage(), 0, n);
        } else {
            if (sa[0] != sb[0]) throw new IllegalArgumentException("matmul: batch sizes differ, " + Tensor.shapes(a, b));
            int batch = sa[0], m = sa[1];
            out = Tensor.empty(a.device(), DType.FLOAT32, batch, m, n);
            gemmStridedBatched(a.backend(), false, false, m, n, k, 1f, a.storage(), 0, k, (long) m * k, b.storage(), 0, n,
                    (long) k * n, 0f, out.storage(), 0, n, (long) m * n, batch);
        }
        return Tensor.record(out, new MatMulNode(a, b));
    }

    static final class MatMulNode extends Node {
        MatMulNode(Tensor a, Tensor b) {
            super(a, b);
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor a = inputs[0], b = inputs[1];
            int[] sa = a.shapeRef(), sb = b.shapeRef();
            int k = sa[sa.length - 1], n = sb[sb.length - 1];
            Tensor da = null, db = null;
            if (sb.length == 2) {
                int m = Shapes.prod(sa, 0, sa.length - 1);
                if (needsGrad(0)) {
                    da = Tensor.empty(a.device(), DType.FLOAT32, sa);
                    gemm(a.backend(), false, true, m, k, n, 1f, dy.storage(), 0, n, b.storage(), 0, n, 0f, da.storage(), 0, k);
                }
                if (needsGrad(1)) {
                    db = Tensor.empty(a.device(), DType.FLOAT32, sb);
                    gemm(a.backend(), true, false, k, n, m, 1f, a.storage(), 0, k, dy.storage(), 0, n, 0f, db.storage(), 0, n);
                }
            } else {
                int batch = sa[0], m = sa[1];
                if (needsGrad(0)) {
                    da = Tensor.empty(a.device(), DType.FLOAT32, sa);
                    gemmStridedBatched(a.backend(), false, true, m, k, n, 1f, dy.storage(), 0, n, (long) m * n,
                            b.storage(), 0, n, (long) k * n, 0f, da.storage(), 0, k, (long) m * k, batch);
                }
                if (needsGrad(1)) {
                    db = Tensor.empty(a.device(), DType.FLOAT32, sb);
                    gemmStridedBatched(a.backend(), true, false, k, n, m, 1f, a.storage(), 0, k, (long) m * k,
                            dy.storage(), 0, n, (long) m * n, 0f, db.storage(), 0, n, (long) k * n, batch);
                }
            }
            return new Tensor[] {da, db};
        }

        @Override
        public String name() {
            return "matmul";
        }
    }

    /** {@code y[..., out] = x[..., in] W[out, in]^T + b[out]}. */
    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        x.checkAlive("linear");
        w.checkAlive("linear");
        Elementwise.sameDevice("linear", x, w);
        Elementwise.requireFloat("linear", x);
        int[] sx = x.shapeRef(), sw = w.shapeRef();
        if (sw.length != 2 || sx.length < 1 || sx[sx.length - 1] != sw[1]) {
            throw new IllegalArgumentException("linear: input " + Shapes.str(sx) + " does not match weight "
                    + Shapes.str(sw) + " (expected [..., " + (sw.length == 2 ? sw[1] : "in") + "])");
        }
        if (bias != null && (bias.rank() != 1 || bias.shapeRef()[0] != sw[0])) {
            throw new IllegalArgumentException("linear: bias " + bias.describe() + " does not match weight " + Shapes.str(sw));
        }
        int in = sw[1], outF = sw[0];
        int m = Shapes.prod(x.shapeRef(), 0, x.rank() - 1);
        int[] o = sx.clone();
        o[o.length - 1] = outF;
        Tensor y = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, o);
        if (bias != null) {
            // broadcast the bias into every row (source stride 0); the GEMM then accumulates onto it
            x.backend().copyBlocks(bias.storage(), 0, 0, y.storage(), 0, outF, m, outF);
        }
        gemm(x.backend(), false, true, m, outF, in, 1f, x.storage(), 0, in, w.storage(), 0, in, bias != null ? 1f : 0f,
                y.storage(), 0, outF);
        return Tensor.record(y, new LinearNode(x, w, bias));
    }

    /** Backward of {@link #linear}; the per-example rule reads {@link #input()} and the output gradient. */
    public static final class LinearNode extends Node {
        LinearNode(Tensor x, Tensor w, Tensor b) {
            super(x, w, b);
        }

        /** The layer input x. */
        public Tensor input() {
            return inputs[0];
        }

        public Tensor weight() {
            return inputs[1];
        }

        public Tensor bias() {
            return inputs[2];
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor x = inputs[0], w = inputs[1];
            int in = w.shapeRef()[1], outF = w.shapeRef()[0];
            int m = Shapes.prod(x.shapeRef(), 0, x.rank() - 1);
            Tensor dx = null, dw = null, db = null;
            if (needsGrad(0)) {
                dx = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, x.shapeRef());
                gemm(x.backend(), false, false, m, in, outF, 1f, dy.storage(), 0, outF, w.storage(), 0, in, 0f,
                        dx.storage(), 0, in);
            }
            if (needsGrad(1)) {
                dw = Tensor.emptyForOverwrite(x.device(), DType.FLOAT32, outF, in);
                gemm(x.backend(), true, false, outF, in, m, 1f, dy.storage(), 0, outF, x.storage(), 0, in, 0f,
                        dw.storage(), 0, in);
            }
            if (inputs[2] != null && needsGrad(2)) {
                db = Tensor.empty(x.device(), DType.FLOAT32, outF);
                x.backend().reduce(dev.engram.engine.spi.ReduceOp.SUM, dy.storage(), db.storage(), 1, m, outF);
            }
            return new Tensor[] {dx, dw, db};
        }

        @Override
        public String name() {
            return "linear";
        }

        /**
         * Per-example rule: weight {@code g_b = sum_t dy[b,t]^T x[b,t]} (input {@code [B, in]} or
         * {@code [B, T..., in]}), bias {@code sum_t dy[b,t]}. Norms only: without a sequence axis
         * {@code ||x_b||^2 ||dy_b||^2}; with one, the Gram form {@code sum_{t,s} (x_t.x_s)(dy_t.dy_s)}
         * when {@code T^2 (in+out) < T in out} (or as forced by the options), else materialized in
         * chunks of examples within the memory budget.
         */
        static final PerExampleRule PER_EXAMPLE = new PerExampleRule() {
            @Override
            public boolean covers(Node node, int inputIndex) {
                return inputIndex == 1 || inputIndex == 2;
            }

            @Override
            public void apply(Node node, Tensor dy, PerExampleSink sink) {
                Tensor x = node.inputs[0], w = node.inputs[1], b = node.inputs[2];
                int batch = PerExampleKernels.batchOf(x, "linear");
                int in = w.shapeRef()[1], outF = w.shapeRef()[0];
                int t = batch == 0 || in == 0 ? 0 : (int) (x.numel() / ((long) batch * in));
                var be = x.backend();
                if (sink.wants(w)) {
                    if (!sink.normsOnly(w)) {
                        Tensor acc = sink.gradientsToOverwrite(w, batch, "linear");
                        if (acc != null && t == 1 && x.offset() == 0 && dy.offset() == 0) { // outer products dy_b x_b^T
                            be.binary(dev.engram.engine.spi.BinaryOp.MUL, x.storage(), new int[] {batch, 1, in}, dy.storage(),
                                    new int[] {batch, outF, 1}, acc.storage(), acc.shapeRef());
                        } else {
                            float beta = acc != null ? 0f : 1f;
                            if (acc == null) acc = sink.gradients(w, batch, "linear");
                            gemmStridedBatched(be, true, false, outF, in, t, 1f, dy.storage(), dy.offset(), outF,
                                    (long) t * outF, x.storage(), x.offset(), in, (long) t * in, beta, acc.storage(),
                                    acc.offset(), in, (long) outF * in, batch); // t = 0 (no positions): zeros
                        }
                    } else if (t == 0) { // no positions: every example's gradient is zero
                        sink.addSquaredNorms(w, 0, new float[batch], batch, "linear");
                    } else if (t == 1) {
                        float[] xs = PerExampleKernels.rowSquaredNorms(x, batch);
                        float[] ds = PerExampleKernels.rowSquaredNorms(dy, batch);
                        for (int i = 0; i < batch; i++) xs[i] *= ds[i];
                        sink.addSquaredNorms(w, 0, xs, batch, "linear");
                    } else if (sink.useGhost((double) t * t * (in + outF), (double) t * in * outF)) {
                        int chunk = sink.chunkSize(4L * 2 * t * t, batch);
                        for (int b0 = 0; b0 < batch; b0 += chunk) {
                            int n = Math.min(chunk, batch - b0);
                            float[] v = PerExampleKernels.ghostNorms(be, x.device(), x.storage(), x.offset() + (long) b0 * t * in,
                                    false, in, dy.storage(), dy.offset() + (long) b0 * t * outF, false, outF, t, n);
                            sink.addSquaredNorms(w, b0, v, batch, "linear");
                        }
                    } else {
                        int chunk = sink.chunkSize(4L * outF * in, batch);
                        for (int b0 = 0; b0 < batch; b0 += chunk) {
                            int n = Math.min(chunk, batch - b0);
                            Tensor g = Tensor.empty(x.device(), DType.FLOAT32, n, outF, in);
                            gemmStridedBatched(be, true, false, outF, in, t, 1f, dy.storage(),
                                    dy.offset() + (long) b0 * t * outF, outF, (long) t * outF, x.storage(),
                                    x.offset() + (long) b0 * t * in, in, (long) t * in, 0f, g.storage(), 0, in,
                                    (long) outF * in, n);
                            sink.addSquaredNorms(w, b0, PerExampleKernels.rowSquaredNorms(g, n), batch, "linear");
                            g.free();
                        }
                    }
                }
                if (b != null && sink.wants(b)) {
                    Tensor db = t == 1 ? dy.reshape(batch, outF) : dy.reshape(batch, t, outF).sum(1, false);
                    sink.add(b, db, batch, "linear");
                }
            }
        };
    }
}
