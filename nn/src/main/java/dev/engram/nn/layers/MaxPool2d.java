package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** Max pooling with a square window, as PyTorch's {@code nn.MaxPool2d} (stride defaults to the kernel). */
public class MaxPool2d extends Module {
    private final int kernel, stride, padding;

    /**
     * A {@code kernel x kernel} window moved by {@code stride}, with padding of at most half the kernel (padded cells
     * never win); other values throw {@link IllegalArgumentException}.
     */
    public MaxPool2d(int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel) {
            throw new IllegalArgumentException("MaxPool2d: invalid kernel=" + kernel + " stride=" + stride + " padding=" + padding
                    + " (padding must be at most half the kernel)");
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /** Non-overlapping windows: stride = kernel, no padding. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.maxPool2d(x, kernel, stride, padding);
    }
}
