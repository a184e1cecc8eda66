package dev.engram.engine.spi;

import dev.engram.engine.DType;
import dev.engram.engine.Device;

/**
 * The kernels a device must provide. Every differentiable op is written once, above this
 * interface, in terms of these kernels; a new backend implements kernels, never autograd.
 *
 * <p>All tensors are contiguous row-major. Offsets and counts are in elements. Kernels never
 * allocate their outputs: the caller passes storage of the right length. The CPU backend is
 * the reference implementation every other backend is tested against.
 */
public interface Backend {
    /** The device whose memory this backend's storage lives in. */
    Device device();

    // ---- memory ----------------------------------------------------------------------------

    /**
     * New storage of {@code length} elements of {@code dtype}: zeros on the CPU backend, unspecified contents on others
     * (tensor factories fill what they need).
     */
    Storage allocate(DType dtype, long length);

    /**
     * Storage whose contents are unspecified, for an output the caller overwrites entirely before
     * reading it (a backend may then skip clearing recycled memory). Defaults to {@link #allocate}.
     */
    default Storage allocateForOverwrite(DType dtype, long length) {
        return allocate(dtype, length);
    }

    /** New float32 storage holding a copy of {@code data}. */
    Storage fromFloats(float[] data);

    /** New int32 storage holding a copy of {@code data}. */
    Storage fromInts(int[] data);

    /**
     * Copies {@code count} float32 elements of {@code src}, from element {@code srcOffset} on, into the host array
     * {@code dst} from {@code dstOffset} on.
     */
    void readFloats(Storage src, long srcOffset, float[] dst, int dstOffset, int count);

    /**
     * Copies {@code count} int32 elements of {@code src}, from element {@code srcOffset} on, into the host array
     * {@code dst} from {@code dstOffset} on.
     */
    void readInts(Storage src, long srcOffset, int[] dst, int dstOffset, int count);

