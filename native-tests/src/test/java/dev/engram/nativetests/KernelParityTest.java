package dev.engram.nativetests;

import dev.engram.engine.DType;
import dev.engram.engine.Philox;
import dev.engram.engine.cpu.CpuBackend;
import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ConvGeometry;
import dev.engram.engine.spi.Distribution;
import dev.engram.engine.spi.PoolGeometry;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import dev.engram.engine.spi.UnaryOp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static dev.engram.nativetests.Gpu.assertClose;
import static dev.engram.nativetests.Gpu.assertExact;
import static dev.engram.nativetests.Gpu.assertUlps;
import static dev.engram.nativetests.Gpu.between;
import static dev.engram.nativetests.Gpu.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every kernel of the CUDA backend against the CPU reference on seeded random shapes and
 * values. Tolerances: exact where the kernel evaluates the CPU's expression in the CPU's order
 * (element-wise arithmetic, pooling, index ops, copies, optimizers, sequential reductions,
 * uniform/Bernoulli fills); a few ulp where CUDA's double-precision math library differs from
 * Java's in the last place (exp, log, tanh, pow, erf-based GELU, Box-Muller); rounding-level
 * absolute/relative bounds where summation order differs (GEMM, cuDNN convolution, tree
 * reductions in batch-norm and layer-norm).
 */
