package dev.engram.memorization.data;

import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.nn.Module;
import dev.engram.nn.train.LabeledBatch;

import java.util.ArrayList;
import java.util.List;

/**
 * A model's trainable parameters as one flat vector (concatenated in {@link Module#namedParameters()} order): read the
 * values or the gradients, write values back, and the gradient of the mean cross-entropy over a set of examples. For
 * the analyses that move the weights along a direction and back (finite-difference Hessian-vector products, a probe
 * step of SGD).
 */
public final class ParameterVector {
    private ParameterVector() { }

    /** The model's parameters that require gradients, in {@link Module#namedParameters()} order. */
    public static List<Tensor> trainable(Module model) {
        List<Tensor> out = new ArrayList<>();
        model.namedParameters().values().forEach(p -> { if (p.requiresGrad()) out.add(p); });
        return out;
    }

    /** Number of values of {@code params}. */
    public static int size(List<Tensor> params) {
        long dim = 0;
        for (Tensor p : params) dim += p.numel();
        return Math.toIntExact(dim);
    }

    /** The values of {@code params}, concatenated. */
    public static double[] values(List<Tensor> params) {
        return flatten(params, false);
    }

    /** The gradients of {@code params} (zeros where none), concatenated. */
    public static double[] gradients(List<Tensor> params) {
        return flatten(params, true);
    }

    private static double[] flatten(List<Tensor> params, boolean grads) {
        double[] out = new double[size(params)];
        int offset = 0;
        for (Tensor p : params) {
            Tensor t = grads ? p.grad() : p;
            if (t != null) {
                float[] f = t.toFloatArray();
                for (int i = 0; i < f.length; i++) out[offset + i] = f[i];
            }
            offset += (int) p.numel();
        }
        return out;
    }

    /** Writes the concatenated values {@code v} (rounded to float) into {@code params}. */
    public static void set(List<Tensor> params, double[] v) {
        if (v.length != size(params)) {
            throw new IllegalArgumentException("parameter vector: " + v.length + " values for " + size(params) + " parameters");
        }
        int offset = 0;
        for (Tensor p : params) {
            int size = (int) p.numel();
            float[] f = new float[size];
            for (int i = 0; i < size; i++) f[i] = (float) v[offset + i];
            try (TensorScope s = Tensors.scope()) {
                p.copyFrom(Tensor.of(f, p.shape()));
            }
            offset += size;
        }
    }

    /**
     * Gradient with respect to {@code params} of the mean cross-entropy of {@code model} (in its current mode) over
     * {@code data} with its labels, in batches of {@code batchSize}; leaves the gradients zeroed.
     */
    public static double[] meanLossGradient(Module model, List<Tensor> params, ExampleSet data, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("parameter vector: batch size must be >= 1, got " + batchSize);
        model.zeroGrad();
        int n = data.size();
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            try (TensorScope s = Tensors.scope()) {
                LabeledBatch lb = new LabeledBatch(data.images(from, to), data.labelTensor(from, to), data.ids(from, to));
                int[] idx = new int[to - from];
                for (int i = 0; i < idx.length; i++) idx[i] = i;
                PerExampleLosses.losses(model, lb, idx).sum().mul(1f / n).backward();
            }
        }
        double[] g = gradients(params);
        model.zeroGrad();
        return g;
    }
}
