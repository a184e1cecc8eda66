package dev.engram.memorization.data;

import dev.engram.nn.Module;
import dev.engram.nn.optim.Sgd;
import dev.engram.nn.optim.WarmupCosine;
import dev.engram.nn.train.BatchSource;
import dev.engram.nn.train.LabeledBatch;
import dev.engram.nn.train.Trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small generated classification tasks with label noise for the analysis tests. */
public final class SyntheticData {
    private SyntheticData() { }

    /**
     * {@code n} images {@code 1 x side x side} from {@code classes} Gaussian clusters (unit-norm-ish random centres,
     * per-pixel noise {@code spread}); the first {@code round(noise * n)} examples of a random permutation get a
     * label shifted by 1..classes-1 (never the true one), flagged noisy.
     */
    public static ExampleSet clusters(int n, int side, int classes, double spread, double noise, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = side * side;
        float[][] centres = new float[classes][d];
        for (float[] c : centres) for (int j = 0; j < d; j++) c[j] = (float) (rnd.nextGaussian());
        float[] x = new float[n * d];
        int[] labels = new int[n], ids = new int[n];
        boolean[] noisy = new boolean[n];
        for (int i = 0; i < n; i++) {
            int y = i % classes;
            labels[i] = y;
            ids[i] = i;
            for (int j = 0; j < d; j++) x[i * d + j] = (float) (centres[y][j] + spread * rnd.nextGaussian());
        }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int k = (int) Math.round(noise * n);
        for (int q = 0; q < k; q++) {
            int i = perm[q];
            labels[i] = (labels[i] + 1 + rnd.nextInt(classes - 1)) % classes;
            noisy[i] = true;
        }
        return new ExampleSet(x, labels, ids, noisy, 1, side, side, classes);
    }

    /**
     * Trains {@code model} on {@code data} with the nn Trainer: SGD (momentum, coupled weight decay), warm-up + cosine
     * schedule per iteration, batches of a permutation seeded per epoch; the model is left in eval mode.
     */
    public static void train(Module model, ExampleSet data, int epochs, int batch, double lr, double momentum,
                             double weightDecay, long seed) {
        int n = data.size(), batches = (n + batch - 1) / batch;
        BatchSource source = new BatchSource() {
            @Override
            public Iterable<LabeledBatch> epoch(int e) {
                int[] order = permutation(n, new SplittableRandom(seed * 1_000_003L + e));
                List<LabeledBatch> out = new ArrayList<>();
                for (int b = 0; b < batches; b++) {
                    int[] rows = java.util.Arrays.copyOfRange(order, b * batch, Math.min(n, (b + 1) * batch));
                    ExampleSet s = data.subset(rows);
                    out.add(new LabeledBatch(s.images(0, rows.length), s.labelTensor(0, rows.length), s.ids()));
                }
                return out;
            }

            @Override
            public int batchesPerEpoch() {
                return batches;
            }
        };
        try {
            Trainer.builder().model(model)
                    .optimizer(Sgd.builder(model).learningRate(lr).momentum(momentum).weightDecay(weightDecay).build())
                    .schedule(WarmupCosine.forEpochs(lr, epochs, batches)).epochs(epochs).trainData(source).build().fit();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
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