class KernelParityTest {
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 8).map(k -> 0x6A110000L + k * 7919);
    }

    private Backend gpu;
    private final Backend cpu = CpuBackend.INSTANCE;
    private Backend[] both;

    @BeforeEach
    void setUp() {
        gpu = Gpu.backend();
        Gpu.configure(gpu, false, true);
        both = new Backend[] {cpu, gpu};
    }

    private Storage[] floats(float[] v) {
        return new Storage[] {cpu.fromFloats(v), gpu.fromFloats(v)};
    }

    private Storage[] ints(int[] v) {
        return new Storage[] {cpu.fromInts(v), gpu.fromInts(v)};
    }

    private Storage[] zeros(long n) {
        Storage[] s = {cpu.allocate(DType.FLOAT32, n), gpu.allocate(DType.FLOAT32, n)};
        gpu.fill(s[1], 0, n, 0f);
        return s;
    }

    private Storage[] intZeros(long n) {
        Storage[] s = {cpu.allocate(DType.INT32, n), gpu.allocate(DType.INT32, n)};
        gpu.fill(s[1], 0, n, 0f);
        return s;
    }

    private float[][] read(Storage[] s) {
        float[][] out = new float[2][];
        for (int k = 0; k < 2; k++) {
            out[k] = new float[(int) s[k].length()];
            both[k].readFloats(s[k], 0, out[k], 0, out[k].length);
        }
        return out;
    }

    private int[][] readInts(Storage[] s) {
        int[][] out = new int[2][];
        for (int k = 0; k < 2; k++) {
            out[k] = new int[(int) s[k].length()];
            both[k].readInts(s[k], 0, out[k], 0, out[k].length);
        }
        return out;
    }

    private void exact(String what, Storage[] s) {
        float[][] r = read(s);
        assertExact(what, r[0], r[1]);
    }

    private void ulps(String what, Storage[] s, int ulps) {
        float[][] r = read(s);
        assertUlps(what, r[0], r[1], ulps);
    }

    private void close(String what, Storage[] s, double atol, double rtol) {
        float[][] r = read(s);
        assertClose(what, r[0], r[1], atol, rtol);
    }

    private interface Op {
        void run(Backend b, int k);
    }

    private void onBoth(Op op) {
        for (int k = 0; k < 2; k++) op.run(both[k], k);
    }

    // ---- memory --------------------------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void memoryOps(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = between(r, 1, 5000);
        Storage[] x = floats(values(r, n, -3, 3)), y = zeros(n + 10);
        onBoth((b, k) -> b.copy(x[k], 1, y[k], 7, n - 1));
        onBoth((b, k) -> b.fill(y[k], 0, 3, 2.5f));
        exact("copy+fill", y);
        int[] iv = r.ints(n, -1000, 1000).toArray();
        Storage[] xi = ints(iv), yf = zeros(n);
        onBoth((b, k) -> b.intToFloat(xi[k], yf[k], n));
        exact("intToFloat", yf);
        int[][] back = readInts(xi);
        assertExact("readInts", iv, back[1]);
        assertThatThrownBy(() -> gpu.readFloats(x[1], n - 1, new float[4], 0, 4)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    // ---- GEMM ----------------------------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void gemmAndBatchedGemm(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            int m = between(r, 1, 70), n = between(r, 1, 70), kk = between(r, 1, 90);
            int lda = (ta ? m : kk) + r.nextInt(3), ldb = (tb ? kk : n) + r.nextInt(3), ldc = n + r.nextInt(3);
            int batch = between(r, 1, 4);
            long sa = (long) (ta ? kk : m) * lda + r.nextInt(5), sb = (long) (tb ? n : kk) * ldb, sc = (long) m * ldc + 3;
            Storage[] a = floats(values(r, (int) (sa * batch) + 2, -1, 1));
            Storage[] bb = floats(values(r, (int) (sb * batch) + 1, -1, 1));
            Storage[] c = floats(values(r, (int) (sc * batch) + 4, -1, 1));
            float beta = r.nextBoolean() ? 0f : 0.5f;
            onBoth((b, k) -> b.gemm(ta, tb, m, n, kk, 1.5f, a[k], 2, lda, bb[k], 1, ldb, beta, c[k], 4, ldc));
            close("gemm ta=" + ta + " tb=" + tb, c, 2e-5 * kk, 1e-5);
            onBoth((b, k) -> b.gemmStridedBatched(ta, tb, m, n, kk, 1f, a[k], 0, lda, sa, bb[k], 0, ldb, sb, beta, c[k], 0, ldc,
                    sc, batch));
            close("gemmStridedBatched ta=" + ta + " tb=" + tb, c, 2e-5 * kk, 1e-5);
        }
    }

    @Test
    void tf32ModeStaysWithinTf32Accuracy() {
        SplittableRandom r = new SplittableRandom(7);
        int m = 64, n = 64, kk = 256;
        Storage[] a = floats(values(r, m * kk, -1, 1)), bb = floats(values(r, kk * n, -1, 1)), c = zeros(m * n);
        Gpu.configure(gpu, true, true);
        try {
            onBoth((b, k) -> b.gemm(false, false, m, n, kk, 1f, a[k], 0, kk, bb[k], 0, n, 0f, c[k], 0, n));
        } finally {
            Gpu.configure(gpu, false, true);
        }
        close("tf32 gemm", c, 2e-2, 1e-2);
    }

    // ---- element-wise --------------------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void unaryForwardAndBackward(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = between(r, 1, 20000);
        Storage[] any = floats(values(r, n, -4, 4)), pos = floats(values(r, n, 0.05, 5)), dy = floats(values(r, n, -1, 1));
        for (UnaryOp op : UnaryOp.values()) {
            boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW
                    || op == UnaryOp.RECIPROCAL;
            Storage[] x = positive ? pos : any, y = zeros(n), dx = zeros(n);
            float alpha = op == UnaryOp.POW ? 1.7f : -0.75f;
            onBoth((b, k) -> b.unary(op, alpha, x[k], y[k], n));
            ulps("unary " + op, y, 2);
            // backward reads the CPU's forward output on both sides so only the backward differs
            float[] yCpu = read(y)[0];
            Storage[] yy = floats(yCpu);
            onBoth((b, k) -> b.unaryBackward(op, alpha, x[k], yy[k], dy[k], dx[k], n));
            ulps("unary backward " + op, dx, 2);
        }
    }

    @Test
    void unaryOpsAgreeOnNonFiniteInputs() {
        float[] special = {Float.NaN, Float.intBitsToFloat(0xffc00000), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f};
        int n = special.length;
        Storage[] x = floats(special), dy = floats(values(new SplittableRandom(5), n, -1, 1));
        for (UnaryOp op : UnaryOp.values()) {
            Storage[] y = zeros(n), dx = zeros(n);
            onBoth((b, k) -> b.unary(op, 1.5f, x[k], y[k], n));
            float[][] ys = read(y);
            assertUlps("unary " + op + " on non-finite inputs", ys[0], ys[1], 2, true);
            Storage[] yy = floats(ys[0]);
            onBoth((b, k) -> b.unaryBackward(op, 1.5f, x[k], yy[k], dy[k], dx[k], n));
            float[][] dxs = read(dx);
            assertUlps("unary backward " + op + " on non-finite inputs", dxs[0], dxs[1], 2, true);
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void binaryWithBroadcastingAndWhere(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rank = between(r, 1, 5);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) out[d] = between(r, 1, 6);
        int[] as = out.clone(), bs = out.clone();
        for (int d = 0; d < rank; d++) {
            if (r.nextInt(3) == 0) as[d] = 1;
            if (r.nextInt(3) == 0) bs[d] = 1;
        }
        if (rank > 1 && r.nextBoolean()) bs = Arrays.copyOfRange(bs, 1, rank);
        int[] aShape = as, bShape = bs;
        int total = numel(out);
        Storage[] a = floats(Gpu.distinct(r, numel(aShape), 0.25)), b = floats(values(r, numel(bShape), 0.5, 2));
        for (BinaryOp op : BinaryOp.values()) {
            Storage[] o = zeros(total);
            onBoth((be, k) -> be.binary(op, a[k], aShape, b[k], bShape, o[k], out));
            exact("binary " + op + " " + Arrays.toString(aShape) + " x " + Arrays.toString(bShape), o);
            Storage[] same = zeros(numel(aShape));
            onBoth((be, k) -> be.binary(op, a[k], aShape, a[k], aShape, same[k], aShape));
            exact("binary " + op + " same shape", same);
        }
        Storage[] cond = floats(values(r, total, -1, 1)), x = floats(values(r, total, -1, 1)), y = floats(values(r, total, -1, 1));
        Storage[] o = zeros(total);
        onBoth((be, k) -> be.where(cond[k], x[k], y[k], o[k], total));
        exact("where", o);
    }

    // ---- reductions and softmax ----------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void reductionsArgmaxSoftmax(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int outer = between(r, 1, 6), red = between(r, 1, 40), inner = between(r, 1, 7);
        int n = outer * red * inner;
        Storage[] x = floats(Gpu.distinct(r, n, 0.01));
        for (ReduceOp op : ReduceOp.values()) {
            Storage[] o = zeros((long) outer * inner);
            onBoth((b, k) -> b.reduce(op, x[k], o[k], outer, red, inner));
            exact("reduce " + op + " (sequential path)", o);
        }
        // a long row takes the block-per-output tree path
        int longR = 5000 + r.nextInt(5000);
        Storage[] lx = floats(values(r, 2 * longR, -1, 1));
        for (ReduceOp op : ReduceOp.values()) {
            Storage[] o = zeros(2);
            onBoth((b, k) -> b.reduce(op, lx[k], o[k], 2, longR, 1));
            if (op == ReduceOp.MAX || op == ReduceOp.MIN) exact("reduce " + op + " (tree path)", o);
            else close("reduce " + op + " (tree path)", o, 1e-4, 1e-6);
        }
        Storage[] am = intZeros((long) outer * inner);
        onBoth((b, k) -> b.argmax(x[k], am[k], outer, red, inner));
        int[][] ai = readInts(am);
        assertExact("argmax", ai[0], ai[1]);
        for (boolean log : new boolean[] {false, true}) {
            Storage[] y = zeros(n), dy = floats(values(r, n, -1, 1)), dx = zeros(n);
            onBoth((b, k) -> b.softmax(x[k], y[k], outer, red, inner, log));
            ulps((log ? "log_" : "") + "softmax", y, 4);
            Storage[] yy = floats(read(y)[0]);
            onBoth((b, k) -> b.softmaxBackward(yy[k], dy[k], dx[k], outer, red, inner, log));
            close((log ? "log_" : "") + "softmax backward", dx, 1e-6, 1e-5);
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void crossEntropyForwardBackward(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int batch = between(r, 1, 64), classes = between(r, 2, 100);
        Storage[] logits = floats(values(r, batch * classes, -5, 5));
        Storage[] labels = ints(r.ints(batch, 0, classes).toArray());
        Storage[] loss = zeros(batch), probs = zeros((long) batch * classes), dl = floats(values(r, batch, 0, 1));
        Storage[] dx = zeros((long) batch * classes);
        onBoth((b, k) -> b.crossEntropy(logits[k], labels[k], loss[k], probs[k], batch, classes));
        ulps("cross_entropy loss", loss, 4);
        ulps("cross_entropy probs", probs, 4);
        onBoth((b, k) -> b.crossEntropyBackward(probs[k], labels[k], dl[k], dx[k], batch, classes));
        close("cross_entropy backward", dx, 1e-6, 1e-5);
        Storage bad = gpu.fromInts(new int[] {classes});
        assertThatThrownBy(() -> gpu.crossEntropy(logits[1], bad, loss[1], probs[1], 1, classes))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label " + classes);
    }

    // ---- convolution and pooling ---------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void convolutionAllDirectionsAndIm2col(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rr = between(r, 1, 3) * 2 - 1, ss = r.nextBoolean() ? rr : between(r, 1, 3);
        int stride = between(r, 1, 2), pad = r.nextInt(rr / 2 + 2), dil = r.nextInt(4) == 0 ? 2 : 1;
        int h = between(r, 1 + dil * (rr - 1), 14), w = between(r, 1 + dil * (ss - 1), 14);
        ConvGeometry g = new ConvGeometry(between(r, 1, 5), between(r, 1, 9), h, w, between(r, 1, 12), rr, ss, stride,
                stride, pad, pad, dil, dil);
        long xs = (long) g.n() * g.c() * g.h() * g.w(), ws = (long) g.k() * g.c() * g.r() * g.s();
        long ys = (long) g.n() * g.k() * g.outH() * g.outW();
        float[] xv = values(r, (int) xs, -1, 1), wv = values(r, (int) ws, -1, 1), dyv = values(r, (int) ys, -1, 1);
        float[] dwv = values(r, (int) ws, -1, 1);
        Storage[] x = floats(xv), wt = floats(wv), dy = floats(dyv);
        double tol = 3e-6 * g.colRows() + 1e-5;
        // cuDNN's algorithms from its heuristics (deterministic) and from timing them (not): both fp32 (FMA) math
        for (boolean deterministic : new boolean[] {true, false}) {
            Gpu.configure(gpu, false, deterministic);
            String mode = " (" + (deterministic ? "deterministic" : "timed algorithms") + ")";
            Storage[] y = zeros(ys), dx = zeros(xs), dw = floats(dwv);
            onBoth((b, k) -> b.conv2dForward(x[k], wt[k], y[k], g));
            close("conv2d forward " + g + mode, y, tol, 1e-5);
            onBoth((b, k) -> b.conv2dBackwardData(dy[k], wt[k], dx[k], g));
            close("conv2d backward data " + g + mode, dx, tol, 1e-5);
            onBoth((b, k) -> b.conv2dBackwardFilter(x[k], dy[k], dw[k], g, 0.5f));
            close("conv2d backward filter (beta 0.5) " + g + mode, dw, 3e-6 * g.n() * g.colCols() + 1e-5, 1e-5);
        }
        Gpu.configure(gpu, false, true);
        long cols = (long) g.colRows() * g.colCols();
        Storage[] c = zeros(cols + 3);
        int example = g.n() - 1;
        onBoth((b, k) -> b.im2col(x[k], (long) example * g.c() * g.h() * g.w(), c[k], 3, g));
        exact("im2col " + g, c);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void maxAndAvgPooling(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int kh = between(r, 1, 4), kw = between(r, 1, 4);
        int ph = r.nextInt(kh / 2 + 1), pw = r.nextInt(kw / 2 + 1);
        PoolGeometry g = new PoolGeometry(between(r, 1, 4), between(r, 1, 5), between(r, kh, 13), between(r, kw, 13), kh, kw,
                between(r, 1, 3), between(r, 1, 3), ph, pw);
        long in = (long) g.n() * g.c() * g.h() * g.w(), out = (long) g.n() * g.c() * g.outH() * g.outW();
        // ties on purpose: values from a small set exercise the first-maximum index rule
        float[] xv = new float[(int) in];
        for (int i = 0; i < xv.length; i++) xv[i] = r.nextInt(5) - 2;
        Storage[] x = floats(xv), y = zeros(out), idx = intZeros(out), dy = floats(values(r, (int) out, -1, 1));
        Storage[] dx = zeros(in);
        onBoth((b, k) -> b.maxPool2dForward(x[k], y[k], idx[k], g));
        exact("max_pool2d " + g, y);
        int[][] ii = readInts(idx);
        assertExact("max_pool2d index " + g, ii[0], ii[1]);
        onBoth((b, k) -> b.maxPool2dBackward(dy[k], idx[k], dx[k], g));
        exact("max_pool2d backward " + g, dx);
        onBoth((b, k) -> b.avgPool2dForward(x[k], y[k], g));
        exact("avg_pool2d " + g, y);
        onBoth((b, k) -> b.avgPool2dBackward(dy[k], dx[k], g));
        exact("avg_pool2d backward " + g, dx);
    }

    // ---- normalization -------------------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void batchNormTrainInferBackward(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = between(r, 1, 8), c = between(r, 1, 6), hw = between(r, 1, 50);
        long total = (long) n * c * hw;
        boolean affine = r.nextBoolean();
        Storage[] x = floats(values(r, (int) total, -2, 3)), y = zeros(total);
        Storage[] gamma = affine ? floats(values(r, c, 0.5, 1.5)) : new Storage[2];
        Storage[] beta = affine ? floats(values(r, c, -0.5, 0.5)) : new Storage[2];
        Storage[] mean = zeros(c), inv = zeros(c), rm = floats(values(r, c, -0.1, 0.1)), rv = floats(values(r, c, 0.9, 1.1));
        onBoth((b, k) -> b.batchNormTrain(x[k], gamma[k], beta[k], y[k], mean[k], inv[k], rm[k], rv[k], n, c, hw, 0.1f, 1e-5f));
        close("batch_norm train y", y, 1e-5, 1e-5);
        close("batch_norm saved mean", mean, 1e-6, 1e-6);
        close("batch_norm saved inv std", inv, 1e-6, 1e-5);
        close("batch_norm running mean", rm, 1e-6, 1e-6);
        close("batch_norm running var (unbiased)", rv, 1e-6, 1e-5);
        onBoth((b, k) -> b.batchNormInfer(x[k], gamma[k], beta[k], rm[k], rv[k], y[k], n, c, hw, 1e-5f));
        close("batch_norm infer", y, 1e-5, 1e-5); // inputs rm/rv differ only by the rounding above
        Storage[] meanC = floats(read(mean)[0]), invC = floats(read(inv)[0]);
        for (boolean batchStats : new boolean[] {true, false}) {
            Storage[] dy = floats(values(r, (int) total, -1, 1)), dx = zeros(total), dg = zeros(c), db = zeros(c);
            onBoth((b, k) -> b.batchNormBackward(dy[k], x[k], gamma[k], meanC[k], invC[k], dx[k], dg[k], db[k], n, c, hw,
                    batchStats));
            close("batch_norm backward dx (batch stats " + batchStats + ")", dx, 1e-5, 1e-4);
            close("batch_norm backward dgamma", dg, 1e-4, 1e-5);
            close("batch_norm backward dbeta", db, 1e-4, 1e-5);
        }
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void layerNormForwardBackward(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = between(r, 1, 40), cols = between(r, 1, 600);
        long total = (long) rows * cols;
        Storage[] x = floats(values(r, (int) total, -2, 2)), y = zeros(total), gamma = floats(values(r, cols, 0.5, 1.5));
        Storage[] beta = floats(values(r, cols, -1, 1)), mean = zeros(rows), inv = zeros(rows);
        onBoth((b, k) -> b.layerNormForward(x[k], gamma[k], beta[k], y[k], mean[k], inv[k], rows, cols, 1e-5f));
        close("layer_norm y", y, 1e-5, 1e-5);
        close("layer_norm mean", mean, 1e-6, 1e-6);
        close("layer_norm inv std", inv, 1e-6, 1e-5);
        Storage[] meanC = floats(read(mean)[0]), invC = floats(read(inv)[0]);
        Storage[] dy = floats(values(r, (int) total, -1, 1)), dx = zeros(total), dg = zeros(cols), db = zeros(cols);
        onBoth((b, k) -> b.layerNormBackward(dy[k], x[k], gamma[k], meanC[k], invC[k], dx[k], dg[k], db[k], rows, cols));
        close("layer_norm backward dx", dx, 1e-5, 1e-4);
        exact("layer_norm backward dgamma (same order)", dg);
        exact("layer_norm backward dbeta (same order)", db);
    }

    // ---- masks, indexing, layout ---------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void masksIndexingCopiesPermute(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = between(r, 1, 6), c = between(r, 1, 7), inner = between(r, 1, 300);
        long total = (long) n * c * inner;
        Storage[] x = floats(values(r, (int) total, -1, 1)), dy = floats(values(r, (int) total, -1, 1));
        for (boolean perExample : new boolean[] {false, true}) {
            int mlen = perExample ? n * c : c;
            Storage[] m = floats(values(r, mlen, 0, 1)), y = zeros(total), dm = zeros(mlen);
            onBoth((b, k) -> b.channelMask(x[k], m[k], y[k], n, c, inner, perExample));
            exact("mask (per example " + perExample + ")", y);
            onBoth((b, k) -> b.channelMaskGradMask(x[k], dy[k], dm[k], n, c, inner, perExample));
            close("mask grad (per example " + perExample + ")", dm, 1e-6 * inner * n, 1e-6);
        }
        int rows = between(r, 1, 30), cols = between(r, 1, 40), count = between(r, 1, 60);
        Storage[] src = floats(values(r, rows * cols, -1, 1)), idx = ints(r.ints(count, 0, rows).toArray());
        Storage[] sel = zeros((long) count * cols);
        onBoth((b, k) -> b.indexSelect(src[k], rows, cols, idx[k], sel[k], count));
        exact("index_select", sel);
        Storage[] acc = floats(values(r, rows * cols, -1, 1)), add = floats(values(r, count * cols, -1, 1));
        onBoth((b, k) -> b.indexAdd(add[k], cols, idx[k], acc[k], rows, count));
        exact("index_add (repeated indices, CPU order)", acc);
        Storage badIdx = gpu.fromInts(new int[] {rows});
        assertThatThrownBy(() -> gpu.indexSelect(src[1], rows, cols, badIdx, sel[1], 1))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("index " + rows);

        int outer = between(r, 1, 9), blk = between(r, 1, 20);
        Storage[] bsrc = floats(values(r, outer * (blk + 5) + 3, -1, 1)), bdst = zeros((long) outer * (blk + 2) + 1);
        onBoth((b, k) -> b.copyBlocks(bsrc[k], 3, blk + 5, bdst[k], 1, blk + 2, outer, blk));
        exact("copyBlocks", bdst);

        int rank = between(r, 1, 6);
        int[] shape = new int[rank], perm = new int[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = between(r, 1, 5);
            perm[d] = d;
        }
        for (int d = rank - 1; d > 0; d--) {
            int j = r.nextInt(d + 1), t = perm[d];
            perm[d] = perm[j];
            perm[j] = t;
        }
        Storage[] px = floats(values(r, numel(shape), -1, 1)), po = zeros(numel(shape));
        onBoth((b, k) -> b.permute(px[k], shape, perm, po[k]));
        exact("permute " + Arrays.toString(shape) + " by " + Arrays.toString(perm), po);
    }

    // ---- optimizers ----------------------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void sgdAndAdamw(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = between(r, 1, 10000);
        Storage[] p = floats(values(r, n, -1, 1)), g = floats(values(r, n, -1, 1)), buf = zeros(n);
        boolean nesterov = r.nextBoolean();
        for (int step = 1; step <= 3; step++) {
            boolean first = step == 1;
            onBoth((b, k) -> b.sgdUpdate(p[k], g[k], buf[k], n, 0.1f, 0.9f, 0f, 5e-4f, nesterov, first));
        }
        exact("sgd param", p);
        exact("sgd momentum buffer", buf);
        Storage[] m = zeros(n), v = zeros(n);
        for (long step = 1; step <= 3; step++) {
            long s = step;
            onBoth((b, k) -> b.adamwUpdate(p[k], g[k], m[k], v[k], n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, s));
        }
        exact("adamw param", p);
        exact("adamw m", m);
        exact("adamw v", v);
    }

    // ---- random --------------------------------------------------------------------------

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void philoxFillsMatchTheJavaPhilox(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = between(r, 1, 100_001);
        long offset = r.nextLong() >>> 1;
        for (Distribution d : Distribution.values()) {
            Storage[] o = zeros(n);
            float a = d == Distribution.BERNOULLI ? 0.3f : -1f, b = 2f;
            onBoth((be, k) -> be.randomFill(o[k], n, d, a, b, seed, offset));
            if (d == Distribution.NORMAL) ulps("random " + d, o, 1); // Box-Muller in double: CUDA vs Java libm
            else exact("random " + d, o);
            float[] direct = new float[n];
            Philox.fill(direct, 0, n, d, a, b, seed, offset, 0);
            assertExact("CPU backend = Philox.fill", direct, read(o)[0]);
        }
    }

    private static int numel(int[] s) {
        int p = 1;
        for (int d : s) p *= d;
        return p;
    }
}
