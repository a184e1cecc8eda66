package dev.engram.engine.cpu;

import dev.engram.engine.DType;
import dev.engram.engine.Device;
import dev.engram.engine.Philox;
import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ConvGeometry;
import dev.engram.engine.spi.Distribution;
import dev.engram.engine.spi.PoolGeometry;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import dev.engram.engine.spi.UnaryOp;

/**
 * The pure-Java reference backend. Multi-threaded through {@link CpuParallel}; every kernel
 * splits work so that each output element is computed by one thread in a fixed order, which
 * makes results bit-identical for a fixed thread count.
 */
public final class CpuBackend implements Backend {
    /** The shared instance. */
    public static final CpuBackend INSTANCE = new CpuBackend();

    private static final int GRAIN = 1 << 14;

    private CpuBackend() {}

    static float[] f(Storage s) {
        return ((CpuStorage) s).floats();
    }

    static int[] i(Storage s) {
        return ((CpuStorage) s).ints();
    }

    private static int n(long count) {
        if (count > Integer.MAX_VALUE) throw new IllegalArgumentException("CPU tensors hold at most 2^31-1 elements, got " + count);
        return (int) count;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    // ---- memory ------------------------------------------------------------------------------

    @Override
    public Storage allocate(DType dtype, long length) {
        return CpuStorage.allocate(dtype, n(length));
    }

    /** Skips clearing a recycled array: the caller writes every element before reading. */
    @Override
    public Storage allocateForOverwrite(DType dtype, long length) {
        return CpuStorage.allocate(dtype, n(length), false);
    }

    @Override
    public Storage fromFloats(float[] data) {
        CpuStorage s = CpuStorage.allocate(DType.FLOAT32, data.length, false);
        System.arraycopy(data, 0, s.floats(), 0, data.length);
        return s;
    }

    @Override
    public Storage fromInts(int[] data) {
        return new CpuStorage(data.clone());
    }

    /** Wraps an array without copying (the caller must not touch it afterwards). */
    public Storage wrap(float[] data) {
        return new CpuStorage(data);
    }

    @Override
    public void readFloats(Storage src, long srcOffset, float[] dst, int dstOffset, int count) {
        System.arraycopy(f(src), n(srcOffset), dst, dstOffset, count);
    }

    @Override
    public void readInts(Storage src, long srcOffset, int[] dst, int dstOffset, int count) {
        System.arraycopy(i(src), n(srcOffset), dst, dstOffset, count);
    }

    @Override
    public void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count) {
        if (src.dtype() == DType.INT32) System.arraycopy(i(src), n(srcOffset), i(dst), n(dstOffset), n(count));
        else System.arraycopy(f(src), n(srcOffset), f(dst), n(dstOffset), n(count));
    }

    @Override
    public void fill(Storage dst, long offset, long count, float value) {
        if (dst.dtype() == DType.INT32) java.util.Arrays.fill(i(dst), n(offset), n(offset + count), (int) value);
        else java.util.Arrays.fill(f(dst), n(offset), n(offset + count), value);
    }

    @Override
    public void intToFloat(Storage src, Storage dst, long count) {
        int[] s = i(src);
        float[] d = f(dst);
        for (int k = 0; k < count; k++) d[k] = s[k];
    }

