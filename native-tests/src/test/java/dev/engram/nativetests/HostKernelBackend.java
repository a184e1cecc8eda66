package dev.engram.nativetests;

import dev.engram.engine.DType;
import dev.engram.engine.cpu.CpuBackend;
import dev.engram.engine.cuda.CudaBackend;
import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.ConvGeometry;
import dev.engram.engine.spi.Distribution;
import dev.engram.engine.spi.PoolGeometry;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import dev.engram.engine.spi.UnaryOp;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;

import static dev.engram.nativetests.HostKernels.launch;

/**
 * A {@link Backend} whose kernels are {@code kernels.cu} run on the CPU by {@link HostKernels}:
 * each kernel op repeats {@code CudaBackend}'s launch (kernel name, grid, block, argument list,
 * and its own struct packing, called by reflection); memory, GEMM and convolutions (cuBLAS and
 * cuDNN on a GPU) are the CPU backend's. Selected with {@code -Dengram.nativetests.device=host}.
 */
final class HostKernelBackend {
    private static final int THREADS = 256;
    private static final Backend CPU = CpuBackend.INSTANCE;

    private HostKernelBackend() {}

    /** The backend: kernel ops of this class, everything else delegated to the CPU backend. */
    static Backend create() {
        HostKernelBackend k = new HostKernelBackend();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, m, args) -> {
            Method own;
            try {
                own = HostKernelBackend.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                own = null;
            }
            try {
                return own != null ? own.invoke(k, args) : m.invoke(CPU, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static Object cuda(String method, Object... args) {
        for (Method m : CudaBackend.class.getDeclaredMethods()) {
            if (m.getName().equals(method) && m.getParameterCount() == args.length) {
                try {
                    m.setAccessible(true);
                    return m.invoke(null, args);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("CudaBackend." + method + ": " + e, e);
                }
            }
        }
        throw new IllegalStateException("CudaBackend has no static " + method);
    }

    private static HostKernels.Ptr p(Storage s) {
        return new HostKernels.Ptr(s, 0);
    }

    private static HostKernels.Ptr p(Storage s, long offset) {
        return new HostKernels.Ptr(s, offset);
    }

    private static void grid(String kernel, long n, Object... args) {
        launch(kernel, Math.min((n + THREADS - 1) / THREADS, 1L << 20), THREADS, args);
    }

    private static int rowThreads(long len) {
        return (Integer) cuda("rowThreads", len);
    }

    private static int numel(int[] s) {
        int p = 1;
        for (int d : s) p *= d;
        return p;
    }

    private static void checkIndices(Storage index, int count, int bound, String op, String what) {
        int[] host = new int[count];
        CPU.readInts(index, 0, host, 0, count);
        for (int i = 0; i < count; i++) {
            if (host[i] < 0 || host[i] >= bound) {
                if (op.equals("cross_entropy")) throw new IllegalArgumentException("cross_entropy: label " + host[i] + " of example " + i);
                throw new IndexOutOfBoundsException(op + ": " + what + " " + host[i] + " at position " + i);
            }
        }
    }

    // ---- kernel ops: CudaBackend's launches ------------------------------------------------

    void intToFloat(Storage src, Storage dst, long count) {
        grid("int_to_float", count, p(src), p(dst), count);
    }

    void unary(UnaryOp op, float alpha, Storage x, Storage y, long count) {
        grid("unary_forward", count, op.ordinal(), alpha, p(x), p(y), count);
    }

    void unaryBackward(UnaryOp op, float alpha, Storage x, Storage y, Storage dy, Storage dx, long count) {
        grid("unary_backward", count, op.ordinal(), alpha, p(x), p(y), p(dy), p(dx), count);
    }

    void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape) {
        int total = numel(outShape);
        if (Arrays.equals(aShape, outShape) && Arrays.equals(bShape, outShape)) {
            grid("binary_same_shape", total, op.ordinal(), p(a), p(b), p(out), (long) total);
            return;
        }
        grid("binary_broadcast", total, op.ordinal(), p(a), p(b), p(out), (long) total, cuda("broadcastIndex", aShape, bShape, outShape));
    }

    void where(Storage cond, Storage a, Storage b, Storage out, long count) {
        grid("where_select", count, p(cond), p(a), p(b), p(out), count);
    }

    void reduce(ReduceOp op, Storage x, Storage out, int outer, int r, int inner) {
        long outputs = (long) outer * inner;
        if (outputs == 0) return;
        if (r == 0) {
            CPU.fill(out, 0, outputs, 0f);
            return;
        }
        if (r > 1024 && outputs < 8192) launch("reduce_block", outputs, THREADS, op.ordinal(), p(x), p(out), outer, r, inner);
        else grid("reduce_sequential", outputs, op.ordinal(), p(x), p(out), outer, r, inner);
    }

    void argmax(Storage x, Storage out, int outer, int r, int inner) {
        grid("argmax_kernel", (long) outer * inner, p(x), p(out), outer, r, inner);
    }

    void softmax(Storage x, Storage y, int outer, int r, int inner, boolean log) {
        grid("softmax_forward", (long) outer * inner, p(x), p(y), outer, r, inner, log ? 1 : 0);
    }

    void softmaxBackward(Storage y, Storage dy, Storage dx, int outer, int r, int inner, boolean log) {
        grid("softmax_backward", (long) outer * inner, p(y), p(dy), p(dx), outer, r, inner, log ? 1 : 0);
    }

    void crossEntropy(Storage logits, Storage labels, Storage loss, Storage probs, int batch, int classes) {
        checkIndices(labels, batch, classes, "cross_entropy", "label");
        grid("cross_entropy_forward", batch, p(logits), p(labels), p(loss), p(probs), batch, classes);
    }

    void crossEntropyBackward(Storage probs, Storage labels, Storage dloss, Storage dlogits, int batch, int classes) {
        grid("cross_entropy_backward", (long) batch * classes, p(probs), p(labels), p(dloss), p(dlogits), batch, classes);
    }

    void im2col(Storage x, long xOffset, Storage cols, long colsOffset, ConvGeometry g) {
        grid("im2col_kernel", (long) g.colRows() * g.colCols(), p(x, xOffset), p(cols, colsOffset), cuda("convShape", g));
    }

    private static long poolIn(PoolGeometry g) {
        return (long) g.n() * g.c() * g.h() * g.w();
    }

    private static long poolOut(PoolGeometry g) {
        return (long) g.n() * g.c() * g.outH() * g.outW();
    }

    void maxPool2dForward(Storage x, Storage y, Storage idx, PoolGeometry g) {
        grid("max_pool_forward", poolOut(g), p(x), p(y), p(idx), cuda("poolShape", g));
    }

    void maxPool2dBackward(Storage dy, Storage idx, Storage dx, PoolGeometry g) {
        grid("max_pool_backward", poolIn(g), p(dy), p(idx), p(dx), cuda("poolShape", g));
    }

    void avgPool2dForward(Storage x, Storage y, PoolGeometry g) {
        grid("avg_pool_forward", poolOut(g), p(x), p(y), cuda("poolShape", g), 1f / (g.kh() * g.kw()));
    }

    void avgPool2dBackward(Storage dy, Storage dx, PoolGeometry g) {
        grid("avg_pool_backward", poolIn(g), p(dy), p(dx), cuda("poolShape", g), 1f / (g.kh() * g.kw()));
    }

    void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage y, Storage mean, Storage inv, Storage rm, Storage rv,
                        int n, int c, int hw, float momentum, float eps) {
        launch("batch_norm_train", c, rowThreads((long) n * hw), p(x), p(gamma), p(beta), p(y), p(mean), p(inv), p(rm), p(rv),
                n, c, hw, momentum, eps);
    }

    void batchNormInfer(Storage x, Storage gamma, Storage beta, Storage mean, Storage var, Storage y, int n, int c, int hw,
                        float eps) {
        grid("batch_norm_infer", (long) n * c * hw, p(x), p(gamma), p(beta), p(mean), p(var), p(y), n, c, hw, eps);
    }

    void batchNormBackward(Storage dy, Storage x, Storage gamma, Storage mean, Storage inv, Storage dx, Storage dg, Storage db,
                           int n, int c, int hw, boolean batchStats) {
        launch("batch_norm_backward", c, rowThreads((long) n * hw), p(dy), p(x), p(gamma), p(mean), p(inv), p(dx), p(dg), p(db),
                n, c, hw, batchStats ? 1 : 0);
    }

    void layerNormForward(Storage x, Storage gamma, Storage beta, Storage y, Storage mean, Storage inv, int rows, int cols,
                          float eps) {
        launch("layer_norm_forward", rows, rowThreads(cols), p(x), p(gamma), p(beta), p(y), p(mean), p(inv), rows, cols, eps);
    }

    void layerNormBackward(Storage dy, Storage x, Storage gamma, Storage mean, Storage inv, Storage dx, Storage dg, Storage db,
                           int rows, int cols) {
        if (dx != null) {
            launch("layer_norm_backward_input", rows, rowThreads(cols), p(dy), p(x), p(gamma), p(mean), p(inv), p(dx), rows, cols);
        }
        if (dg != null || db != null) {
            grid("layer_norm_backward_params", cols, p(dy), p(x), p(mean), p(inv), p(dg), p(db), rows, cols);
        }
    }

    void channelMask(Storage x, Storage mask, Storage y, int n, int c, int inner, boolean perExample) {
        grid("channel_mask", (long) n * c * inner, p(x), p(mask), p(y), n, c, inner, perExample ? 1 : 0);
    }

    void channelMaskGradMask(Storage x, Storage dy, Storage dmask, int n, int c, int inner, boolean perExample) {
        launch("channel_mask_grad_mask", c, rowThreads(inner), p(x), p(dy), p(dmask), n, c, inner, perExample ? 1 : 0);
    }

    void indexSelect(Storage src, int srcRows, int cols, Storage index, Storage out, int count) {
        checkIndices(index, count, srcRows, "index_select", "index");
        grid("index_select", (long) count * cols, p(src), cols, p(index), p(out), count);
    }

    void indexAdd(Storage src, int cols, Storage index, Storage dst, int dstRows, int count) {
        checkIndices(index, count, dstRows, "index_add", "index");
        grid("index_add", cols, p(src), cols, p(index), p(dst), count);
    }

    void copyBlocks(Storage src, long srcOffset, long srcStride, Storage dst, long dstOffset, long dstStride, int outer, int inner) {
        if (outer == 0 || inner == 0) return;
        grid("copy_blocks", (long) outer * inner, p(src), srcOffset, srcStride, p(dst), dstOffset, dstStride, outer, inner);
    }

    void permute(Storage x, int[] shape, int[] perm, Storage out) {
        int total = numel(shape);
        grid("permute_kernel", total, p(x), p(out), (long) total, cuda("permuteIndex", shape, perm));
    }

    void sgdUpdate(Storage param, Storage grad, Storage buf, long count, float lr, float momentum, float dampening, float wd,
                   boolean nesterov, boolean firstStep) {
        grid("sgd_update", count, p(param), p(grad), p(buf), count, lr, momentum, dampening, wd, nesterov ? 1 : 0, firstStep ? 1 : 0);
    }

    void adamwUpdate(Storage param, Storage grad, Storage m, Storage v, long count, float lr, float beta1, float beta2, float eps,
                     float wd, long step) {
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        grid("adamw_update", count, p(param), p(grad), p(m), p(v), count, lr, beta1, beta2, eps, wd, (float) (lr / bc1),
                (float) Math.sqrt(bc2));
    }

    void randomFill(Storage dst, long count, Distribution dist, float a, float b, long seed, long counterOffset) {
        if (dst.dtype() != DType.FLOAT32) throw new IllegalArgumentException("random: int32 destination");
        grid("random_fill", (count + 3) / 4, p(dst), count, dist.ordinal(), a, b, seed, counterOffset);
    }
}
