package dev.engram.engine.cuda;

import dev.engram.engine.spi.ConvGeometry;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgo;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgo;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgo;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionMode;
import jcuda.jcudnn.cudnnDataType;
import jcuda.jcudnn.cudnnDeterminism;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnMathType;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.jcudnn.cudnnTensorFormat;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static dev.engram.engine.cuda.CudaDevice.checkCudnn;

/**
 * cuDNN convolutions (NCHW, float32, cross-correlation like the CPU's im2col). Descriptors and
 * the chosen algorithm of each direction are cached per (geometry, mode). In deterministic mode (default)
 * algorithms come from cuDNN's heuristics ({@code cudnnGet*Algorithm_v7}), so a geometry always gets the same
 * one; otherwise from running each ({@code cudnnFind*Algorithm}, fastest first). Filtered by:
 * <ul>
 *   <li>deterministic mode: only algorithms cuDNN reports as deterministic;</li>
 *   <li>TF32 off (default): every algorithm runs with FMA math ({@code CUDNN_FMA_MATH}), so fp32 stays fp32 on
 *   Ampere+ (the parity tests' tolerances would catch TF32's 10-bit mantissa).</li>
 * </ul>
 * If no candidate passes, the always-supported deterministic FMA algorithms are used (forward
 * IMPLICIT_GEMM, backward-data ALGO_1, backward-filter ALGO_1). Workspaces come from the
 * caching allocator and are returned after each call. {@code -Dengram.cuda.logAlgorithms=true} prints every
 * candidate list and choice to standard error.
 */
final class CudnnConvolutions {
    private record Key(ConvGeometry geometry, boolean deterministic, boolean tf32) {}

    /** An algorithm with the math type it was chosen for. */
    record Choice(int algo, int mathType) {}

    private final class Plan {
        final cudnnTensorDescriptor x = new cudnnTensorDescriptor(), y = new cudnnTensorDescriptor();
        final cudnnFilterDescriptor w = new cudnnFilterDescriptor();
        final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();
        final Key key;
        volatile Choice forward, backwardData, backwardFilter;

