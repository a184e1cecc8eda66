package dev.engram.memorization.etd;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.scores.ExampleSet;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.optim.WarmupCosine;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A plain mini-batch SGD loop for the experiments of this package: shuffled batches (seeded per epoch), mean
 * cross-entropy, SGD with momentum and coupled weight decay, the paper's warm-up + cosine schedule stepped per
 * iteration (spec §1.5). Every forward runs in a {@link BatchContext} with the batch's example ids, which
 * example-tied dropout needs. An optional hook wraps each forward (e.g. to open taps).
 */
public final class TrainLoop {
    /**
     * Settings.
     *
     * @param epochs      passes over the data
     * @param batchSize   mini-batch size
     * @param peakLr      peak learning rate
     * @param momentum    SGD momentum
     * @param weightDecay coupled weight decay
     * @param seed        shuffling seed
     */
    public record Settings(int epochs, int batchSize, double peakLr, double momentum, double weightDecay, long seed) {
        /** Validates. */
        public Settings {
            if (epochs < 1 || batchSize < 1) throw new IllegalArgumentException("training: epochs and batch size must be >= 1, got " + epochs + ", " + batchSize);
            if (!(peakLr > 0)) throw new IllegalArgumentException("training: peak learning rate must be > 0, got " + peakLr);
        }
    }

    /** Wraps one forward pass (for instance inside a {@code Taps} context). */
    @FunctionalInterface
    public interface Forward {
        Tensor apply(Module model, Tensor x);
    }

    private TrainLoop() { }

    /** Trains {@code model} on {@code data}; {@code log} gets one line per epoch at most every ten seconds (and the last). */
    public static void train(Module model, ExampleSet data, Settings s, Forward forward, Consumer<String> log) {
        int n = data.size();
        int batches = (n + s.batchSize() - 1) / s.batchSize();
        Sgd opt = Sgd.builder(model).learningRate(s.peakLr()).momentum(s.momentum()).weightDecay(s.weightDecay()).build();
        WarmupCosine sched = WarmupCosine.forEpochs(s.peakLr(), s.epochs(), batches);
        long step = 0, last = System.nanoTime();
        model.train(true);
        for (int e = 0; e < s.epochs(); e++) {
            int[] order = permutation(n, new SplittableRandom(s.seed() * 1_000_003L + e));
            double lossSum = 0;
            for (int b = 0; b < batches; b++) {
                int from = b * s.batchSize(), to = Math.min(n, from + s.batchSize());
                int[] rows = java.util.Arrays.copyOfRange(order, from, to);
                ExampleSet batch = data.subset(rows);
                opt.setLearningRate(sched.lr(step++));
                try (TensorScope sc = Tensors.scope(); BatchContext c = BatchContext.of(batch.ids())) {
                    opt.zeroGrad();
                    Tensor logits = forward == null ? model.forward(batch.images(0, rows.length))
                            : forward.apply(model, batch.images(0, rows.length));
                    Tensor loss = Functional.crossEntropy(logits, batch.labelTensor(0, rows.length));
                    lossSum += loss.item() * rows.length;
                    loss.backward();
                    opt.step();
                }
            }
            long now = System.nanoTime();
            if (log != null && (now - last > 10_000_000_000L || e == s.epochs() - 1)) {
                last = now;
                log.accept(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f", e + 1, s.epochs(), lossSum / n));
            }
        }
        model.eval();
    }

    static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
