package dev.engram.memorization.flip;

import dev.engram.engine.Functional;
import dev.engram.engine.Grad;
import dev.engram.engine.PerExample;
import dev.engram.engine.PerExampleGradients;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.models.HasTaps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The weight-level variant of greedy neuron flipping ({@link NeuronFlipping.Variant#WEIGHTS}, what the reference code
 * does, docs/methods.md §5): units are conv filters and single scalars of the other parameters, zeroed in place; one target at
 * a time.
 */
final class WeightFlipping extends NeuronFlipping {
    WeightFlipping(Module model, ExampleSet data, Options options) {
        this(model, data, options, new int[0]);
    }

    WeightFlipping(Module model, ExampleSet data, Options options, int[] notReference) {
        super(model, data, options, notReference);
    }

    @Override
    int targetsPerChunk() {
        return 1;
    }

    @Override
    List<Target> searchTargets(int[] rows) {
        List<Target> out = new ArrayList<>();
        for (int row : rows) {
            out.add(searchWeights(row));
            finished(out.size(), rows.length);
        }
        return out;
    }

    private Target searchWeights(int target) {
        Map<String, Tensor> params = model.namedParameters();
        Map<String, float[]> original = new LinkedHashMap<>();
        Map<String, float[]> edited = new LinkedHashMap<>();
        int k = options.noisyCopies(), classes = data.numClasses();
        int label = data.labels()[target];
        int count = 0, initial = -1, fin = -1;
        boolean flipped = false;
        List<Unit> units = new ArrayList<>();
        params.values().forEach(p -> p.requiresGrad(true));
        try {
            while (true) {
                model.zeroGrad();
                float weight = 1f / (referenceRows.length + 1);
                int pred;
                try (TensorScope s = Tensors.scope()) {
                    Tensor logits;
                    try (BatchContext c = BatchContext.of(repeatIds(new int[] {target}, k))) {
                        logits = model.forward(noisyInputs(new int[] {target}, new int[] {count}, k, 0));
                    }
                    Tensor robust = robust(logits, k, 1);
                    pred = Evaluation.argmax(robust.toFloatArray(), 0, classes);
                    if (count == 0) initial = pred;
                    fin = pred;
                    if (pred != label) {
                        flipped = true;
                        break;
                    }
                    if (count >= options.maxUnits()) break;
                    Functional.crossEntropyPerExample(robust, labels(new int[] {target})).sum().neg().backward();
                }
                // reference term under the current edits, noise of the same iteration
                int chunk = Math.max(1, options.evalBatchSize() / k);
                for (int from = 0; from < referenceRows.length; from += chunk) {
                    int[] rows = Arrays.copyOfRange(referenceRows, from, Math.min(referenceRows.length, from + chunk));
                    int[] iters = new int[rows.length];
                    Arrays.fill(iters, count);
                    try (TensorScope s = Tensors.scope()) {
                        Tensor logits;
                        try (BatchContext c = BatchContext.of(repeatIds(rows, k))) {
                            logits = model.forward(noisyInputs(rows, iters, k, 0));
                        }
                        Functional.crossEntropyPerExample(robust(logits, k, rows.length), labels(rows)).sum().mul(weight).backward();
                    }
                }
                String bestName = null;
                int bestUnit = -1;
                double best = 0;
                for (var e : params.entrySet()) {
                    Tensor p = e.getValue();
                    if (p.grad() == null) continue;
                    float[] w = edited.containsKey(e.getKey()) ? edited.get(e.getKey()) : p.toFloatArray();
                    float[] g = p.grad().toFloatArray();
                    int per = p.rank() == 4 ? (int) (p.numel() / p.dim(0)) : 1; // conv: one unit per output filter
                    for (int u = 0; u < w.length / per; u++) {
                        double su = 0;
                        for (int q = u * per; q < (u + 1) * per; q++) su += (double) w[q] * g[q];
                        if (su > best) {
                            best = su;
                            bestName = e.getKey();
                            bestUnit = u;
                        }
                    }
                }
                if (bestName == null) break;
                Tensor p = params.get(bestName);
                float[] w = edited.computeIfAbsent(bestName, nm -> p.toFloatArray());
                original.computeIfAbsent(bestName, nm -> p.toFloatArray());
                int per = p.rank() == 4 ? (int) (p.numel() / p.dim(0)) : 1;
                Arrays.fill(w, bestUnit * per, (bestUnit + 1) * per, 0f);
                try (TensorScope s = Tensors.scope()) {
                    p.copyFrom(Tensor.of(w, p.shape()));
                }
                units.add(new Unit(bestName, bestUnit));
                count++;
            }
            model.zeroGrad();
            params.values().forEach(p -> p.requiresGrad(false));
            double[] rem = evalRows.length == 0 ? new double[] {Double.NaN, Double.NaN} : remainingAccuracy(target);
            return new Target(target, data.ids()[target], label, data.noisy()[target], initial, flipped, count,
                    List.copyOf(units), fin, rem[0], rem[1]);
        } finally {
            for (var e : original.entrySet()) {
                Tensor p = params.get(e.getKey());
                try (TensorScope s = Tensors.scope()) {
                    p.copyFrom(Tensor.of(e.getValue(), p.shape()));
                }
            }
            model.zeroGrad();
            params.values().forEach(p -> p.requiresGrad(false));
        }
    }

}