        Plan(Key key) {
            this.key = key;
            ConvGeometry g = key.geometry;
            checkCudnn(JCudnn.cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            checkCudnn(JCudnn.cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
            checkCudnn(JCudnn.cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
            checkCudnn(JCudnn.cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
            int nchw = cudnnTensorFormat.CUDNN_TENSOR_NCHW, f32 = cudnnDataType.CUDNN_DATA_FLOAT;
            checkCudnn(JCudnn.cudnnSetTensor4dDescriptor(x, nchw, f32, g.n(), g.c(), g.h(), g.w()), "cudnnSetTensor4dDescriptor(x " + g + ")");
            checkCudnn(JCudnn.cudnnSetTensor4dDescriptor(y, nchw, f32, g.n(), g.k(), g.outH(), g.outW()), "cudnnSetTensor4dDescriptor(y " + g + ")");
            checkCudnn(JCudnn.cudnnSetFilter4dDescriptor(w, f32, nchw, g.k(), g.c(), g.r(), g.s()), "cudnnSetFilter4dDescriptor(" + g + ")");
            checkCudnn(JCudnn.cudnnSetConvolution2dDescriptor(conv, g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilH(),
                    g.dilW(), cudnnConvolutionMode.CUDNN_CROSS_CORRELATION, f32), "cudnnSetConvolution2dDescriptor(" + g + ")");
            int[] on = new int[1], oc = new int[1], oh = new int[1], ow = new int[1];
            checkCudnn(JCudnn.cudnnGetConvolution2dForwardOutputDim(conv, x, w, on, oc, oh, ow),
                    "cudnnGetConvolution2dForwardOutputDim(" + g + ")");
            if (on[0] != g.n() || oc[0] != g.k() || oh[0] != g.outH() || ow[0] != g.outW()) {
                throw new CudaException("cuDNN output shape " + on[0] + "x" + oc[0] + "x" + oh[0] + "x" + ow[0]
                        + " differs from " + g.n() + "x" + g.k() + "x" + g.outH() + "x" + g.outW() + " for " + g);
            }
        }
    }

    private final CudaDevice device;
    private final Map<Key, Plan> plans = new ConcurrentHashMap<>();
    private static final Pointer ONE = Pointer.to(new float[] {1f});
    private static final Pointer ZERO = Pointer.to(new float[] {0f});
    private static final boolean LOG_ALGORITHMS = Boolean.getBoolean("engram.cuda.logAlgorithms");

    CudnnConvolutions(CudaDevice device) {
        this.device = device;
    }

    private Plan plan(ConvGeometry g, boolean deterministic, boolean tf32) {
        return plans.computeIfAbsent(new Key(g, deterministic, tf32), Plan::new);
    }

    /** One candidate algorithm as cuDNN reported it (heuristics or a measured run). */
    private record Candidate(int algo, int status, int determinism, int mathType, float timeMs) {}

    /**
     * Succeeded, deterministic where asked. Without TF32 the candidates come from a descriptor set to
     * {@code CUDNN_FMA_MATH} and run with it: cuDNN 9 reports its forward and backward-data algorithms as
     * {@code CUDNN_DEFAULT_MATH} even then, so that report is accepted too (tensor-op math is not).
     */
    private static boolean acceptable(Candidate c, Key key) {
        if (c.status() != 0) return false;
        if (key.deterministic && c.determinism() != cudnnDeterminism.CUDNN_DETERMINISTIC) return false;
        return key.tf32 || c.mathType() == cudnnMathType.CUDNN_FMA_MATH || c.mathType() == cudnnMathType.CUDNN_DEFAULT_MATH;
    }

    private static int requestedMath(Key key) {
        return key.tf32 ? cudnnMathType.CUDNN_DEFAULT_MATH : cudnnMathType.CUDNN_FMA_MATH;
    }

    /**
     * The first acceptable candidate in cuDNN's order (heuristic rank, or measured time with {@code measured}),
     * else the fallback. With {@code -Dengram.cuda.logAlgorithms=true} every list and choice goes to standard error.
     */
    private static Choice pick(String direction, Key key, boolean measured, Candidate[] candidates, int fallback) {
        Choice chosen = null;
        for (Candidate c : candidates) {
            if (acceptable(c, key)) {
                chosen = new Choice(c.algo(), key.tf32 ? c.mathType() : cudnnMathType.CUDNN_FMA_MATH);
                break;
            }
        }
        if (chosen == null) chosen = new Choice(fallback, cudnnMathType.CUDNN_FMA_MATH);
        if (LOG_ALGORITHMS) {
            StringBuilder sb = new StringBuilder("cuDNN ").append(direction).append(' ').append(key.geometry)
                    .append(key.deterministic ? " deterministic" : "").append(key.tf32 ? " tf32" : "")
                    .append(measured ? ", measured:" : ", heuristics:");
            for (Candidate c : candidates) {
                sb.append(String.format(java.util.Locale.ROOT, " [algo %d status %d det %d math %d%s]", c.algo(), c.status(),
                        c.determinism(), c.mathType(), measured ? String.format(java.util.Locale.ROOT, " %.3f ms", c.timeMs()) : ""));
            }
            System.err.println(sb.append(" -> ").append(chosen));
        }
        return chosen;
    }

    /** One direction's candidate query: cuDNN's heuristics, or ({@code measure}) timing every algorithm. */
    private interface Query<P> {
        int run(boolean measure, int max, int[] returned, P[] perf);
    }

    /**
     * Deterministic mode asks cuDNN's heuristics ({@code cudnnGet*Algorithm_v7}), so the same geometry always gets
     * the same algorithm and results repeat run to run. Otherwise cuDNN runs every algorithm once on scratch
     * memory ({@code cudnnFind*Algorithm}) and the fastest acceptable one is kept, as PyTorch's
     * {@code cudnn.benchmark} does.
     */
    private static <P> Choice choose(String direction, Plan p, P[] perf, Query<P> query, Function<P, Candidate> read,
                                     int fallback) {
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, requestedMath(p.key)), "cudnnSetConvolutionMathType");
        int[] returned = new int[1];
        boolean measure = !p.key.deterministic;
        checkCudnn(query.run(measure, perf.length, returned, perf),
                "cudnn" + (measure ? "Find" : "Get") + " " + direction + " algorithm (" + p.key.geometry + ")");
        Candidate[] c = new Candidate[returned[0]];
        for (int i = 0; i < c.length; i++) c[i] = read.apply(perf[i]);
        return pick(direction, p.key, measure, c, fallback);
    }

    private Choice chooseForward(Plan p) {
        var perf = new cudnnConvolutionFwdAlgoPerf[cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        Arrays.setAll(perf, i -> new cudnnConvolutionFwdAlgoPerf());
        return choose("forward", p, perf, (measure, max, returned, out) -> measure
                        ? JCudnn.cudnnFindConvolutionForwardAlgorithm(device.cudnn, p.x, p.w, p.conv, p.y, max, returned, out)
                        : JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(device.cudnn, p.x, p.w, p.conv, p.y, max, returned, out),
                f -> new Candidate(f.algo, f.status, f.determinism, f.mathType, f.time),
                cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
    }

    private Choice chooseBackwardData(Plan p) {
        var perf = new cudnnConvolutionBwdDataAlgoPerf[cudnnConvolutionBwdDataAlgo.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        Arrays.setAll(perf, i -> new cudnnConvolutionBwdDataAlgoPerf());
        return choose("backward-data", p, perf, (measure, max, returned, out) -> measure
                        ? JCudnn.cudnnFindConvolutionBackwardDataAlgorithm(device.cudnn, p.w, p.y, p.conv, p.x, max, returned, out)
                        : JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(device.cudnn, p.w, p.y, p.conv, p.x, max, returned, out),
                d -> new Candidate(d.algo, d.status, d.determinism, d.mathType, d.time),
                cudnnConvolutionBwdDataAlgo.CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
    }

    private Choice chooseBackwardFilter(Plan p) {
        var perf = new cudnnConvolutionBwdFilterAlgoPerf[cudnnConvolutionBwdFilterAlgo.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        Arrays.setAll(perf, i -> new cudnnConvolutionBwdFilterAlgoPerf());
        return choose("backward-filter", p, perf, (measure, max, returned, out) -> measure
                        ? JCudnn.cudnnFindConvolutionBackwardFilterAlgorithm(device.cudnn, p.x, p.y, p.conv, p.w, max, returned, out)
                        : JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(device.cudnn, p.x, p.y, p.conv, p.w, max, returned, out),
                f -> new Candidate(f.algo, f.status, f.determinism, f.mathType, f.time),
                cudnnConvolutionBwdFilterAlgo.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);
    }

    /** Runs {@code body} with a workspace of {@code bytes} from the allocator. */
    private interface WithWorkspace {
        int run(Pointer workspace, long bytes);
    }

    private void withWorkspace(long bytes, String what, WithWorkspace body) {
        if (bytes <= 0) {
            checkCudnn(body.run(new CUdeviceptr(), 0), what);
            return;
        }
        CachingAllocator.Block<CUdeviceptr> ws = device.allocator.allocate(bytes);
        try {
            checkCudnn(body.run(ws.pointer(), bytes), what);
        } finally {
            device.allocator.release(ws); // later work on the same stream is ordered after this call
        }
    }

    synchronized void forward(CUdeviceptr x, CUdeviceptr w, CUdeviceptr y, ConvGeometry g, boolean deterministic, boolean tf32) {
        Plan p = plan(g, deterministic, tf32);
        if (p.forward == null) p.forward = chooseForward(p);
        Choice c = p.forward;
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, c.mathType()), "cudnnSetConvolutionMathType");
        long[] size = new long[1];
        checkCudnn(JCudnn.cudnnGetConvolutionForwardWorkspaceSize(device.cudnn, p.x, p.w, p.conv, p.y, c.algo(), size),
                "cudnnGetConvolutionForwardWorkspaceSize");
        withWorkspace(size[0], "cudnnConvolutionForward(" + g + ", algo " + c.algo() + ")", (ws, bytes) ->
                JCudnn.cudnnConvolutionForward(device.cudnn, ONE, p.x, x, p.w, w, p.conv, c.algo(), ws, bytes, ZERO, p.y, y));
    }

    synchronized void backwardData(CUdeviceptr dy, CUdeviceptr w, CUdeviceptr dx, ConvGeometry g, boolean deterministic,
                                   boolean tf32) {
        Plan p = plan(g, deterministic, tf32);
        if (p.backwardData == null) p.backwardData = chooseBackwardData(p);
        Choice c = p.backwardData;
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, c.mathType()), "cudnnSetConvolutionMathType");
        long[] size = new long[1];
        checkCudnn(JCudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(device.cudnn, p.w, p.y, p.conv, p.x, c.algo(), size),
                "cudnnGetConvolutionBackwardDataWorkspaceSize");
        withWorkspace(size[0], "cudnnConvolutionBackwardData(" + g + ", algo " + c.algo() + ")", (ws, bytes) ->
                JCudnn.cudnnConvolutionBackwardData(device.cudnn, ONE, p.w, w, p.y, dy, p.conv, c.algo(), ws, bytes, ZERO,
                        p.x, dx));
    }

    synchronized void backwardFilter(CUdeviceptr x, CUdeviceptr dy, CUdeviceptr dw, ConvGeometry g, float beta,
                                     boolean deterministic, boolean tf32) {
        Plan p = plan(g, deterministic, tf32);
        if (p.backwardFilter == null) p.backwardFilter = chooseBackwardFilter(p);
        Choice c = p.backwardFilter;
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, c.mathType()), "cudnnSetConvolutionMathType");
        long[] size = new long[1];
        checkCudnn(JCudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(device.cudnn, p.x, p.y, p.conv, p.w, c.algo(), size),
                "cudnnGetConvolutionBackwardFilterWorkspaceSize");
        Pointer betaPtr = Pointer.to(new float[] {beta});
        withWorkspace(size[0], "cudnnConvolutionBackwardFilter(" + g + ", algo " + c.algo() + ")", (ws, bytes) ->
                JCudnn.cudnnConvolutionBackwardFilter(device.cudnn, ONE, p.x, x, p.y, dy, p.conv, c.algo(), ws, bytes,
                        betaPtr, p.w, dw));
    }

    /** The algorithms chosen so far, for diagnostics: geometry/mode -> fwd, bwd-data, bwd-filter. */
    Map<String, String> chosenAlgorithms() {
        Map<String, String> out = new java.util.TreeMap<>();
        plans.forEach((k, p) -> out.put(k.toString(), "fwd=" + p.forward + " bwdData=" + p.backwardData + " bwdFilter="
                + p.backwardFilter));
        return out;
    }
}
