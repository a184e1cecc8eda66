package dev.engram.memorization.localize;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The localization benchmark with injection ground truth (docs/methods.md §11.10): a model of the run trained
 * normally (no example-tied dropout) on its noisy data is fine-tuned to memorize new examples (test examples, never trained on, each given a wrong label), one after the
 * other, each through its own small set of units: only the incoming weights and bias of those units (the row of the
 * weight that produces the channel or neuron at the tap) are updated, everything else stays frozen; the fine-tuning
 * loss adds the mean loss of a few other training examples so that the rest of the model's behaviour stays. The sets are
 * disjoint and drawn with the seed. A target's truth set is its set; targets are the injected examples the final
 * fine-tuned model still predicts with their new label. Every localization method is then measured as in
 * {@link GroundTruthBenchmark}.
 *
 * <p>Needs a sequential model whose tap {@code "i.out"} follows module {@code i − 1} with a weight whose first
 * dimension is the tap's channels (the MLP and the small CNN).
 */
public final class InjectionGroundTruth {
    private InjectionGroundTruth() { }


    /**
     * Options.
     *
     * @param methods        method names
     * @param targets        examples to inject
     * @param unitsPerTarget size of each target's trainable (truth) set
     * @param maxSteps       fine-tuning steps per target at most
     * @param learningRate   fine-tuning step size
     * @param methodSettings the methods' settings
     * @param comparison     the measurements' settings
     */
    public record Options(List<String> methods, int targets, int unitsPerTarget, int maxSteps, double learningRate,
                          LocalizationMethods.Settings methodSettings, LocalizationComparison.Settings comparison) {
        /** Validates. */
        public Options {
            new LocalizationAnalysis.Options(methods, Math.max(1, targets), -1, methodSettings, comparison); // same checks
            if (targets < 1) throw new IllegalArgumentException("injection benchmark: targets must be >= 1, got " + targets);
            if (unitsPerTarget < 1) throw new IllegalArgumentException("injection benchmark: units per target must be >= 1, got " + unitsPerTarget);
            if (maxSteps < 1) throw new IllegalArgumentException("injection benchmark: max steps must be >= 1, got " + maxSteps);
            if (!(learningRate > 0)) throw new IllegalArgumentException("injection benchmark: learning rate must be > 0, got " + learningRate);
            methods = List.copyOf(methods);
        }
    }

    /**
     * The result.
     *
     * @param model       the run's model
     * @param epochs      training epochs of the model fine-tuned
     * @param taps        units per tap
     * @param injected    examples injected
     * @param memorized   of them, predicted with their new label by the final model (the targets)
     * @param meanSteps   mean fine-tuning steps per injected example
     * @param accuracyBefore train and test accuracy of the checkpoint (collateral samples)
     * @param comparison  the methods' measurements (train/test accuracies after the injection)
     * @param table       the comparison as text
     */
    public record Result(String model, int epochs, Map<String, Integer> taps, int injected, int memorized, double meanSteps,
                         double[] accuracyBefore, LocalizationComparison.Comparison comparison, List<String> table)
    {
        /** Headline rows, one per method. */
        public List<SummaryRow> summaryRows() {
            return LocalizationComparison.truthRows(comparison, "");
        }
    }

    /** Checks that the run's model has the structure injection needs and enough units. */
    public static void check(RunData data, Options o) throws IOException {
        MaskedModel m = new MaskedModel(data.newModel(), null, data.trainSet());
        incomingWeights(m);
        if ((long) o.targets() * o.unitsPerTarget() > m.units()) {
            throw new IllegalArgumentException("injection benchmark: " + o.targets() + " targets x " + o.unitsPerTarget()
                    + " units exceed the model's " + m.units() + " units (the sets are disjoint)");
        }
    }

    /** Per tap, the name of the weight producing its channels and of its bias (null when none). */
    static Map<String, String[]> incomingWeights(MaskedModel m) {
        Map<String, Tensor> params = m.model().namedParameters();
        Map<String, String[]> out = new LinkedHashMap<>();
        for (var e : m.tapChannels().entrySet()) {
            String tap = e.getKey();
            int i = tap.endsWith(".out") ? parseIndex(tap.substring(0, tap.length() - 4)) : -1;
            String w = (i - 1) + ".weight", b = (i - 1) + ".bias";
            if (i < 1 || !params.containsKey(w) || params.get(w).dim(0) != e.getValue()) {
                throw new IllegalArgumentException("injection benchmark: tap " + tap + " of " + m.model().getClass().getSimpleName()
                        + " does not follow a layer whose weight rows are its channels (needs a sequential model such as"
                        + " the MLP or the small CNN)");
            }
            out.put(tap, new String[] {w, params.containsKey(b) ? b : null});
        }
        return out;
    }