    // ---- matrix products ---------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Storage a, long aOffset, int lda,
                     Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc) {
        Sgemm.sgemm(transA, transB, m, n, k, alpha, f(a), n(aOffset), lda, f(b), n(bOffset), ldb, beta, f(c),
                n(cOffset), ldc);
    }

    @Override
    public void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, Storage a,
                                   long aOffset, int lda, long strideA, Storage b, long bOffset, int ldb, long strideB,
                                   float beta, Storage c, long cOffset, int ldc, long strideC, int batch) {
        Sgemm.sgemmBatched(transA, transB, m, n, k, alpha, f(a), n(aOffset), lda, strideA, f(b), n(bOffset), ldb,
                strideB, beta, f(c), n(cOffset), ldc, strideC, batch);
    }

    // ---- element-wise ------------------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, float alpha, Storage xs, Storage ys, long count) {
        float[] x = f(xs), y = f(ys);
        CpuParallel.forRange(n(count), GRAIN, (from, to) -> {
            switch (op) {
                case NEG -> { for (int k = from; k < to; k++) y[k] = -x[k]; }
                case EXP -> { for (int k = from; k < to; k++) y[k] = (float) Math.exp(x[k]); }
                case LOG -> { for (int k = from; k < to; k++) y[k] = (float) Math.log(x[k]); }
                case SQRT -> { for (int k = from; k < to; k++) y[k] = (float) Math.sqrt(x[k]); }
                case RSQRT -> { for (int k = from; k < to; k++) y[k] = (float) (1.0 / Math.sqrt(x[k])); }
                case ABS -> { for (int k = from; k < to; k++) y[k] = Math.abs(x[k]); }
                // x <= 0 ? +0 : x: Math.max gives +0 for -0 and returns a NaN operand itself (ReluSemanticsTest checks
                // every bit pattern), and C2 makes it a vector loop, where the raw-bit form stays scalar
                case RELU -> { for (int k = from; k < to; k++) y[k] = Math.max(x[k], 0f); }
                case GELU -> { for (int k = from; k < to; k++) y[k] = (float) (x[k] * Erf.phi(x[k])); }
                case TANH -> { for (int k = from; k < to; k++) y[k] = (float) Math.tanh(x[k]); }
                case SIGMOID -> { for (int k = from; k < to; k++) y[k] = (float) (1.0 / (1.0 + Math.exp(-x[k]))); }
                case SQUARE -> { for (int k = from; k < to; k++) y[k] = x[k] * x[k]; }
                case SCALE -> { for (int k = from; k < to; k++) y[k] = x[k] * alpha; }
                case ADD_SCALAR -> { for (int k = from; k < to; k++) y[k] = x[k] + alpha; }
                case POW -> { for (int k = from; k < to; k++) y[k] = (float) Math.pow(x[k], alpha); }
                case RECIPROCAL -> { for (int k = from; k < to; k++) y[k] = 1f / x[k]; }
            }
        });
    }

    @Override
    public void unaryBackward(UnaryOp op, float alpha, Storage xs, Storage ys, Storage dys, Storage dxs, long count) {
        float[] x = f(xs), y = f(ys), dy = f(dys), dx = f(dxs);
        CpuParallel.forRange(n(count), GRAIN, (from, to) -> {
            switch (op) {
                case NEG -> { for (int k = from; k < to; k++) dx[k] = -dy[k]; }
                case EXP -> { for (int k = from; k < to; k++) dx[k] = dy[k] * y[k]; }
                case LOG -> { for (int k = from; k < to; k++) dx[k] = dy[k] / x[k]; }
                case SQRT -> { for (int k = from; k < to; k++) dx[k] = dy[k] * 0.5f / y[k]; }
                case RSQRT -> { for (int k = from; k < to; k++) dx[k] = -0.5f * dy[k] * y[k] * y[k] * y[k]; }
                case ABS -> { // sign(x) with sign(NaN) = 0, as PyTorch: a NaN input gets no gradient
                    for (int k = from; k < to; k++) dx[k] = dy[k] * (x[k] > 0 ? 1f : x[k] < 0 ? -1f : 0f);
                }
                case RELU -> ReluBackward.get().apply(x, dy, dx, from, to);
                case GELU -> {
                    for (int k = from; k < to; k++) {
                        double v = x[k];
                        dx[k] = (float) (dy[k] * (Erf.phi(v) + v * Math.exp(-0.5 * v * v) * 0.3989422804014327));
                    }
                }
                case TANH -> { for (int k = from; k < to; k++) dx[k] = dy[k] * (1 - y[k] * y[k]); }
                case SIGMOID -> { for (int k = from; k < to; k++) dx[k] = dy[k] * y[k] * (1 - y[k]); }
                case SQUARE -> { for (int k = from; k < to; k++) dx[k] = 2 * dy[k] * x[k]; }
                case SCALE -> { for (int k = from; k < to; k++) dx[k] = dy[k] * alpha; }
                case ADD_SCALAR -> System.arraycopy(dy, from, dx, from, to - from);
                case POW -> { for (int k = from; k < to; k++) dx[k] = (float) (dy[k] * alpha * Math.pow(x[k], alpha - 1)); }
                case RECIPROCAL -> { for (int k = from; k < to; k++) dx[k] = -dy[k] * y[k] * y[k]; }
            }
        });
    }

    private static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case EQ -> a == b ? 1f : 0f;
            case GT -> a > b ? 1f : 0f;
        };
    }

    @Override
    public void binary(BinaryOp op, Storage as, int[] aShape, Storage bs, int[] bShape, Storage outs, int[] outShape) {
        float[] a = f(as), b = f(bs), out = f(outs);
        int total = numel(outShape);
        int rank = outShape.length;
        if (java.util.Arrays.equals(aShape, outShape) && java.util.Arrays.equals(bShape, outShape)) {
            CpuParallel.forRange(total, GRAIN, (from, to) -> {
                switch (op) {
                    case ADD -> { for (int k = from; k < to; k++) out[k] = a[k] + b[k]; }
                    case SUB -> { for (int k = from; k < to; k++) out[k] = a[k] - b[k]; }
                    case MUL -> { for (int k = from; k < to; k++) out[k] = a[k] * b[k]; }
                    default -> { for (int k = from; k < to; k++) out[k] = apply(op, a[k], b[k]); }
                }
            });
            return;
        }
        int[] sa = broadcastStrides(aShape, outShape), sb = broadcastStrides(bShape, outShape);
        // coalesce: drop size-1 dims and merge neighbours that both operands walk contiguously
        int[] dims = new int[Math.max(1, rank)], ca = new int[Math.max(1, rank)], cb = new int[Math.max(1, rank)];
        int m = 0;
        for (int d = 0; d < rank; d++) {
            int size = outShape[d];
            if (size == 1) continue;
            if (m > 0 && ca[m - 1] == sa[d] * size && cb[m - 1] == sb[d] * size) {
                dims[m - 1] *= size;
                ca[m - 1] = sa[d];
                cb[m - 1] = sb[d];
            } else {
                dims[m] = size;
                ca[m] = sa[d];
                cb[m] = sb[d];
                m++;
            }
        }
        if (m == 0) {
            dims[0] = 1;
            m = 1;
        }
        int cr = m;
        int inner = dims[cr - 1];
        int rows = inner == 0 ? 0 : total / inner;
        int ia = ca[cr - 1], ib = cb[cr - 1];
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int row = from; row < to; row++) {
                int offA = 0, offB = 0, rem = row;
                for (int d = cr - 2; d >= 0; d--) {
                    int idx = rem % dims[d];
                    rem /= dims[d];
                    offA += idx * ca[d];
                    offB += idx * cb[d];
                }
                binaryRow(op, a, offA, ia, b, offB, ib, out, row * inner, inner);
            }
        });
    }

    /**
     * {@code out[o + k] = a[offA + k·ia] op b[offB + k·ib]} for {@code k < inner}, with unit/zero-stride fast paths.
     */
    private static void binaryRow(BinaryOp op, float[] a, int offA, int ia, float[] b, int offB, int ib, float[] out,
                                  int o, int inner) {
        if (ia == 1 && ib == 0) {
            float bv = b[offB];
            switch (op) {
                case ADD -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] + bv; }
                case SUB -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] - bv; }
                case MUL -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] * bv; }
                case DIV -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] / bv; }
                default -> { for (int k = 0; k < inner; k++) out[o + k] = apply(op, a[offA + k], bv); }
            }
        } else if (ia == 0 && ib == 1) {
            float av = a[offA];
            switch (op) {
                case ADD -> { for (int k = 0; k < inner; k++) out[o + k] = av + b[offB + k]; }
                case SUB -> { for (int k = 0; k < inner; k++) out[o + k] = av - b[offB + k]; }
                case MUL -> { for (int k = 0; k < inner; k++) out[o + k] = av * b[offB + k]; }
                case DIV -> { for (int k = 0; k < inner; k++) out[o + k] = av / b[offB + k]; }
                default -> { for (int k = 0; k < inner; k++) out[o + k] = apply(op, av, b[offB + k]); }
            }
        } else if (ia == 1 && ib == 1) {
            switch (op) {
                case ADD -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] + b[offB + k]; }
                case SUB -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] - b[offB + k]; }
                case MUL -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] * b[offB + k]; }
                case DIV -> { for (int k = 0; k < inner; k++) out[o + k] = a[offA + k] / b[offB + k]; }
                default -> { for (int k = 0; k < inner; k++) out[o + k] = apply(op, a[offA + k], b[offB + k]); }
            }
        } else {
            for (int k = 0; k < inner; k++) out[o + k] = apply(op, a[offA + k * ia], b[offB + k * ib]);
        }
    }

    static int numel(int[] shape) {
        int p = 1;
        for (int d : shape) p *= d;
        return p;
    }

    /** Strides of {@code shape} right-aligned to {@code out}, 0 where broadcast. */
    static int[] broadcastStrides(int[] shape, int[] out) {
        int[] st = new int[out.length];
        int stride = 1;
        for (int d = out.length - 1, s = shape.length - 1; d >= 0; d--, s--) {
            if (s >= 0 && shape[s] != 1) {
                st[d] = stride;
                stride *= shape[s];
            } else {
                st[d] = 0;
                if (s >= 0) stride *= shape[s];
            }
        }
        return st;
    }

    @Override
    public void where(Storage conds, Storage as, Storage bs, Storage outs, long count) {
        float[] c = f(conds), a = f(as), b = f(bs), o = f(outs);
        CpuParallel.forRange(n(count), GRAIN, (from, to) -> {
            for (int k = from; k < to; k++) o[k] = c[k] != 0 ? a[k] : b[k];
        });
    }

    // ---- reductions and softmax --------------------------------------------------------------

    @Override
    public void reduce(ReduceOp op, Storage xs, Storage outs, int outer, int r, int inner) {
        float[] x = f(xs), out = f(outs);
        switch (op) {
            case SUM, SUM_SQUARES -> {
                boolean sq = op == ReduceOp.SUM_SQUARES;
                if (inner == 1) sumRows(x, out, outer, r, sq);
                else sumColumns(x, out, outer, r, inner, sq);
            }
            case MAX, MIN -> {
                boolean max = op == ReduceOp.MAX;
                CpuParallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, r * inner)), (from, to) -> {
                    for (int o = from; o < to; o++) {
                        int base = o * r * inner;
                        for (int q = 0; q < inner; q++) {
                            float best = x[base + q];
                            for (int j = 1; j < r; j++) {
                                float v = x[base + j * inner + q];
                                best = max ? Math.max(best, v) : Math.min(best, v); // NaN propagates, -0 < +0
                            }
                            out[o * inner + q] = best;
                        }
                    }
                });
            }
        }
    }

    /** {@code out[o] = sum_j x[o·r + j]} (or of squares), four interleaved double accumulators per row. */
    private static void sumRows(float[] x, float[] out, int outer, int r, boolean sq) {
        CpuParallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, r)), (from, to) -> {
            for (int o = from; o < to; o++) {
                int p = o * r;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int j = 0;
                if (sq) {
                    for (; j + 4 <= r; j += 4) {
                        double v0 = x[p + j], v1 = x[p + j + 1], v2 = x[p + j + 2], v3 = x[p + j + 3];
                        s0 += v0 * v0;
                        s1 += v1 * v1;
                        s2 += v2 * v2;
                        s3 += v3 * v3;
                    }
                    for (; j < r; j++) {
                        double v = x[p + j];
                        s0 += v * v;
                    }
                } else {
                    for (; j + 4 <= r; j += 4) {
                        s0 += x[p + j];
                        s1 += x[p + j + 1];
                        s2 += x[p + j + 2];
                        s3 += x[p + j + 3];
                    }
                    for (; j < r; j++) s0 += x[p + j];
                }
                out[o] = (float) ((s0 + s1) + (s2 + s3));
            }
        });
    }

    private static final int SUM_BLOCK = 1024;

    /**
     * {@code out[o, q] = sum_j x[o, j, q]} (or of squares), accumulated in double in order j = 0..r-1;
     * parallel over outer rows and blocks of q.
     */
    private static void sumColumns(float[] x, float[] out, int outer, int r, int inner, boolean sq) {
        int width = Math.min(inner, SUM_BLOCK);
        int blocks = (inner + width - 1) / width;
        CpuParallel.forRange(outer * blocks, Math.max(1, GRAIN / Math.max(1, r * width)), (from, to) -> {
            double[] acc = new double[width];
            for (int t = from; t < to; t++) {
                int o = t / blocks, q0 = (t % blocks) * width, w = Math.min(width, inner - q0);
                java.util.Arrays.fill(acc, 0, w, 0.0);
                int base = o * r * inner + q0;
                for (int j = 0; j < r; j++) {
                    int rb = base + j * inner;
                    if (sq) {
                        for (int q = 0; q < w; q++) {
                            double v = x[rb + q];
                            acc[q] += v * v;
                        }
                    } else {
                        for (int q = 0; q < w; q++) acc[q] += x[rb + q];
                    }
                }
                int ob = o * inner + q0;
                for (int q = 0; q < w; q++) out[ob + q] = (float) acc[q];
            }
        });
    }

    /**
     * Whether {@code v} replaces the current argmax candidate {@code best}: strictly greater in
     * {@link Math#max(float, float)}'s order (NaN above everything, {@code +0.0 > -0.0}); never once
     * {@code best} is NaN, so ties and later NaNs keep the first index.
     */
    static boolean argmaxBeats(float v, float best) {
        if (best != best) return false;
        if (v != v) return true;
        if (v == 0f && best == 0f) return Float.floatToRawIntBits(best) < 0 && Float.floatToRawIntBits(v) >= 0;
        return v > best;
    }

    @Override
    public void argmax(Storage xs, Storage outs, int outer, int r, int inner) {
        float[] x = f(xs);
        int[] out = i(outs);
        for (int o = 0; o < outer; o++) {
            for (int q = 0; q < inner; q++) {
                int base = o * r * inner + q;
                int best = 0;
                float bv = x[base];
                for (int j = 1; j < r; j++) {
                    float v = x[base + j * inner];
                    if (argmaxBeats(v, bv)) {
                        bv = v;
                        best = j;
                    }
                }
                out[o * inner + q] = best;
            }
        }
    }

    @Override
    public void softmax(Storage xs, Storage ys, int outer, int r, int inner, boolean log) {
        float[] x = f(xs), y = f(ys);
        CpuParallel.forRange(outer * inner, Math.max(1, GRAIN / Math.max(1, r)), (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t / inner, q = t % inner;
                int base = o * r * inner + q;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < r; j++) max = Math.max(max, x[base + j * inner]);
                double sum = 0;
                for (int j = 0; j < r; j++) sum += Math.exp(x[base + j * inner] - max);
                if (log) {
                    // (x - max) - log(sum), as PyTorch: x - (max + log(sum)) rounded to float loses the low digits of
                    // log(sum) when |max| is large (at 1e4 a float's spacing is 1e-3)
                    double logSum = Math.log(sum);
                    for (int j = 0; j < r; j++) y[base + j * inner] = (float) ((x[base + j * inner] - max) - logSum);
                } else {
                    for (int j = 0; j < r; j++) y[base + j * inner] = (float) (Math.exp(x[base + j * inner] - max) / sum);
                }
            }
        });
    }

    @Override
    public void softmaxBackward(Storage ys, Storage dys, Storage dxs, int outer, int r, int inner, boolean log) {
        float[] y = f(ys), dy = f(dys), dx = f(dxs);
        CpuParallel.forRange(outer * inner, Math.max(1, GRAIN / Math.max(1, r)), (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t / inner, q = t % inner;
                int base = o * r * inner + q;
                double s = 0;
                if (log) {
                    for (int j = 0; j < r; j++) s += dy[base + j * inner];
                    for (int j = 0; j < r; j++) {
                        int p = base + j * inner;
                        dx[p] = (float) (dy[p] - Math.exp(y[p]) * s);
                    }
                } else {
                    for (int j = 0; j < r; j++) s += (double) dy[base + j * inner] * y[base + j * inner];
                    for (int j = 0; j < r; j++) {
                        int p = base + j * inner;
                        dx[p] = (float) (y[p] * (dy[p] - s));
                    }
                }
            }
        });
    }

    @Override
    public void crossEntropy(Storage logitss, Storage labelss, Storage losss, Storage probss, int batch, int classes) {
        float[] x = f(logitss), loss = f(losss), p = f(probss);
        int[] lab = i(labelss);
        for (int b = 0; b < batch; b++) {
            if (lab[b] < 0 || lab[b] >= classes) {
                throw new IllegalArgumentException("cross_entropy: label " + lab[b] + " of example " + b
                        + " outside [0, " + classes + ")");
            }
        }
        CpuParallel.forRange(batch, 64, (from, to) -> {
            for (int b = from; b < to; b++) {
                int base = b * classes;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < classes; j++) max = Math.max(max, x[base + j]);
                double sum = 0;
                for (int j = 0; j < classes; j++) sum += Math.exp(x[base + j] - max);
                double lse = max + Math.log(sum);
                for (int j = 0; j < classes; j++) p[base + j] = (float) Math.exp(x[base + j] - lse);
                loss[b] = (float) (lse - x[base + lab[b]]);
            }
        });
    }

    @Override
    public void crossEntropyBackward(Storage probss, Storage labelss, Storage dlosss, Storage dxs, int batch, int classes) {
        float[] p = f(probss), dl = f(dlosss), dx = f(dxs);
        int[] lab = i(labelss);
        for (int b = 0; b < batch; b++) {
            int base = b * classes;
            for (int j = 0; j < classes; j++) dx[base + j] = dl[b] * (p[base + j] - (j == lab[b] ? 1f : 0f));
        }
    }

    // ---- convolution and pooling -------------------------------------------------------------

    @Override
    public void im2col(Storage xs, long xOffset, Storage colss, long colsOffset, ConvGeometry g) {
        Im2col.im2col(f(xs), n(xOffset), g, f(colss), n(colsOffset), g.colCols());
    }

    @Override
    public void conv2dForward(Storage xs, Storage ws, Storage ys, ConvGeometry g) {
        ConvKernels.forward(f(xs), f(ws), null, f(ys), g);
    }

    /** The bias is added as each output tile is written back (one pass over y instead of two). */
    @Override
    public void conv2dForward(Storage xs, Storage ws, Storage bias, Storage ys, ConvGeometry g) {
        ConvKernels.forward(f(xs), f(ws), bias == null ? null : f(bias), f(ys), g);
    }

    @Override
    public void conv2dBackwardData(Storage dys, Storage ws, Storage dxs, ConvGeometry g) {
        ConvKernels.backwardData(f(dys), f(ws), f(dxs), g);
    }

    @Override
    public void conv2dBackwardFilter(Storage xs, Storage dys, Storage dws, ConvGeometry g, float beta) {
        ConvKernels.backwardFilter(f(xs), f(dys), f(dws), g, beta);
    }

    @Override
    public boolean conv2dPerExampleFilterGradients(Storage xs, Storage dys, ConvGeometry g, int b0, int n, Storage outs,
                                                   long outOffset, float[] squaredNorms, Storage sums) {
        ConvKernels.perExampleFilterGradients(f(xs), f(dys), g, b0, n, outs == null ? null : f(outs), n(outOffset),
                squaredNorms, sums == null ? null : f(sums));
        return true;
    }

    @Override
    public void maxPool2dForward(Storage xs, Storage ys, Storage idxs, PoolGeometry g) {
        PoolKernels.maxForward(f(xs), f(ys), i(idxs), g);
    }

    @Override
    public void maxPool2dBackward(Storage dys, Storage idxs, Storage dxs, PoolGeometry g) {
        PoolKernels.maxBackward(f(dys), i(idxs), f(dxs), g);
    }

    @Override
    public void avgPool2dForward(Storage xs, Storage ys, PoolGeometry g) {
        PoolKernels.avgForward(f(xs), f(ys), g);
    }

    @Override
    public void avgPool2dBackward(Storage dys, Storage dxs, PoolGeometry g) {
        PoolKernels.avgBackward(f(dys), f(dxs), g);
    }

    // ---- normalization -----------------------------------------------------------------------

    @Override
    public void batchNormTrain(Storage xs, Storage gammas, Storage betas, Storage ys, Storage means, Storage invStds,
                               Storage runMeans, Storage runVars, int n, int c, int hw, float momentum, float eps) {
        float[] x = f(xs), y = f(ys), mean = f(means), inv = f(invStds);
        float[] gamma = gammas == null ? null : f(gammas), beta = betas == null ? null : f(betas);
        float[] rm = runMeans == null ? null : f(runMeans), rv = runVars == null ? null : f(runVars);
        long count = (long) n * hw;
        RowSums sums = RowSums.get();
        CpuParallel.forRange(c, 1, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double s = 0;
                for (int b = 0; b < n; b++) s += sums.sum(x, (b * c + ch) * hw, hw);
                double mu = s / count;
                // deviations from the float mean: Σ(x − m)² = Σ(x − mu)² + count·(mu − m)²
                float m = (float) mu;
                double ss = 0;
                for (int b = 0; b < n; b++) ss += sums.sumSquaredDeviations(x, (b * c + ch) * hw, hw, m);
                ss = Math.max(0, ss - count * (mu - m) * (mu - m));
                double var = ss / count;
                double is = 1.0 / Math.sqrt(var + eps);
                mean[ch] = (float) mu;
                inv[ch] = (float) is;
                float gm = gamma == null ? 1f : gamma[ch], bt = beta == null ? 0f : beta[ch];
                // centred before scaling, so that a mean far from zero does not cancel away the normalized value
                float scale = (float) (gm * is), shift = (float) (bt - (mu - m) * gm * is);
                for (int b = 0; b < n; b++) {
                    int base = (b * c + ch) * hw;
                    for (int q = base; q < base + hw; q++) y[q] = (x[q] - m) * scale + shift;
                }
                if (rm != null) {
                    double unbiased = count > 1 ? ss / (count - 1) : var;
                    rm[ch] = (float) ((1 - momentum) * rm[ch] + momentum * mu);
                    rv[ch] = (float) ((1 - momentum) * rv[ch] + momentum * unbiased);
                }
            }
        });
    }

    @Override
    public void batchNormInfer(Storage xs, Storage gammas, Storage betas, Storage means, Storage vars, Storage ys,
                               int n, int c, int hw, float eps) {
        float[] x = f(xs), y = f(ys), mean = f(means), var = f(vars);
        float[] gamma = gammas == null ? null : f(gammas), beta = betas == null ? null : f(betas);
        CpuParallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, hw)), (from, to) -> {
            for (int bc = from; bc < to; bc++) {
                int ch = bc % c;
                double is = 1.0 / Math.sqrt(var[ch] + eps);
                float gm = gamma == null ? 1f : gamma[ch], bt = beta == null ? 0f : beta[ch];
                float scale = (float) (gm * is), m = mean[ch];
                int base = bc * hw;
                for (int q = base; q < base + hw; q++) y[q] = (x[q] - m) * scale + bt;
            }
        });
    }

    @Override
    public void batchNormBackward(Storage dys, Storage xs, Storage gammas, Storage means, Storage invStds, Storage dxs,
                                  Storage dgammas, Storage dbetas, int n, int c, int hw, boolean useBatchStats) {
        float[] dy = f(dys), x = f(xs), mean = f(means), inv = f(invStds);
        float[] gamma = gammas == null ? null : f(gammas);
        float[] dx = dxs == null ? null : f(dxs), dg = dgammas == null ? null : f(dgammas), db = dbetas == null ? null : f(dbetas);
        long count = (long) n * hw;
        RowSums sums = RowSums.get();
        CpuParallel.forRange(c, 1, (from, to) -> {
            double[] acc = new double[3];
            for (int ch = from; ch < to; ch++) {
                float mu = mean[ch], is = inv[ch];
                java.util.Arrays.fill(acc, 0);
                for (int b = 0; b < n; b++) sums.sumAndCenteredDot(dy, x, (b * c + ch) * hw, hw, mu, acc);
                // the stored mean is rounded to float; with batch statistics, centre on the batch's own mean
                // (shift = its distance from the stored one), so a mean far from zero leaves no bias in x̂
                double shift = useBatchStats && count > 0 ? acc[2] / count : 0;
                double sdy = acc[0], sdyx = (acc[1] - shift * acc[0]) * is;
                if (dg != null) dg[ch] = (float) sdyx;
                if (db != null) db[ch] = (float) sdy;
                if (dx == null) continue;
                float gm = gamma == null ? 1f : gamma[ch];
                if (useBatchStats) {
                    // gm·is·(dy − mean(dy) − x̂·mean(dy·x̂)) with x̂ = (x − mu − shift)·is, in double: the three terms
                    // nearly cancel when the batch holds few values per channel (a float form of this expression made
                    // a ResNet-50 step on 2 examples, with 1×1 maps in its last stage, raise the loss)
                    double mdy = sdy / count, mdyx = sdyx / count;
                    for (int b = 0; b < n; b++) {
                        int base = (b * c + ch) * hw;
                        for (int q = base; q < base + hw; q++) {
                            double xh = ((x[q] - mu) - shift) * is;
                            dx[q] = (float) (gm * is * (dy[q] - mdy - xh * mdyx));
                        }
                    }
                } else {
                    float k = gm * is;
                    for (int b = 0; b < n; b++) {
                        int base = (b * c + ch) * hw;
                        for (int q = 0; q < hw; q++) dx[base + q] = dy[base + q] * k;
                    }
                }
            }
        });
    }

    /** One pass over x and dy per (example, channel) row; the batch's mean from the rows' centred sums. */
    @Override
    public boolean batchNormPerExampleAffineGradients(Storage dys, Storage xs, Storage means, Storage invStds,
                                                      Storage dgammas, Storage dbetas, int n, int c, int hw,
                                                      boolean useBatchStats) {
        float[] dy = f(dys), x = f(xs), mean = f(means), inv = f(invStds);
        float[] dg = dgammas == null ? null : f(dgammas), db = dbetas == null ? null : f(dbetas);
        int rows = n * c;
        double[] sums = new double[3 * rows]; // per row: Σ dy, Σ dy·(x − mean), Σ (x − mean)
        RowSums rowSums = RowSums.get();
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, hw)), (from, to) -> {
            double[] acc = new double[3];
            for (int q = from; q < to; q++) {
                java.util.Arrays.fill(acc, 0);
                rowSums.sumAndCenteredDot(dy, x, q * hw, hw, mean[q % c], acc);
                System.arraycopy(acc, 0, sums, 3 * q, 3);
            }
        });
        long count = (long) n * hw;
        for (int ch = 0; ch < c; ch++) {
            double shift = 0; // distance of the batch's own mean from the stored one, as in batchNormBackward
            if (useBatchStats && count > 0) {
                for (int b = 0; b < n; b++) shift += sums[3 * (b * c + ch) + 2];
                shift /= count;
            }
            for (int b = 0; b < n; b++) {
                int q = b * c + ch;
                if (db != null) db[q] = (float) sums[3 * q];
                if (dg != null) dg[q] = (float) ((sums[3 * q + 1] - shift * sums[3 * q]) * inv[ch]);
            }
        }
        return true;
    }

    @Override
    public void layerNormForward(Storage xs, Storage gammas, Storage betas, Storage ys, Storage means, Storage invStds,
                                 int rows, int cols, float eps) {
        float[] x = f(xs), y = f(ys), mean = f(means), inv = f(invStds);
        float[] gamma = gammas == null ? null : f(gammas), beta = betas == null ? null : f(betas);
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                double s = 0;
                for (int q = 0; q < cols; q++) s += x[base + q];
                double mu = s / cols, ss = 0;
                for (int q = 0; q < cols; q++) {
                    double d = x[base + q] - mu;
                    ss += d * d;
                }
                double is = 1.0 / Math.sqrt(ss / cols + eps);
                mean[r] = (float) mu;
                inv[r] = (float) is;
                for (int q = 0; q < cols; q++) {
                    float v = (float) ((x[base + q] - mu) * is);
                    y[base + q] = v * (gamma == null ? 1f : gamma[q]) + (beta == null ? 0f : beta[q]);
                }
            }
        });
    }

    @Override
    public void layerNormBackward(Storage dys, Storage xs, Storage gammas, Storage means, Storage invStds, Storage dxs,
                                  Storage dgammas, Storage dbetas, int rows, int cols) {
        float[] dy = f(dys), x = f(xs), mean = f(means), inv = f(invStds);
        float[] gamma = gammas == null ? null : f(gammas);
        float[] dx = dxs == null ? null : f(dxs), dg = dgammas == null ? null : f(dgammas), db = dbetas == null ? null : f(dbetas);
        if (dx != null) {
            CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * cols;
                    float mu = mean[r], is = inv[r];
                    double sg = 0, sgx = 0;
                    for (int q = 0; q < cols; q++) {
                        double g = dy[base + q] * (gamma == null ? 1f : gamma[q]);
                        sg += g;
                        sgx += g * (x[base + q] - mu) * is;
                    }
                    sg /= cols;
                    sgx /= cols;
                    for (int q = 0; q < cols; q++) {
                        double g = dy[base + q] * (gamma == null ? 1f : gamma[q]);
                        double xh = (x[base + q] - mu) * is;
                        dx[base + q] = (float) (is * (g - sg - xh * sgx));
                    }
                }
            });
        }
        if (dg != null || db != null) {
            CpuParallel.forRange(cols, 64, (from, to) -> {
                for (int q = from; q < to; q++) {
                    double sg = 0, sb = 0;
                    for (int r = 0; r < rows; r++) {
                        int p = r * cols + q;
                        sb += dy[p];
                        sg += dy[p] * (x[p] - mean[r]) * inv[r];
                    }
                    if (dg != null) dg[q] = (float) sg;
                    if (db != null) db[q] = (float) sb;
                }
            });
        }
    }

    // ---- masks, indexing ---------------------------------------------------------------------

    @Override
    public void channelMask(Storage xs, Storage masks, Storage ys, int n, int c, int inner, boolean perExample) {
        float[] x = f(xs), m = f(masks), y = f(ys);
        if (inner == 1) { // [n, c]: one row-major element-wise pass
            CpuParallel.forRange(n, Math.max(1, GRAIN / Math.max(1, c)), (from, to) -> {
                for (int b = from; b < to; b++) {
                    int base = b * c, mb = perExample ? base : 0;
                    for (int ch = 0; ch < c; ch++) y[base + ch] = x[base + ch] * m[mb + ch];
                }
            });
            return;
        }
        CpuParallel.forRange(n * c, Math.max(1, GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int bc = from; bc < to; bc++) {
                float v = m[perExample ? bc : bc % c];
                int base = bc * inner;
                for (int q = 0; q < inner; q++) y[base + q] = x[base + q] * v;
            }
        });
    }

    @Override
    public void channelMaskGradMask(Storage xs, Storage dys, Storage dms, int n, int c, int inner, boolean perExample) {
        float[] x = f(xs), dy = f(dys), dm = f(dms);
        if (inner == 1 && perExample) { // each entry is one product: (float) of its exact double value
            CpuParallel.forRange(n * c, GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) dm[i] = x[i] * dy[i];
            });
            return;
        }
        if (inner == 1) { // [n, c] shared mask: sum over rows, walking rows contiguously, rows in order per channel
            CpuParallel.forRange(c, Math.max(1, GRAIN / Math.max(1, n)), (from, to) -> {
                double[] total = new double[to - from];
                for (int b = 0; b < n; b++) {
                    int base = b * c;
                    for (int ch = from; ch < to; ch++) total[ch - from] += (double) x[base + ch] * dy[base + ch];
                }
                for (int ch = from; ch < to; ch++) dm[ch] = (float) total[ch - from];
            });
            return;
        }
        CpuParallel.forRange(c, 1, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double total = 0;
                for (int b = 0; b < n; b++) {
                    int base = (b * c + ch) * inner;
                    double s = 0;
                    for (int q = 0; q < inner; q++) s += (double) x[base + q] * dy[base + q];
                    if (perExample) dm[b * c + ch] = (float) s;
                    else total += s;
                }
                if (!perExample) dm[ch] = (float) total;
            }
        });
    }

    @Override
    public void indexSelect(Storage srcs, int srcRows, int cols, Storage indexs, Storage outs, int count) {
        float[] src = f(srcs), out = f(outs);
        int[] idx = i(indexs);
        for (int r = 0; r < count; r++) {
            int k = idx[r];
            if (k < 0 || k >= srcRows) {
                throw new IndexOutOfBoundsException("index_select: index " + k + " at position " + r + " outside [0, " + srcRows + ")");
            }
            System.arraycopy(src, k * cols, out, r * cols, cols);
        }
    }

    @Override
    public void indexAdd(Storage srcs, int cols, Storage indexs, Storage dsts, int dstRows, int count) {
        float[] src = f(srcs), dst = f(dsts);
        int[] idx = i(indexs);
        for (int r = 0; r < count; r++) {
            int k = idx[r];
            if (k < 0 || k >= dstRows) {
                throw new IndexOutOfBoundsException("index_add: index " + k + " at position " + r + " outside [0, " + dstRows + ")");
            }
            for (int q = 0; q < cols; q++) dst[k * cols + q] += src[r * cols + q];
        }
    }

    @Override
    public void copyBlocks(Storage srcs, long srcOffset, long srcStride, Storage dsts, long dstOffset, long dstStride,
                           int outer, int inner) {
        if (srcs.dtype() == DType.INT32) {
            int[] s = i(srcs), d = i(dsts);
            for (int o = 0; o < outer; o++) System.arraycopy(s, n(srcOffset + o * srcStride), d, n(dstOffset + o * dstStride), inner);
            return;
        }
        float[] s = f(srcs), d = f(dsts);
        CpuParallel.forRange(outer, Math.max(1, GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int o = from; o < to; o++) System.arraycopy(s, n(srcOffset + o * srcStride), d, n(dstOffset + o * dstStride), inner);
        });
    }

    @Override
    public void permute(Storage xs, int[] shape, int[] perm, Storage outs) {
        float[] x = f(xs), out = f(outs);
        int rank = shape.length;
        int[] inStrides = new int[rank];
        int s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            inStrides[d] = s;
            s *= shape[d];
        }
        int[] outShape = new int[rank], srcStride = new int[rank];
        for (int d = 0; d < rank; d++) {
            outShape[d] = shape[perm[d]];
            srcStride[d] = inStrides[perm[d]];
        }
        int total = s;
        int inner = rank == 0 ? 1 : outShape[rank - 1];
        int innerStride = rank == 0 ? 0 : srcStride[rank - 1];
        int rows = inner == 0 ? 0 : total / inner;
        CpuParallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, inner)), (from, to) -> {
            for (int row = from; row < to; row++) {
                int off = 0, rem = row;
                for (int d = rank - 2; d >= 0; d--) {
                    off += (rem % outShape[d]) * srcStride[d];
                    rem /= outShape[d];
                }
                int o = row * inner;
                for (int q = 0; q < inner; q++) out[o + q] = x[off + q * innerStride];
            }
        });
    }

    // ---- optimizers --------------------------------------------------------------------------

    @Override
    public void sgdUpdate(Storage params, Storage grads, Storage bufs, long count, float lr, float momentum,
                          float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        float[] p = f(params), g = f(grads), buf = bufs == null ? null : f(bufs);
        CpuParallel.forRange(n(count), GRAIN, (from, to) -> {
            for (int k = from; k < to; k++) {
                float d = g[k] + weightDecay * p[k];
                if (momentum != 0) {
                    buf[k] = firstStep ? d : momentum * buf[k] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[k] : buf[k];
                }
                p[k] -= lr * d;
            }
        });
    }

    @Override
    public void adamwUpdate(Storage params, Storage grads, Storage ms, Storage vs, long count, float lr, float beta1,
                            float beta2, float eps, float weightDecay, long step) {
        float[] p = f(params), g = f(grads), m = f(ms), v = f(vs);
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        CpuParallel.forRange(n(count), GRAIN, (from, to) -> {
            for (int k = from; k < to; k++) {
                p[k] -= lr * weightDecay * p[k];
                m[k] = beta1 * m[k] + (1 - beta1) * g[k];
                v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k];
                p[k] -= stepSize * m[k] / ((float) Math.sqrt(v[k]) / bc2Sqrt + eps);
            }
        });
    }

    // ---- random ------------------------------------------------------------------------------

    @Override
    public void randomFill(Storage dsts, long count, Distribution dist, float a, float b, long seed, long counterOffset) {
        float[] d = f(dsts);
        int total = n(count);
        // chunks start on multiples of 4 so each Philox block is drawn by one thread
        int blocks = (total + 3) / 4;
        CpuParallel.forRange(blocks, 1024, (from, to) -> {
            long first = from * 4L;
            long cnt = Math.min(total, to * 4L) - first;
            Philox.fill(d, (int) first, cnt, dist, a, b, seed, counterOffset, first);
        });
    }
}
