package dev.engram.engine.cuda;

import dev.engram.engine.DType;
import dev.engram.engine.Device;
import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ConvGeometry;
import dev.engram.engine.spi.Distribution;
import dev.engram.engine.spi.PoolGeometry;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import dev.engram.engine.spi.UnaryOp;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;

import java.util.Arrays;

import static dev.engram.engine.cuda.CudaDevice.check;
import static dev.engram.engine.cuda.CudaDevice.checkCublas;

/**
 * The CUDA backend: cuBLAS for GEMM, cuDNN for convolutions, Engram's own kernels
 * ({@code src/main/cuda/kernels.cu}) for everything else. Semantics follow
 * {@link dev.engram.engine.cpu.CpuBackend} exactly; numerics match it bit for bit where a
 * kernel evaluates the same expression in the same order (element-wise ops up to the
 * last-ulp accuracy of the CUDA math library, pooling, sequential reductions, index ops,
 * optimizers, uniform/Bernoulli random fills) and up to rounding elsewhere (GEMM, convolution,
 * tree reductions in batch-norm, layer-norm and long reductions). No kernel uses atomics, so
 * results are deterministic run to run; cuDNN is restricted to deterministic algorithms, chosen by its
 * heuristics, unless {@link #setDeterministic(boolean) deterministic mode} is switched off: then cuDNN times
 * every algorithm of a geometry once and the fastest is kept (like PyTorch's {@code cudnn.benchmark}).
 *
 * <p>Options (system properties read at creation, or the setters): {@code engram.cuda.tf32}
 * (default false) lets cuBLAS and cuDNN use TF32 tensor cores for float32;
 * {@code engram.cuda.deterministic} (default true).
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;
    private static final long MAX_BLOCKS = 1L << 20;
    private static final int MAX_RANK = 8;

    private final CudaDevice dev;
    private final Device device;
    private final CudnnConvolutions convolutions;
    private volatile boolean tf32 = Boolean.getBoolean("engram.cuda.tf32");
    private volatile boolean deterministic = !"false".equalsIgnoreCase(System.getProperty("engram.cuda.deterministic"));
    private int appliedCublasMath = -1;

    private CudaBackend(CudaDevice dev) {
        this.dev = dev;
        this.device = Device.cuda(dev.ordinal);
        this.convolutions = new CudnnConvolutions(dev);
    }

    /** Creates the backend of {@code cuda:ordinal}; throws {@link IllegalStateException} with the reason when impossible. */
    public static CudaBackend create(int ordinal) {
        String why = CudaSetup.get().reason();
        if (why != null) throw new IllegalStateException("CUDA unavailable: " + why);
        int count = CudaSetup.get().deviceCount();
        if (ordinal >= count) throw new IllegalStateException("cuda:" + ordinal + " requested but " + count + " CUDA device(s) present");
        return new CudaBackend(CudaDevice.open(ordinal));
    }

    // ---- options and diagnostics ---------------------------------------------------------

    /** Allows TF32 tensor-core math for float32 GEMM and convolutions (faster, ~1e-3 relative error). */
    public void setTf32(boolean enabled) {
        this.tf32 = enabled;
    }

    /**
     * Whether cuBLAS and cuDNN may use TF32 tensor-core math for float32 (system property {@code engram.cuda.tf32},
     * default false, or {@link #setTf32(boolean)}).
     */
    public boolean tf32() {
        return tf32;
    }

    /** Restricts cuDNN to deterministic algorithms (default on). */
    public void setDeterministic(boolean enabled) {
        this.deterministic = enabled;
    }

    /**
     * Whether cuDNN is restricted to deterministic algorithms (system property {@code engram.cuda.deterministic},
     * default true, or {@link #setDeterministic(boolean)}).
     */
    public boolean deterministic() {
        return deterministic;
    }

    /** The caching allocator's counters. */
    public AllocatorStats memoryStats() {
        return dev.allocator.stats();
    }

    /** Returns all cached device memory to the driver. */
    public void emptyCache() {
        synchronize();
        dev.allocator.emptyCache();
    }

    /** Waits for all queued device work. */
    public void synchronize() {
        dev.synchronize();
    }

    /** GPU name, compute capability, memory. */
    public String deviceDescription() {
        return device + ": " + dev.info;
    }

    /** cuDNN algorithms chosen per convolution geometry so far. */
    public java.util.Map<String, String> convolutionAlgorithms() {
        return convolutions.chosenAlgorithms();
    }

    @Override
    public Device device() {
        return device;
    }

    // ---- helpers -------------------------------------------------------------------------

    private CudaStorage st(Storage s, String op) {
        if (!(s instanceof CudaStorage c) || !c.device().equals(device)) {
            throw new IllegalArgumentException(op + ": storage " + s + " is not on " + device);
        }
        return c;
    }

    private CUdeviceptr p(Storage s, String op) {
        return st(s, op).pointer();
    }

    private CUdeviceptr pn(Storage s, String op) {
        return s == null ? null : p(s, op);
    }

    private CUdeviceptr p(Storage s, long offset, long needed, String op) {
        CudaStorage c = st(s, op);
        if (offset < 0 || needed < 0 || offset + needed > c.length()) {
            throw new IndexOutOfBoundsException(op + ": elements [" + offset + ", " + (offset + needed) + ") outside storage of "
                    + c.length());
        }
        return c.pointer(offset);
    }

    private static void need(Storage s, long count, String op, String what) {
        if (s != null && s.length() < count) {
            throw new IllegalArgumentException(op + ": " + what + " holds " + s.length() + " elements, needs " + count);
        }
    }

    private static long blocks(long n) {
        return Math.min((n + THREADS - 1) / THREADS, MAX_BLOCKS);
    }

    /** Threads per block for block-per-row kernels: a power of two between 32 and 256. */
    private static int rowThreads(long rowLength) {
        int t = 32;
        while (t < THREADS && t < rowLength) t <<= 1;
        return t;
    }

    private void launch(String kernel, long n, Object... args) {
        dev.launch(kernel, blocks(n), THREADS, args);
    }

    private static int numel(int[] shape) {
        long p = 1;
        for (int d : shape) p *= d;
        if (p > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " too large");
        return (int) p;
    }

    // ---- memory --------------------------------------------------------------------------

    @Override
    public Storage allocate(DType dtype, long length) {
        dev.makeCurrent();
        return new CudaStorage(device, dtype, length, dev.allocator);
    }

    @Override
    public Storage fromFloats(float[] data) {
        Storage s = allocate(DType.FLOAT32, data.length);
        if (data.length > 0) {
            check(JCudaDriver.cuMemcpyHtoD(p(s, "fromFloats"), Pointer.to(data), (long) data.length * Sizeof.FLOAT),
                    "cuMemcpyHtoD(" + data.length + " floats)");
        }
        return s;
    }

    @Override
    public Storage fromInts(int[] data) {
        Storage s = allocate(DType.INT32, data.length);
        if (data.length > 0) {
            check(JCudaDriver.cuMemcpyHtoD(p(s, "fromInts"), Pointer.to(data), (long) data.length * Sizeof.INT),
                    "cuMemcpyHtoD(" + data.length + " ints)");
        }
        return s;
    }

    private void requireDtype(Storage s, DType t, String op) {
        if (s.dtype() != t) throw new IllegalArgumentException(op + ": storage is " + s.dtype().label() + ", expected " + t.label());
    }

    @Override
    public void readFloats(Storage src, long srcOffset, float[] dst, int dstOffset, int count) {
        requireDtype(src, DType.FLOAT32, "readFloats");
        java.util.Objects.checkFromIndexSize(dstOffset, count, dst.length);
        if (count == 0) return;
        dev.makeCurrent();
        check(JCudaDriver.cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) dstOffset * Sizeof.FLOAT),
                p(src, srcOffset, count, "readFloats"), (long) count * Sizeof.FLOAT), "cuMemcpyDtoH(" + count + " floats)");
    }

    @Override
    public void readInts(Storage src, long srcOffset, int[] dst, int dstOffset, int count) {
        requireDtype(src, DType.INT32, "readInts");
        java.util.Objects.checkFromIndexSize(dstOffset, count, dst.length);
        if (count == 0) return;
        dev.makeCurrent();
        check(JCudaDriver.cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) dstOffset * Sizeof.INT),
                p(src, srcOffset, count, "readInts"), (long) count * Sizeof.INT), "cuMemcpyDtoH(" + count + " ints)");
    }

    @Override
    public void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copy: " + src.dtype().label() + " to " + dst.dtype().label());
        }
        if (count == 0) return;
        dev.makeCurrent();
        check(JCudaDriver.cuMemcpyDtoD(p(dst, dstOffset, count, "copy"), p(src, srcOffset, count, "copy"), count * 4),
                "cuMemcpyDtoD(" + count + " elements)");
    }

    @Override
    public void fill(Storage dst, long offset, long count, float value) {
        if (count == 0) return;
        int bits = dst.dtype() == DType.INT32 ? (int) value : Float.floatToRawIntBits(value);
        dev.makeCurrent();
        check(JCudaDriver.cuMemsetD32(p(dst, offset, count, "fill"), bits, count), "cuMemsetD32(" + count + ")");
    }

    @Override
    public void intToFloat(Storage src, Storage dst, long count) {
        requireDtype(src, DType.INT32, "intToFloat");
        requireDtype(dst, DType.FLOAT32, "intToFloat");
        need(src, count, "intToFloat", "source");
        need(dst, count, "intToFloat", "destination");
        launch("int_to_float", count, p(src, "intToFloat"), p(dst, "intToFloat"), count);
    }

    // ---- matrix products -----------------------------------------------------------------

    private void applyMathMode() {
        int mode = tf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH;
        if (mode != appliedCublasMath) {
            checkCublas(JCublas2.cublasSetMathMode(dev.cublas, mode), "cublasSetMathMode(" + mode + ")");
            appliedCublasMath = mode;
        }
    }

    private static int op(boolean trans) {
        return trans ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N;
    }

    @Override
    public synchronized void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Storage a, long aOffset,
                                  int lda, Storage b, long bOffset, int ldb, float beta, Storage c, long cOffset, int ldc) {
        GemmMapping g = GemmMapping.ofRowMajor(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0) return;
        CUdeviceptr pa = p(a, aOffset, GemmMapping.span(transA ? k : m, transA ? m : k, lda), "gemm A");
        CUdeviceptr pb = p(b, bOffset, GemmMapping.span(transB ? n : k, transB ? k : n, ldb), "gemm B");
        CUdeviceptr pc = p(c, cOffset, GemmMapping.span(m, n, ldc), "gemm C");
        dev.makeCurrent();
        applyMathMode();
        checkCublas(JCublas2.cublasSgemm(dev.cublas, op(g.transFirst()), op(g.transSecond()), g.m(), g.n(), g.k(),
                Pointer.to(new float[] {alpha}), pb, g.ldFirst(), pa, g.ldSecond(), Pointer.to(new float[] {beta}), pc,
                g.ldc()), "cublasSgemm(m=" + m + ", n=" + n + ", k=" + k + ")");
    }

    @Override
    public synchronized void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha, Storage a,
                                                long aOffset, int lda, long strideA, Storage b, long bOffset, int ldb,
                                                long strideB, float beta, Storage c, long cOffset, int ldc, long strideC,
                                                int batch) {
        GemmMapping g = GemmMapping.ofRowMajor(transA, transB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0 || batch == 0) return;
        long last = batch - 1L;
        CUdeviceptr pa = p(a, aOffset, last * strideA + GemmMapping.span(transA ? k : m, transA ? m : k, lda), "gemm A");
        CUdeviceptr pb = p(b, bOffset, last * strideB + GemmMapping.span(transB ? n : k, transB ? k : n, ldb), "gemm B");
        CUdeviceptr pc = p(c, cOffset, last * strideC + GemmMapping.span(m, n, ldc), "gemm C");
        dev.makeCurrent();
        applyMathMode();
        checkCublas(JCublas2.cublasSgemmStridedBatched(dev.cublas, op(g.transFirst()), op(g.transSecond()), g.m(), g.n(),
                g.k(), Pointer.to(new float[] {alpha}), pb, g.ldFirst(), strideB, pa, g.ldSecond(), strideA,
                Pointer.to(new float[] {beta}), pc, g.ldc(), strideC, batch),
                "cublasSgemmStridedBatched(m=" + m + ", n=" + n + ", k=" + k + ", batch=" + batch + ")");
    }

    // ---- element-wise --------------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, float alpha, Storage x, Storage y, long count) {
        need(x, count, "unary " + op, "input");
        need(y, count, "unary " + op, "output");
        launch("unary_forward", count, op.ordinal(), alpha, p(x, "unary"), p(y, "unary"), count);
    }

    @Override
    public void unaryBackward(UnaryOp op, float alpha, Storage x, Storage y, Storage dy, Storage dx, long count) {
        need(dy, count, "unary backward " + op, "dy");
        need(dx, count, "unary backward " + op, "dx");
        launch("unary_backward", count, op.ordinal(), alpha, pn(x, "unaryBackward"), pn(y, "unaryBackward"),
                p(dy, "unaryBackward"), p(dx, "unaryBackward"), count);
    }

    @Override
    public void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape) {
        int total = numel(outShape);
        need(a, numel(aShape), "binary " + op, "a");
        need(b, numel(bShape), "binary " + op, "b");
        need(out, total, "binary " + op, "out");
        if (Arrays.equals(aShape, outShape) && Arrays.equals(bShape, outShape)) {
            launch("binary_same_shape", total, op.ordinal(), p(a, "binary"), p(b, "binary"), p(out, "binary"), (long) total);
            return;
        }
        launch("binary_broadcast", total, op.ordinal(), p(a, "binary"), p(b, "binary"), p(out, "binary"), (long) total,
                broadcastIndex(aShape, bShape, outShape));
    }

    /** The kernel's BroadcastIndex struct: {rank, shape[8], strideA[8], strideB[8]}. */
    static int[] broadcastIndex(int[] aShape, int[] bShape, int[] outShape) {
        int rank = outShape.length;
        if (rank > MAX_RANK) throw new IllegalArgumentException("binary: rank " + rank + " above " + MAX_RANK + " on CUDA");
        int[] s = new int[1 + 3 * MAX_RANK];
        s[0] = rank;
        int[] sa = broadcastStrides(aShape, outShape), sb = broadcastStrides(bShape, outShape);
        for (int d = 0; d < rank; d++) {
            s[1 + d] = outShape[d];
            s[1 + MAX_RANK + d] = sa[d];
            s[1 + 2 * MAX_RANK + d] = sb[d];
        }
        return s;
    }

    /** Strides of {@code shape} right-aligned to {@code out}, 0 where broadcast (as the CPU backend). */
    static int[] broadcastStrides(int[] shape, int[] out) {
        if (shape.length > out.length) {
            throw new IllegalArgumentException("binary: shape " + Arrays.toString(shape) + " has more axes than " + Arrays.toString(out));
        }
        int[] st = new int[out.length];
        int stride = 1;
        for (int d = out.length - 1, s = shape.length - 1; d >= 0; d--, s--) {
            if (s >= 0 && shape[s] != 1) {
                if (shape[s] != out[d]) {
                    throw new IllegalArgumentException("binary: cannot broadcast " + Arrays.toString(shape) + " to " + Arrays.toString(out));
                }
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
    public void where(Storage cond, Storage a, Storage b, Storage out, long count) {
        need(cond, count, "where", "cond");
        need(a, count, "where", "a");
        need(b, count, "where", "b");
        need(out, count, "where", "out");
        launch("where_select", count, p(cond, "where"), p(a, "where"), p(b, "where"), p(out, "where"), count);
    }

    // ---- reductions and softmax ----------------------------------------------------------

    @Override
    public void reduce(ReduceOp op, Storage x, Storage out, int outer, int r, int inner) {
        long outputs = (long) outer * inner;
        need(x, outputs * r, "reduce " + op, "input");
        need(out, outputs, "reduce " + op, "output");
        if (outputs == 0) return;
        if (r == 0) {
            if (op == ReduceOp.MAX || op == ReduceOp.MIN) throw new IllegalArgumentException("reduce " + op + " over an empty axis");
            fill(out, 0, outputs, 0f);
            return;
        }
        // Few long rows: a block per output (tree order). Otherwise a thread per output in the
        // CPU's sequential order, which is bit-identical to it.
        if (r > 1024 && outputs < 8192) {
            dev.launch("reduce_block", outputs, THREADS, op.ordinal(), p(x, "reduce"), p(out, "reduce"), outer, r, inner);
        } else {
            launch("reduce_sequential", outputs, op.ordinal(), p(x, "reduce"), p(out, "reduce"), outer, r, inner);
        }
    }

    @Override
    public void argmax(Storage x, Storage out, int outer, int r, int inner) {
        if (r <= 0) throw new IllegalArgumentException("argmax over an empty axis");
        need(x, (long) outer * r * inner, "argmax", "input");
        need(out, (long) outer * inner, "argmax", "output");
        requireDtype(out, DType.INT32, "argmax");
        launch("argmax_kernel", (long) outer * inner, p(x, "argmax"), p(out, "argmax"), outer, r, inner);
    }

    @Override
    public void softmax(Storage x, Storage y, int outer, int r, int inner, boolean log) {
        need(x, (long) outer * r * inner, "softmax", "input");
        need(y, (long) outer * r * inner, "softmax", "output");
        launch("softmax_forward", (long) outer * inner, p(x, "softmax"), p(y, "softmax"), outer, r, inner, log ? 1 : 0);
    }

    @Override
    public void softmaxBackward(Storage y, Storage dy, Storage dx, int outer, int r, int inner, boolean log) {
        long n = (long) outer * r * inner;
        need(y, n, "softmax backward", "y");
        need(dy, n, "softmax backward", "dy");
        need(dx, n, "softmax backward", "dx");
        launch("softmax_backward", (long) outer * inner, p(y, "softmaxBackward"), p(dy, "softmaxBackward"),
                p(dx, "softmaxBackward"), outer, r, inner, log ? 1 : 0);
    }

    private void checkIndices(Storage index, int count, int bound, String op, String what) {
        requireDtype(index, DType.INT32, op);
        int[] host = new int[count];
        readInts(index, 0, host, 0, count);
        for (int i = 0; i < count; i++) {
            if (host[i] < 0 || host[i] >= bound) {
                if (op.equals("cross_entropy")) {
                    throw new IllegalArgumentException("cross_entropy: label " + host[i] + " of example " + i
                            + " outside [0, " + bound + ")");
                }
                throw new IndexOutOfBoundsException(op + ": " + what + " " + host[i] + " at position " + i + " outside [0, "
                        + bound + ")");
            }
        }
    }

    @Override
    public void crossEntropy(Storage logits, Storage labels, Storage loss, Storage probs, int batch, int classes) {
        need(logits, (long) batch * classes, "cross_entropy", "logits");
        need(probs, (long) batch * classes, "cross_entropy", "probs");
        need(loss, batch, "cross_entropy", "loss");
        need(labels, batch, "cross_entropy", "labels");
        checkIndices(labels, batch, classes, "cross_entropy", "label");
        launch("cross_entropy_forward", batch, p(logits, "crossEntropy"), p(labels, "crossEntropy"), p(loss, "crossEntropy"),
                p(probs, "crossEntropy"), batch, classes);
    }

    @Override
    public void crossEntropyBackward(Storage probs, Storage labels, Storage dloss, Storage dlogits, int batch, int classes) {
        need(probs, (long) batch * classes, "cross_entropy backward", "probs");
        need(dlogits, (long) batch * classes, "cross_entropy backward", "dlogits");
        need(dloss, batch, "cross_entropy backward", "dloss");
        need(labels, batch, "cross_entropy backward", "labels");
        launch("cross_entropy_backward", (long) batch * classes, p(probs, "crossEntropyBackward"),
                p(labels, "crossEntropyBackward"), p(dloss, "crossEntropyBackward"), p(dlogits, "crossEntropyBackward"),
                batch, classes);
    }

    // ---- convolution and pooling ---------------------------------------------------------

    private static long inputSize(ConvGeometry g) {
        return (long) g.n() * g.c() * g.h() * g.w();
    }

    private static long outputSize(ConvGeometry g) {
        return (long) g.n() * g.k() * g.outH() * g.outW();
    }

    private static long weightSize(ConvGeometry g) {
        return (long) g.k() * g.c() * g.r() * g.s();
    }

    @Override
    public void conv2dForward(Storage x, Storage w, Storage y, ConvGeometry g) {
        need(x, inputSize(g), "conv2d", "input");
        need(w, weightSize(g), "conv2d", "weight");
        need(y, outputSize(g), "conv2d", "output");
        if (g.n() == 0) return;
        dev.makeCurrent();
        convolutions.forward(p(x, "conv2d"), p(w, "conv2d"), p(y, "conv2d"), g, deterministic, tf32);
    }

    @Override
    public void conv2dBackwardData(Storage dy, Storage w, Storage dx, ConvGeometry g) {
        need(dy, outputSize(g), "conv2d backward-data", "dy");
        need(w, weightSize(g), "conv2d backward-data", "weight");
        need(dx, inputSize(g), "conv2d backward-data", "dx");
        if (g.n() == 0) return;
        dev.makeCurrent();
        convolutions.backwardData(p(dy, "conv2d"), p(w, "conv2d"), p(dx, "conv2d"), g, deterministic, tf32);
    }

    @Override
    public void conv2dBackwardFilter(Storage x, Storage dy, Storage dw, ConvGeometry g, float beta) {
        need(x, inputSize(g), "conv2d backward-filter", "input");
        need(dy, outputSize(g), "conv2d backward-filter", "dy");
        need(dw, weightSize(g), "conv2d backward-filter", "dw");
        if (g.n() == 0) {
            if (beta == 0) fill(dw, 0, weightSize(g), 0f);
            else unary(UnaryOp.SCALE, beta, dw, dw, weightSize(g));
            return;
        }
        dev.makeCurrent();
        convolutions.backwardFilter(p(x, "conv2d"), p(dy, "conv2d"), p(dw, "conv2d"), g, beta, deterministic, tf32);
    }

    /** The kernel's ConvShape struct. */
    static int[] convShape(ConvGeometry g) {
        return new int[] {g.c(), g.h(), g.w(), g.r(), g.s(), g.strideH(), g.strideW(), g.padH(), g.padW(), g.dilH(),
                g.dilW(), g.outH(), g.outW()};
    }

    @Override
    public void im2col(Storage x, long xOffset, Storage cols, long colsOffset, ConvGeometry g) {
        long in = (long) g.c() * g.h() * g.w(), out = (long) g.colRows() * g.colCols();
        launch("im2col_kernel", out, p(x, xOffset, in, "im2col"), p(cols, colsOffset, out, "im2col"), convShape(g));
    }

    /** The kernel's PoolShape struct. */
    static int[] poolShape(PoolGeometry g) {
        return new int[] {g.n() * g.c(), g.h(), g.w(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(),
                g.outH(), g.outW()};
    }

    private static long poolIn(PoolGeometry g) {
        return (long) g.n() * g.c() * g.h() * g.w();
    }

    private static long poolOut(PoolGeometry g) {
        return (long) g.n() * g.c() * g.outH() * g.outW();
    }

    @Override
    public void maxPool2dForward(Storage x, Storage y, Storage argmaxIndex, PoolGeometry g) {
        need(x, poolIn(g), "max_pool2d", "input");
        need(y, poolOut(g), "max_pool2d", "output");
        need(argmaxIndex, poolOut(g), "max_pool2d", "index");
        requireDtype(argmaxIndex, DType.INT32, "max_pool2d");
        launch("max_pool_forward", poolOut(g), p(x, "maxPool"), p(y, "maxPool"), p(argmaxIndex, "maxPool"), poolShape(g));
    }

    @Override
    public void maxPool2dBackward(Storage dy, Storage argmaxIndex, Storage dx, PoolGeometry g) {
        need(dy, poolOut(g), "max_pool2d backward", "dy");
        need(argmaxIndex, poolOut(g), "max_pool2d backward", "index");
        need(dx, poolIn(g), "max_pool2d backward", "dx");
        launch("max_pool_backward", poolIn(g), p(dy, "maxPoolBackward"), p(argmaxIndex, "maxPoolBackward"),
                p(dx, "maxPoolBackward"), poolShape(g));
    }

    @Override
    public void avgPool2dForward(Storage x, Storage y, PoolGeometry g) {
        need(x, poolIn(g), "avg_pool2d", "input");
        need(y, poolOut(g), "avg_pool2d", "output");
        float inv = 1f / (g.kh() * g.kw());
        launch("avg_pool_forward", poolOut(g), p(x, "avgPool"), p(y, "avgPool"), poolShape(g), inv);
    }

    @Override
    public void avgPool2dBackward(Storage dy, Storage dx, PoolGeometry g) {
        need(dy, poolOut(g), "avg_pool2d backward", "dy");
        need(dx, poolIn(g), "avg_pool2d backward", "dx");
        float inv = 1f / (g.kh() * g.kw());
        launch("avg_pool_backward", poolIn(g), p(dy, "avgPoolBackward"), p(dx, "avgPoolBackward"), poolShape(g), inv);
    }

    // ---- normalization -------------------------------------------------------------------

    @Override
    public void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage y, Storage saveMean, Storage saveInvStd,
                               Storage runningMean, Storage runningVar, int n, int c, int hw, float momentum, float eps) {
        long total = (long) n * c * hw;
        need(x, total, "batch_norm", "input");
        need(y, total, "batch_norm", "output");
        for (Storage s : new Storage[] {gamma, beta, saveMean, saveInvStd, runningMean, runningVar}) need(s, c, "batch_norm", "per-channel");
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batch_norm: running mean and variance must both be given or both be null");
        }
        dev.launch("batch_norm_train", c, rowThreads((long) n * hw), p(x, "batchNorm"), pn(gamma, "batchNorm"),
                pn(beta, "batchNorm"), p(y, "batchNorm"), p(saveMean, "batchNorm"), p(saveInvStd, "batchNorm"),
                pn(runningMean, "batchNorm"), pn(runningVar, "batchNorm"), n, c, hw, momentum, eps);
    }

    @Override
    public void batchNormInfer(Storage x, Storage gamma, Storage beta, Storage mean, Storage var, Storage y, int n, int c,
                               int hw, float eps) {
        long total = (long) n * c * hw;
        need(x, total, "batch_norm", "input");
        need(y, total, "batch_norm", "output");
        for (Storage s : new Storage[] {gamma, beta, mean, var}) need(s, c, "batch_norm", "per-channel");
        launch("batch_norm_infer", total, p(x, "batchNorm"), pn(gamma, "batchNorm"), pn(beta, "batchNorm"),
                p(mean, "batchNorm"), p(var, "batchNorm"), p(y, "batchNorm"), n, c, hw, eps);
    }

    @Override
    public void batchNormBackward(Storage dy, Storage x, Storage gamma, Storage mean, Storage invStd, Storage dx,
                                  Storage dgamma, Storage dbeta, int n, int c, int hw, boolean useBatchStats) {
        long total = (long) n * c * hw;
        need(x, total, "batch_norm backward", "input");
        need(dy, total, "batch_norm backward", "dy");
        need(dx, total, "batch_norm backward", "dx");
        for (Storage s : new Storage[] {gamma, mean, invStd, dgamma, dbeta}) need(s, c, "batch_norm backward", "per-channel");
        dev.launch("batch_norm_backward", c, rowThreads((long) n * hw), p(dy, "batchNormBackward"), p(x, "batchNormBackward"),
                pn(gamma, "batchNormBackward"), p(mean, "batchNormBackward"), p(invStd, "batchNormBackward"),
                pn(dx, "batchNormBackward"), pn(dgamma, "batchNormBackward"), pn(dbeta, "batchNormBackward"), n, c, hw,
                useBatchStats ? 1 : 0);
    }

    @Override
    public void layerNormForward(Storage x, Storage gamma, Storage beta, Storage y, Storage saveMean, Storage saveInvStd,
                                 int rows, int cols, float eps) {
        long total = (long) rows * cols;
        need(x, total, "layer_norm", "input");
        need(y, total, "layer_norm", "output");
        need(gamma, cols, "layer_norm", "gamma");
        need(beta, cols, "layer_norm", "beta");
        need(saveMean, rows, "layer_norm", "mean");
        need(saveInvStd, rows, "layer_norm", "inverse std");
        dev.launch("layer_norm_forward", rows, rowThreads(cols), p(x, "layerNorm"), pn(gamma, "layerNorm"),
                pn(beta, "layerNorm"), p(y, "layerNorm"), p(saveMean, "layerNorm"), p(saveInvStd, "layerNorm"), rows, cols, eps);
    }

    @Override
    public void layerNormBackward(Storage dy, Storage x, Storage gamma, Storage mean, Storage invStd, Storage dx,
                                  Storage dgamma, Storage dbeta, int rows, int cols) {
        long total = (long) rows * cols;
        need(x, total, "layer_norm backward", "input");
        need(dy, total, "layer_norm backward", "dy");
        need(dx, total, "layer_norm backward", "dx");
        need(mean, rows, "layer_norm backward", "mean");
        need(invStd, rows, "layer_norm backward", "inverse std");
        if (dx != null) {
            dev.launch("layer_norm_backward_input", rows, rowThreads(cols), p(dy, "layerNormBackward"),
                    p(x, "layerNormBackward"), pn(gamma, "layerNormBackward"), p(mean, "layerNormBackward"),
                    p(invStd, "layerNormBackward"), p(dx, "layerNormBackward"), rows, cols);
        }
        if (dgamma != null || dbeta != null) {
            launch("layer_norm_backward_params", cols, p(dy, "layerNormBackward"), p(x, "layerNormBackward"),
                    p(mean, "layerNormBackward"), p(invStd, "layerNormBackward"), pn(dgamma, "layerNormBackward"),
                    pn(dbeta, "layerNormBackward"), rows, cols);
        }
    }

    // ---- masks, indexing -----------------------------------------------------------------

    @Override
    public void channelMask(Storage x, Storage mask, Storage y, int n, int c, int inner, boolean perExample) {
        long total = (long) n * c * inner;
        need(x, total, "mask", "input");
        need(y, total, "mask", "output");
        need(mask, perExample ? (long) n * c : c, "mask", "mask");
        launch("channel_mask", total, p(x, "channelMask"), p(mask, "channelMask"), p(y, "channelMask"), n, c, inner,
                perExample ? 1 : 0);
    }

    @Override
    public void channelMaskGradMask(Storage x, Storage dy, Storage dmask, int n, int c, int inner, boolean perExample) {
        long total = (long) n * c * inner;
        need(x, total, "mask backward", "input");
        need(dy, total, "mask backward", "dy");
        need(dmask, perExample ? (long) n * c : c, "mask backward", "dmask");
        dev.launch("channel_mask_grad_mask", c, rowThreads(inner), p(x, "channelMaskGradMask"), p(dy, "channelMaskGradMask"),
                p(dmask, "channelMaskGradMask"), n, c, inner, perExample ? 1 : 0);
    }

    @Override
    public void indexSelect(Storage src, int srcRows, int cols, Storage index, Storage out, int count) {
        need(src, (long) srcRows * cols, "index_select", "source");
        need(out, (long) count * cols, "index_select", "output");
        need(index, count, "index_select", "index");
        checkIndices(index, count, srcRows, "index_select", "index");
        launch("index_select", (long) count * cols, p(src, "indexSelect"), cols, p(index, "indexSelect"),
                p(out, "indexSelect"), count);
    }

    @Override
    public void indexAdd(Storage src, int cols, Storage index, Storage dst, int dstRows, int count) {
        need(src, (long) count * cols, "index_add", "source");
        need(dst, (long) dstRows * cols, "index_add", "destination");
        need(index, count, "index_add", "index");
        checkIndices(index, count, dstRows, "index_add", "index");
        launch("index_add", cols, p(src, "indexAdd"), cols, p(index, "indexAdd"), p(dst, "indexAdd"), count);
    }

    @Override
    public void copyBlocks(Storage src, long srcOffset, long srcStride, Storage dst, long dstOffset, long dstStride, int outer,
                           int inner) {
        if (src.dtype() != dst.dtype()) {
            throw new IllegalArgumentException("copyBlocks: " + src.dtype().label() + " to " + dst.dtype().label());
        }
        if (outer == 0 || inner == 0) return;
        long srcSpan = (outer - 1L) * srcStride + inner, dstSpan = (outer - 1L) * dstStride + inner;
        p(src, srcOffset, srcSpan, "copyBlocks source");
        p(dst, dstOffset, dstSpan, "copyBlocks destination");
        launch("copy_blocks", (long) outer * inner, p(src, "copyBlocks"), srcOffset, srcStride, p(dst, "copyBlocks"), dstOffset,
                dstStride, outer, inner);
    }

    /** The kernel's PermuteIndex struct: {rank, outShape[8], srcStride[8]}. */
    static int[] permuteIndex(int[] shape, int[] perm) {
        int rank = shape.length;
        if (rank > MAX_RANK) throw new IllegalArgumentException("permute: rank " + rank + " above " + MAX_RANK + " on CUDA");
        if (perm.length != rank) throw new IllegalArgumentException("permute: " + Arrays.toString(perm) + " for rank " + rank);
        int[] inStrides = new int[rank];
        int s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            inStrides[d] = s;
            s *= shape[d];
        }
        int[] out = new int[1 + 2 * MAX_RANK];
        out[0] = rank;
        for (int d = 0; d < rank; d++) {
            out[1 + d] = shape[perm[d]];
            out[1 + MAX_RANK + d] = inStrides[perm[d]];
        }
        return out;
    }

    @Override
    public void permute(Storage x, int[] shape, int[] perm, Storage out) {
        int total = numel(shape);
        need(x, total, "permute", "input");
        need(out, total, "permute", "output");
        if (x.dtype() != out.dtype()) throw new IllegalArgumentException("permute: " + x.dtype().label() + " to " + out.dtype().label());
        launch("permute_kernel", total, p(x, "permute"), p(out, "permute"), (long) total, permuteIndex(shape, perm));
    }

    // ---- optimizers ----------------------------------------------------------------------

    @Override
    public void sgdUpdate(Storage param, Storage grad, Storage momentumBuffer, long count, float lr, float momentum,
                          float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        need(param, count, "sgd", "param");
        need(grad, count, "sgd", "grad");
        if (momentum != 0) {
            if (momentumBuffer == null) throw new IllegalArgumentException("sgd: momentum " + momentum + " needs a momentum buffer");
            need(momentumBuffer, count, "sgd", "momentum buffer");
        }
        launch("sgd_update", count, p(param, "sgd"), p(grad, "sgd"), pn(momentumBuffer, "sgd"), count, lr, momentum, dampening,
                weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0);
    }

    @Override
    public void adamwUpdate(Storage param, Storage grad, Storage m, Storage v, long count, float lr, float beta1, float beta2,
                            float eps, float weightDecay, long step) {
        need(param, count, "adamw", "param");
        need(grad, count, "adamw", "grad");
        need(m, count, "adamw", "first moment");
        need(v, count, "adamw", "second moment");
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        launch("adamw_update", count, p(param, "adamw"), p(grad, "adamw"), p(m, "adamw"), p(v, "adamw"), count, lr, beta1,
                beta2, eps, weightDecay, stepSize, bc2Sqrt);
    }

    // ---- random --------------------------------------------------------------------------

    @Override
    public void randomFill(Storage dst, long count, Distribution dist, float a, float b, long seed, long counterOffset) {
        need(dst, count, "random", "destination");
        requireDtype(dst, DType.FLOAT32, "random");
        launch("random_fill", (count + 3) / 4, p(dst, "randomFill"), count, dist.ordinal(), a, b, seed, counterOffset);
    }
}