    private static int parseIndex(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Injects into {@code model} (a model of the run trained on its data; fine-tuned in place), and measures every
     * method.
     */
    public static Result run(RunData data, Module model, int epochs, Options o, Progress progress) throws IOException {
        model.eval();
        ExampleSet train = data.trainSet(), test = data.testSet();
        long seed = o.methodSettings().seed();
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x1A7EC7L);
        int[] testRows = LocalizationAnalysis.sample(java.util.stream.IntStream.range(0, test.size()).toArray(),
                o.targets(), seed ^ 0x1A7EC7L);
        // the augmented training set: the training examples, then the injected ones with a wrong label
        ExampleSet picked = test.subset(testRows);
        int n = train.size(), t = testRows.length, es = train.exampleSize();
        float[] x = Arrays.copyOf(train.x(), (n + t) * es);
        System.arraycopy(picked.x(), 0, x, n * es, t * es);
        int[] labels = Arrays.copyOf(train.labels(), n + t), ids = Arrays.copyOf(train.ids(), n + t);
        boolean[] noisy = Arrays.copyOf(train.noisy(), n + t);
        int maxId = Arrays.stream(train.ids()).max().orElse(-1);
        for (int j = 0; j < t; j++) {
            labels[n + j] = (picked.labels()[j] + 1 + rnd.nextInt(train.numClasses() - 1)) % train.numClasses();
            ids[n + j] = maxId + 1 + j;
            noisy[n + j] = true;
        }
        ExampleSet augmented = new ExampleSet(x, labels, ids, noisy, train.channels(), train.height(), train.width(),
                train.numClasses());
        int[] keepTest = Arrays.stream(java.util.stream.IntStream.range(0, test.size()).toArray())
                .filter(r -> Arrays.binarySearch(testRows, r) < 0).toArray();
        ExampleSet testRest = test.subset(keepTest);
        MaskedModel onTrain = new MaskedModel(model, null, augmented);
        MaskedModel onTest = new MaskedModel(model, null, testRest);
        int[] trainSample = OtherExamples.draw(n, o.comparison().collateralTrain(), o.comparison().seed(), new int[0]);
        double[] before = {LocalizationComparison.accuracy(onTrain, trainSample, null, o.comparison().batchSize()),
                LocalizationComparison.accuracy(onTest, OtherExamples.draw(testRest.size(),
                        Math.max(1, o.comparison().collateralTest()), o.comparison().seed() + 1, new int[0]), null,
                        o.comparison().batchSize())};
        // disjoint unit sets
        int units = onTrain.units();
        int[] perm = LocalizationAnalysis.sample(java.util.stream.IntStream.range(0, units).toArray(), units, seed);
        shuffle(perm, rnd);
        boolean[][] truth = new boolean[t][units];
        for (int j = 0; j < t; j++) for (int q = 0; q < o.unitsPerTarget(); q++) truth[j][perm[j * o.unitsPerTarget() + q]] = true;
        Map<String, String[]> incoming = incomingWeights(onTrain);
        long steps = 0;
        try (Progress.Task task = progress.task("injection fine-tuning", t)) {
            for (int j = 0; j < t; j++) {
                int[] keep = OtherExamples.draw(n, RETAIN, seed + 31L * (j + 1), new int[0]);
                steps += inject(onTrain, n + j, truth[j], incoming, o.maxSteps(), o.learningRate(), keep);
                task.stepTo(j + 1);
            }
        }
        int[] all = java.util.stream.IntStream.range(n, n + t).toArray();
        float[][] logits = onTrain.evaluate(all, null, null).logits();
        List<Integer> kept = new ArrayList<>();
        for (int j = 0; j < t; j++) if (MaskedModel.argmax(logits[j]) == labels[n + j]) kept.add(j);
        progress.line(String.format(Locale.ROOT, "injection benchmark: %d of %d injected examples memorized through %d"
                + " units each (%.1f steps on average); %d units", kept.size(), t, o.unitsPerTarget(), (double) steps / t, units));
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("injection benchmark: no injected example is memorized after fine-tuning;"
                    + " raise the steps, the learning rate or the units per target");
        }
        int[] targets = kept.stream().mapToInt(j -> n + j).toArray();
        boolean[][] keptTruth = kept.stream().map(j -> truth[j]).toArray(boolean[][]::new);
        LocalizationComparison.Comparison c = LocalizationComparison.runEach(onTrain, onTest,
                LocalizationMethods.create(o.methods(), o.methodSettings()), targets, keptTruth, o.comparison(), progress);
        return new Result(data.config().model(), epochs, onTrain.tapChannels(), t, kept.size(), (double) steps / t, before,
                c, ComparisonFiles.table(c));
    }

    /** Training examples whose loss the fine-tuning keeps (a fresh seeded sample per injected example). */
    static final int RETAIN = 32;

    /**
     * Gradient steps on the cross-entropy of row {@code row} plus the mean cross-entropy of the rows {@code keep} (so
     * that the rest of the model's behaviour stays), updating only the incoming weight rows and biases of the units
     * {@code set}, until the row is predicted with its label at probability 0.9 or {@code maxSteps}; returns the steps
     * taken.
     */
    static int inject(MaskedModel m, int row, boolean[] set, Map<String, String[]> incoming, int maxSteps, double lr,
                      int[] keep) {
        Module model = m.model();
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Boolean> before = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            before.put(name, p.requiresGrad());
            p.requiresGrad(false);
        });
        // trainable rows per parameter
        Map<String, boolean[]> rows = new LinkedHashMap<>();
        int offset = 0;
        for (var e : m.tapChannels().entrySet()) {
            int c = e.getValue();
            boolean[] r = Arrays.copyOfRange(set, offset, offset + c);
            offset += c;
            boolean any = false;
            for (boolean b : r) any |= b;
            if (!any) continue;
            for (String name : incoming.get(e.getKey())) {
                if (name == null) continue;
                rows.put(name, r);
                params.get(name).requiresGrad(true);
            }
        }
        int label = m.data().labels()[row];
        int es = m.data().exampleSize();
        ExampleSet d = m.data();
        int step = 0;
        try {
            for (; step < maxSteps; step++) {
                int[] batch = new int[1 + keep.length];
                batch[0] = row;
                System.arraycopy(keep, 0, batch, 1, keep.length);
                float[] xs = new float[batch.length * es];
                int[] ids = new int[batch.length], ys = new int[batch.length];
                float[] weights = new float[batch.length];
                for (int q = 0; q < batch.length; q++) {
                    System.arraycopy(d.x(), batch[q] * es, xs, q * es, es);
                    ids[q] = d.ids()[batch[q]];
                    ys[q] = d.labels()[batch[q]];
                    weights[q] = q == 0 ? 1f : 1f / keep.length;
                }
                try (TensorScope s = Tensors.scope(); BatchContext b = BatchContext.of(ids)) {
                    Tensor logits = model.forward(Tensor.of(xs, batch.length, d.channels(), d.height(), d.width()));
                    float[] all = logits.toFloatArray();
                    double[] p = MaskedModel.softmax(Arrays.copyOfRange(all, 0, all.length / batch.length));
                    if (p[label] >= 0.9) break;
                    Functional.crossEntropyPerExample(logits, Tensor.ofInts(ys, ys.length))
                            .mul(Tensor.of(weights, weights.length)).sum().backward();
                    for (var e : rows.entrySet()) {
                        Tensor param = params.get(e.getKey());
                        float[] w = param.toFloatArray(), g = param.grad().toFloatArray();
                        int per = w.length / e.getValue().length;
                        for (int r = 0; r < e.getValue().length; r++) {
                            if (!e.getValue()[r]) continue;
                            for (int k = r * per; k < (r + 1) * per; k++) w[k] -= (float) (lr * g[k]);
                        }
                        param.copyFrom(Tensor.of(w, param.shape()));
                        param.zeroGrad();
                    }
                }
            }
        } finally {
            before.forEach((name, on) -> params.get(name).requiresGrad(on));
        }
        return step;
    }

    private static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }

    /** The JSON summary; writes {@code injection-*.csv}, {@code injection-table.txt} and {@code injection-benchmark.png}. */
    public static Map<String, Object> write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("groundTruth", "injection: an example memorized by fine-tuning only its own units' incoming weights");
        json.put("model", r.model());
        json.put("trainingEpochs", r.epochs());
        json.put("units", r.taps());
        json.put("injected", r.injected());
        json.put("memorized", r.memorized());
        json.put("meanFineTuningSteps", r.meanSteps());
        json.put("accuracyBeforeInjection", Map.of("train", r.accuracyBefore()[0], "test", r.accuracyBefore()[1]));
        json.put("accuracyAfterInjection", Map.of("train", r.comparison().baseTrainAcc(), "test", r.comparison().baseTestAcc()));
        json.put("ks", r.comparison().ks());
        json.put("methods", ComparisonFiles.summary(r.comparison()));
        json.put("table", r.table());
        Files.write(dir.resolve("injection-table.txt"), r.table());
        ComparisonFiles.write(r.comparison(), dir, "injection-", "benchmark.png",
                "Localization with injection ground truth: " + r.model(), r.taps());
        return json;
    }
}