    /**
     * Copies {@code count} elements from {@code src} (from {@code srcOffset} on) to {@code dst} (from {@code dstOffset}
     * on); both have the same dtype.
     */
    void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long count);

    /**
     * Sets {@code count} elements of {@code dst}, from {@code offset} on, to {@code value} (converted to int,
     * truncating, for int32 storage).
     */
    void fill(Storage dst, long offset, long count, float value);

    /** Copies an int32 storage into a float32 one (values converted exactly). */
    void intToFloat(Storage src, Storage dst, long count);

    // ---- matrix products -------------------------------------------------------------------

    /** Row-major {@code C = alpha op(A) op(B) + beta C}; beta = 0 overwrites C. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              Storage a, long aOffset, int lda, Storage b, long bOffset, int ldb,
              float beta, Storage c, long cOffset, int ldc);

    /** {@link #gemm} over {@code batch} matrices spaced by the given strides. */
    void gemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            Storage a, long aOffset, int lda, long strideA,
                            Storage b, long bOffset, int ldb, long strideB,
                            float beta, Storage c, long cOffset, int ldc, long strideC, int batch);

    // ---- element-wise ----------------------------------------------------------------------

    /**
     * {@code y = op(x)} element by element. {@link UnaryOp#RELU} is {@code x <= 0 ? +0 : x} (NaN propagates, as in
     * PyTorch) and its backward {@code x <= 0 ? 0 : dy}.
     */
    void unary(UnaryOp op, float alpha, Storage x, Storage y, long count);

    /** {@code dx = dy * f'(x)} for {@code y = f(x)}; kernels may use x or y, whichever is cheaper. */
    void unaryBackward(UnaryOp op, float alpha, Storage x, Storage y, Storage dy, Storage dx, long count);

    /** {@code out = a op b} with NumPy broadcasting of {@code aShape} and {@code bShape} to {@code outShape}. */
    void binary(BinaryOp op, Storage a, int[] aShape, Storage b, int[] bShape, Storage out, int[] outShape);

    /** {@code y[i] = x[i] ? a : b} style select: {@code out = cond != 0 ? a : b}, all the same length. */
    void where(Storage cond, Storage a, Storage b, Storage out, long count);

    // ---- reductions and softmax ------------------------------------------------------------

    /**
     * Reduces {@code x} viewed as {@code [outer, r, inner]} over the middle axis into {@code [outer, inner]}.
     * {@link ReduceOp#MAX MAX} and {@link ReduceOp#MIN MIN} fold {@link Math#max(float, float)} /
     * {@link Math#min(float, float)}: NaN if any element is NaN (as PyTorch), and {@code +0.0 > -0.0};
     * both are order-independent, so every backend returns the same bits whatever its reduction order.
     */
    void reduce(ReduceOp op, Storage x, Storage out, int outer, int r, int inner);

    /**
     * Index of the maximum along the middle axis of {@code [outer, r, inner]} into an int32 {@code [outer, inner]}:
     * the first index whose value equals the {@link ReduceOp#MAX MAX} reduction, so the first NaN if there is
     * one, the first of tied maxima, and {@code +0.0} before {@code -0.0}.
     */
    void argmax(Storage x, Storage out, int outer, int r, int inner);

    /** Softmax (or log-softmax) along the middle axis of {@code [outer, r, inner]}. */
    void softmax(Storage x, Storage y, int outer, int r, int inner, boolean log);

    /** Backward of {@link #softmax} given its output {@code y}. */
    void softmaxBackward(Storage y, Storage dy, Storage dx, int outer, int r, int inner, boolean log);

    /**
     * Fused cross-entropy with integer labels: per-example loss {@code -log softmax(logits)[label]}
     * and the probabilities (kept for backward). Labels outside {@code [0, classes)} throw.
     */
    void crossEntropy(Storage logits, Storage labels, Storage loss, Storage probs, int batch, int classes);

    /** {@code dlogits[i] = dloss[i] * (probs[i] - onehot(label[i]))}. */
    void crossEntropyBackward(Storage probs, Storage labels, Storage dloss, Storage dlogits, int batch, int classes);

    // ---- convolution and pooling -----------------------------------------------------------

    /**
     * {@code y = conv(x, w)} without bias: x {@code [N, C, H, W]}, w {@code [K, C, R, S]}, y {@code [N, K, outH, outW]}
     * (overwritten), sizes from {@code g}.
     */
    void conv2dForward(Storage x, Storage w, Storage y, ConvGeometry g);

    /**
     * {@code y = conv(x, w) + bias}, the bias ({@code [K]}, or null for none) added to every output
     * position of its channel after the convolution sum, so the result equals
     * {@link #conv2dForward} followed by a broadcast add. The default does exactly that; a backend
     * may fuse the add into the convolution's output pass.
     */
    default void conv2dForward(Storage x, Storage w, Storage bias, Storage y, ConvGeometry g) {
        conv2dForward(x, w, y, g);
        if (bias != null) {
            int[] ys = {g.n(), g.k(), g.outH(), g.outW()};
            binary(BinaryOp.ADD, y, ys, bias, new int[] {g.k(), 1, 1}, y, ys);
        }
    }

    /**
     * Input gradient of {@link #conv2dForward}: {@code dx [N, C, H, W]} (overwritten) from
     * {@code dy [N, K, outH, outW]} and the weights {@code w}.
     */
    void conv2dBackwardData(Storage dy, Storage w, Storage dx, ConvGeometry g);

    /** {@code dw = beta*dw + sum over the batch}; beta 0 overwrites. */
    void conv2dBackwardFilter(Storage x, Storage dy, Storage dw, ConvGeometry g, float beta);

    /**
     * Per-example filter gradients of examples {@code b0 .. b0+n-1}, {@code x} and {@code dy} as for
     * {@link #conv2dBackwardFilter}: {@code g_j = dy_{b0+j} ⋆ x_{b0+j}}, {@code [K, C·R·S]} each, written to
     * {@code out} from element {@code outOffset} on (unless out is null), their squared norms to
     * {@code squaredNorms[j]} (unless null), and their sum added to {@code sum} ({@code [K, C·R·S]}, unless null),
     * in an order that does not depend on the number of threads. Returns false, touching nothing, where the
     * backend has no such kernel (the caller then forms the gradients by {@link #im2col} and
     * {@link #gemmStridedBatched}); with {@code n = 0} it only answers that.
     */
    default boolean conv2dPerExampleFilterGradients(Storage x, Storage dy, ConvGeometry g, int b0, int n, Storage out,
                                                    long outOffset, float[] squaredNorms, Storage sum) {
        return false;
    }

    /** im2col of example {@code example}: {@code cols[c*r*s, outH*outW]}. */
    void im2col(Storage x, long xOffset, Storage cols, long colsOffset, ConvGeometry g);

    /**
     * Max pooling of x {@code [N, C, H, W]} into y {@code [N, C, outH, outW]}; {@code argmaxIndex} (int32, y's shape)
     * receives the winner of each window as {@code iy * W + ix} within its plane: the last NaN if the window holds one,
     * else the first maximum.
     */
    void maxPool2dForward(Storage x, Storage y, Storage argmaxIndex, PoolGeometry g);

    /**
     * Backward of {@link #maxPool2dForward}: {@code dx} is overwritten with zeros, then each element of {@code dy} is
     * added at its window's recorded index.
     */
    void maxPool2dBackward(Storage dy, Storage argmaxIndex, Storage dx, PoolGeometry g);

    /**
     * Average pooling of x {@code [N, C, H, W]} into y {@code [N, C, outH, outW]}: every window's sum divided by
     * {@code kh * kw}, padded cells counting as zeros.
     */
    void avgPool2dForward(Storage x, Storage y, PoolGeometry g);

    /**
     * Backward of {@link #avgPool2dForward}: {@code dx} (overwritten) receives each {@code dy} element divided by
     * {@code kh * kw} at every unpadded cell of its window.
     */
    void avgPool2dBackward(Storage dy, Storage dx, PoolGeometry g);

    // ---- normalization ---------------------------------------------------------------------

    /**
     * Batch-norm in training mode over {@code x[n, c, hw]}: batch statistics, saved mean and
     * inverse std per channel, and (if non-null) running statistics updated with momentum using
     * the unbiased variance, as PyTorch does.
     */
    void batchNormTrain(Storage x, Storage gamma, Storage beta, Storage y, Storage saveMean, Storage saveInvStd,
                        Storage runningMean, Storage runningVar, int n, int c, int hw, float momentum, float eps);

    /** Batch-norm with given statistics (evaluation mode). */
    void batchNormInfer(Storage x, Storage gamma, Storage beta, Storage mean, Storage var, Storage y,
                        int n, int c, int hw, float eps);

    /**
     * Backward of batch-norm. With {@code useBatchStats} the statistics' dependence on x is
     * differentiated (training mode); otherwise mean and invStd are constants (evaluation mode).
     * Any of dx, dgamma, dbeta may be null.
     */
    void batchNormBackward(Storage dy, Storage x, Storage gamma, Storage mean, Storage invStd,
                           Storage dx, Storage dgamma, Storage dbeta, int n, int c, int hw, boolean useBatchStats);

    /**
     * Per-example gradients of batch norm's affine parameters, x and dy {@code [N, C, HW]}: for example b and
     * channel c, {@code dbeta[b·C + c] = Σ dy} and {@code dgamma[b·C + c] = invStd[c] · Σ dy·(x − m)} over the HW
     * values of that example's channel, where m is mean[c] or, with {@code useBatchStats}, the batch's own mean
     * of the channel (as {@link #batchNormBackward} centres it), so that the per-example gradients sum to the
     * batch's. Either output may be null. Returns false, touching nothing, where the backend has no such kernel
     * (the caller then forms them from element-wise products and row sums); with {@code n = 0} it only answers that.
     */
    default boolean batchNormPerExampleAffineGradients(Storage dy, Storage x, Storage mean, Storage invStd, Storage dgamma,
                                                       Storage dbeta, int n, int c, int hw, boolean useBatchStats) {
        return false;
    }

    /** Layer-norm over the last {@code cols} elements of each of {@code rows} rows. gamma/beta may be null. */
    void layerNormForward(Storage x, Storage gamma, Storage beta, Storage y, Storage saveMean, Storage saveInvStd,
                          int rows, int cols, float eps);

    /**
     * Backward of {@link #layerNormForward} from its saved per-row mean and inverse std: {@code dx} (overwritten), and
     * {@code dgamma}, {@code dbeta} summed over the rows. Any of dx, dgamma, dbeta may be null, and gamma too (a scale
     * of 1).
     */
    void layerNormBackward(Storage dy, Storage x, Storage gamma, Storage mean, Storage invStd,
                           Storage dx, Storage dgamma, Storage dbeta, int rows, int cols);

    // ---- masks, indexing -------------------------------------------------------------------

    /**
     * {@code y[b, c, i] = x[b, c, i] * m[perExample ? b*C + c : c]} over {@code x[n, c, inner]}.
     */
    void channelMask(Storage x, Storage mask, Storage y, int n, int c, int inner, boolean perExample);

    /**
     * Gradient of {@link #channelMask} with respect to the mask: {@code dm[(b,)c] = sum_i dy*x}
     * (summed over the batch when the mask is shared).
     */
    void channelMaskGradMask(Storage x, Storage dy, Storage dmask, int n, int c, int inner, boolean perExample);

    /** {@code out[i, :] = src[index[i], :]} with rows of {@code cols} elements; indices are checked. */
    void indexSelect(Storage src, int srcRows, int cols, Storage index, Storage out, int count);

    /** {@code dst[index[i], :] += src[i, :]} (backward of index-select). */
    void indexAdd(Storage src, int cols, Storage index, Storage dst, int dstRows, int count);

    /**
     * Copies a strided block: for an {@code outer x inner} grid of rows, copies {@code inner}
     * elements from {@code src[srcOffset + o*srcStride]} to {@code dst[dstOffset + o*dstStride]}.
     * Used for slicing and concatenation along any axis.
     */
    void copyBlocks(Storage src, long srcOffset, long srcStride, Storage dst, long dstOffset, long dstStride,
                    int outer, int inner);

    /** Permutes the axes of a contiguous tensor: {@code out} has shape {@code shape[perm[i]]}. */
    void permute(Storage x, int[] shape, int[] perm, Storage out);

    // ---- optimizers ------------------------------------------------------------------------

    /**
     * SGD with PyTorch semantics: {@code g = grad + wd*p; buf = momentum*buf + (1-dampening)*g}
     * (buf = g on the first step); {@code d = nesterov ? g + momentum*buf : buf; p -= lr*d}.
     * {@code momentumBuffer} may be null when momentum is 0.
     */
    void sgdUpdate(Storage param, Storage grad, Storage momentumBuffer, long count, float lr, float momentum,
                   float dampening, float weightDecay, boolean nesterov, boolean firstStep);

    /** AdamW with decoupled weight decay; {@code step} counts from 1. */
    void adamwUpdate(Storage param, Storage grad, Storage m, Storage v, long count, float lr, float beta1,
                     float beta2, float eps, float weightDecay, long step);

    // ---- random ----------------------------------------------------------------------------

    /**
     * Fills with Philox4x32-10 counter-based random numbers: element i uses counter
     * {@code (counterOffset + i/4)} under key {@code seed}, so any backend produces the same
     * numbers for the same (seed, offset).
     */
    void randomFill(Storage dst, long count, Distribution dist, float a, float b, long seed, long counterOffset);
}
