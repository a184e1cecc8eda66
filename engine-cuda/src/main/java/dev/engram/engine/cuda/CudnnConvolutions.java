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

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.engram.engine.cuda.CudaDevice.checkCudnn;

/**
 * cuDNN convolutions (NCHW, float32, cross-correlation like the CPU's im2col). Descriptors and
 * the chosen algorithm of each direction are cached per (geometry, mode). Algorithms come from
 * cuDNN's heuristics ({@code cudnnGet*Algorithm_v7}), filtered by:
 * <ul>
 *   <li>deterministic mode (default): only algorithms cuDNN reports as deterministic;</li>
 *   <li>TF32 off (default): only FMA math ({@code CUDNN_FMA_MATH}), so fp32 stays fp32 on Ampere+.</li>
 * </ul>
 * If no candidate passes, the always-supported deterministic FMA algorithms are used (forward
 * IMPLICIT_GEMM, backward-data ALGO_1, backward-filter ALGO_1). Workspaces come from the
 * caching allocator and are returned after each call.
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

    CudnnConvolutions(CudaDevice device) {
        this.device = device;
    }

    private Plan plan(ConvGeometry g, boolean deterministic, boolean tf32) {
        return plans.computeIfAbsent(new Key(g, deterministic, tf32), Plan::new);
    }

    private static boolean acceptable(int status, int determinism, int mathType, Key key) {
        if (status != 0) return false;
        if (key.deterministic && determinism != cudnnDeterminism.CUDNN_DETERMINISTIC) return false;
        return key.tf32 || mathType == cudnnMathType.CUDNN_FMA_MATH;
    }

    private static int requestedMath(Key key) {
        return key.tf32 ? cudnnMathType.CUDNN_DEFAULT_MATH : cudnnMathType.CUDNN_FMA_MATH;
    }

    private Choice chooseForward(Plan p) {
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, requestedMath(p.key)), "cudnnSetConvolutionMathType");
        int max = cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
        cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[max];
        for (int i = 0; i < max; i++) perf[i] = new cudnnConvolutionFwdAlgoPerf();
        int[] returned = new int[1];
        checkCudnn(JCudnn.cudnnGetConvolutionForwardAlgorithm_v7(device.cudnn, p.x, p.w, p.conv, p.y, max, returned, perf),
                "cudnnGetConvolutionForwardAlgorithm_v7(" + p.key.geometry + ")");
        for (int i = 0; i < returned[0]; i++) {
            if (acceptable(perf[i].status, perf[i].determinism, perf[i].mathType, p.key)) {
                return new Choice(perf[i].algo, perf[i].mathType);
            }
        }
        return new Choice(cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, cudnnMathType.CUDNN_FMA_MATH);
    }

    private Choice chooseBackwardData(Plan p) {
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, requestedMath(p.key)), "cudnnSetConvolutionMathType");
        int max = cudnnConvolutionBwdDataAlgo.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
        cudnnConvolutionBwdDataAlgoPerf[] perf = new cudnnConvolutionBwdDataAlgoPerf[max];
        for (int i = 0; i < max; i++) perf[i] = new cudnnConvolutionBwdDataAlgoPerf();
        int[] returned = new int[1];
        checkCudnn(JCudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(device.cudnn, p.w, p.y, p.conv, p.x, max, returned,
                perf), "cudnnGetConvolutionBackwardDataAlgorithm_v7(" + p.key.geometry + ")");
        for (int i = 0; i < returned[0]; i++) {
            if (acceptable(perf[i].status, perf[i].determinism, perf[i].mathType, p.key)) {
                return new Choice(perf[i].algo, perf[i].mathType);
            }
        }
        return new Choice(cudnnConvolutionBwdDataAlgo.CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, cudnnMathType.CUDNN_FMA_MATH);
    }

    private Choice chooseBackwardFilter(Plan p) {
        checkCudnn(JCudnn.cudnnSetConvolutionMathType(p.conv, requestedMath(p.key)), "cudnnSetConvolutionMathType");
        int max = cudnnConvolutionBwdFilterAlgo.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
        cudnnConvolutionBwdFilterAlgoPerf[] perf = new cudnnConvolutionBwdFilterAlgoPerf[max];
        for (int i = 0; i < max; i++) perf[i] = new cudnnConvolutionBwdFilterAlgoPerf();
        int[] returned = new int[1];
        checkCudnn(JCudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(device.cudnn, p.x, p.y, p.conv, p.w, max, returned,
                perf), "cudnnGetConvolutionBackwardFilterAlgorithm_v7(" + p.key.geometry + ")");
        for (int i = 0; i < returned[0]; i++) {
            if (acceptable(perf[i].status, perf[i].determinism, perf[i].mathType, p.key)) {
                return new Choice(perf[i].algo, perf[i].mathType);
            }
        }
        return new Choice(cudnnConvolutionBwdFilterAlgo.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, cudnnMathType.CUDNN_FMA_MATH);
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
