package dev.engram.nn.init;

import dev.engram.engine.Tensor;

/**
 * Parameter initializers. Every random initializer draws from Philox with an explicit seed, so
 * values are the same on every backend and in every run. The defaults of the layers follow
 * PyTorch: Linear and Conv2d weights and biases {@code U(-1/sqrt(fan_in), 1/sqrt(fan_in))}
 * (PyTorch's {@code kaiming_uniform_(a=sqrt(5))} reduces to exactly this bound), norm layers
 * weight 1 / bias 0.
 */
public final class Init {
    private Init() {}

    /** Values uniform on {@code [-bound, bound)}. */
    public static Tensor uniform(long seed, float bound, int... shape) {
        if (!(bound >= 0) || Float.isInfinite(bound)) {
            throw new IllegalArgumentException("Init.uniform: bound must be finite and >= 0, got " + bound);
        }
        return Tensor.rand(seed, -bound, bound, shape);
    }

    /** Values normal with mean 0 and standard deviation {@code std}. */
    public static Tensor normal(long seed, float std, int... shape) {
        if (!(std >= 0) || Float.isInfinite(std)) {
            throw new IllegalArgumentException("Init.normal: std must be finite and >= 0, got " + std);
        }
        Tensor t = Tensor.randn(seed, shape);
        return std == 1f ? t : t.mul(std);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor constant(float value, int... shape) {
        return Tensor.full(value, shape);
    }

    /**
     * Fan-in of a weight shaped {@code [out, in, k...]} (PyTorch's rule): {@code in * prod(k)};
     * for a 2-D weight {@code [out, in]} it is {@code in}.
     */
    public static int fanIn(int... weightShape) {
        if (weightShape.length < 2) {
            throw new IllegalArgumentException("Init.fanIn: a weight needs at least 2 axes, got " + java.util.Arrays.toString(weightShape));
        }
        int f = weightShape[1];
        for (int k = 2; k < weightShape.length; k++) f *= weightShape[k];
        return f;
    }

    /** Fan-out of a weight shaped {@code [out, in, k...]}: {@code out * prod(k)}. */
    public static int fanOut(int... weightShape) {
        if (weightShape.length < 2) {
            throw new IllegalArgumentException("Init.fanOut: a weight needs at least 2 axes, got " + java.util.Arrays.toString(weightShape));
        }
        int f = weightShape[0];
        for (int k = 2; k < weightShape.length; k++) f *= weightShape[k];
        return f;
    }

    /** PyTorch's default for Linear/Conv weights and biases: {@code U(±1/sqrt(fanIn))}. */
    public static Tensor defaultUniform(long seed, int fanIn, int... shape) {
        if (fanIn <= 0) throw new IllegalArgumentException("Init.defaultUniform: fan-in must be positive, got " + fanIn);
        return uniform(seed, (float) (1.0 / Math.sqrt(fanIn)), shape);
    }

    /**
     * He normal initialization with fan-out and gain sqrt(2), as torchvision's ResNets use for
     * conv weights ({@code kaiming_normal_(mode="fan_out", nonlinearity="relu")}).
     */
    public static Tensor kaimingNormalFanOut(long seed, int... weightShape) {
        return normal(seed, (float) Math.sqrt(2.0 / fanOut(weightShape)), weightShape);
    }
}
