package dev.engram.memorization.localize;

import dev.engram.memorization.metrics.Metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Runs localization methods side by side on the same targets and measures each (docs/methods.md §11.9):
 * <ul>
 *   <li>against a ground truth (when given): precision@k and recall@k for k = |truth|, AUROC of the scores;</li>
 *   <li>without truth: whether zeroing the top-k units (ties in an order drawn per target) removes the target's prediction of
 *   its training label, for each k of {@link Settings#ks}; the collateral damage of doing so, accuracy on a fixed
 *   sample of other training examples and of test examples; the specificity of the units found, as the mean pairwise
 *   Jaccard overlap of the targets' top-{@link Settings#overlapK} sets (lower = more example-specific);</li>
 *   <li>wall time per target.</li>
 * </ul>
 */
public final class LocalizationComparison {
    /**
     * Settings.
     *
     * @param ks              numbers of top units to zero
     * @param collateralTrain other training examples of the collateral measurement (targets excluded)
     * @param collateralTest  test examples of the collateral measurement (0 = none)
     * @param overlapK        size of the top sets whose overlap is the specificity
     * @param batchSize       rows per forward pass of the measurements
     * @param seed            seed of the collateral sample
     */
    public record Settings(int[] ks, int collateralTrain, int collateralTest, int overlapK, int batchSize, long seed) {
        /** k = 1, 5, 10, 50; 500 train and 500 test examples; overlap of top-10 sets; batches of 500. */
        public static final Settings DEFAULTS = new Settings(new int[] {1, 5, 10, 50}, 500, 500, 10, 500, 0);

        /** Validates. */
        public Settings {
            if (ks == null || ks.length == 0) throw new IllegalArgumentException("localization: no k to ablate");
            for (int k : ks) if (k < 1) throw new IllegalArgumentException("localization: k must be >= 1, got " + k);
            if (collateralTrain < 1) throw new IllegalArgumentException("localization: collateral train sample must be >= 1, got " + collateralTrain);
            if (collateralTest < 0) throw new IllegalArgumentException("localization: collateral test sample must be >= 0, got " + collateralTest);
            if (overlapK < 1) throw new IllegalArgumentException("localization: overlap k must be >= 1, got " + overlapK);
            if (batchSize < 1) throw new IllegalArgumentException("localization: batch size must be >= 1, got " + batchSize);
            ks = ks.clone();
        }
    }

    /**
     * One target's measurements under one method.
     *
     * @param row        row in the training set
     * @param exampleId  example id
     * @param truthSize  |truth| (0 without truth)
     * @param precision  precision@|truth| (NaN without truth)
     * @param recall     recall@|truth| (NaN without truth)
     * @param auroc      AUROC of the scores against the truth (NaN without truth)
     * @param removed    per k: zeroing the top-k units changes the prediction away from the training label
     * @param trainAcc   per k: accuracy on the collateral training sample with the top-k units zeroed
     * @param testAcc    per k: accuracy on the collateral test sample (NaN without test sample)
     * @param top        the top-{@code overlapK} units (flat indices), best first
     */
    public record TargetResult(int row, int exampleId, int truthSize, double precision, double recall, double auroc,
                               boolean[] removed, double[] trainAcc, double[] testAcc, int[] top) { }

    /**
     * One method over all targets.
     *
     * @param method           method name
     * @param secondsPerTarget wall time of the scores divided by the number of targets
     * @param specificity      mean pairwise Jaccard overlap of the targets' top sets
     * @param targets          per target
     */
    public record MethodResult(String method, double secondsPerTarget, double specificity, List<TargetResult> targets) {
        /** Mean and standard deviation of a per-target quantity (NaN values skipped). */
        public double[] meanStd(java.util.function.ToDoubleFunction<TargetResult> f) {
            return LocalizationComparison.meanStd(targets.stream().mapToDouble(f).toArray());
        }

        /** Fraction of targets whose prediction the top-{@code ks[i]} units remove. */
        public double removalRate(int i) {
            return targets.stream().filter(t -> t.removed()[i]).count() / (double) Math.max(1, targets.size());
        }
    }

    /**
     * The whole comparison.
     *
     * @param ks            the k values
     * @param baseTrainAcc  accuracy on the collateral training sample, nothing zeroed
     * @param baseTestAcc   accuracy on the collateral test sample, nothing zeroed (NaN without)
     * @param units         units of the model
     * @param methods       per method
     */
    public record Comparison(int[] ks, double baseTrainAcc, double baseTestAcc, int units, List<MethodResult> methods) { }

    private LocalizationComparison() { }

    /**
     * Scores {@code targets} of {@code train} with every method and measures them.
     *
     * @param train   the model over the training examples
     * @param test    the model over test examples (null: no test collateral)
     * @param truth   per target, the true units (null: no truth)
     * @param log     progress lines
     */
    public static Comparison run(MaskedModel train, MaskedModel test, List<LocalizationMethod> methods, int[] targets,
                                 boolean[][] truth, Settings s, Consumer<String> log) {
        if (targets.length == 0) throw new IllegalArgumentException("localization: no target examples");
        if (truth != null && truth.length != targets.length) {
            throw new IllegalArgumentException("localization: " + targets.length + " targets but " + truth.length + " truth sets");
        }
        int[] trainSample = OtherExamples.draw(train.data().size(), s.collateralTrain(), s.seed(), targets);
        int[] testSample = test == null || s.collateralTest() == 0 ? new int[0]
                : OtherExamples.draw(test.data().size(), s.collateralTest(), s.seed() + 1, new int[0]);
        double baseTrain = accuracy(train, trainSample, null, s.batchSize());
        double baseTest = testSample.length == 0 ? Double.NaN : accuracy(test, testSample, null, s.batchSize());
        List<MethodResult> out = new ArrayList<>();
        for (LocalizationMethod m : methods) {
            long t0 = System.nanoTime();
            double[][] scores = m.scores(train, targets);
            double secs = (System.nanoTime() - t0) * 1e-9 / targets.length;
            List<TargetResult> per = new ArrayList<>();
            for (int t = 0; t < targets.length; t++) {
                per.add(measure(train, test, targets[t], scores[t], truth == null ? null : truth[t], trainSample,
                        testSample, s));
            }
            MethodResult r = new MethodResult(m.name(), secs, specificity(per), per);
            out.add(r);
            log.accept(String.format(Locale.ROOT, "localize: %-20s %.3f s/target, removal@%d %.2f%s", m.name(), secs,
                    s.ks()[0], r.removalRate(0), truth == null ? ""
                            : String.format(Locale.ROOT, ", precision@|truth| %.3f, AUROC %.3f",
                            r.meanStd(TargetResult::precision)[0], r.meanStd(TargetResult::auroc)[0])));
        }
        return new Comparison(s.ks(), baseTrain, baseTest, train.units(), out);
    }

    /**
     * {@link #run} one method at a time, with a progress task over the methods ({@code name}), the results joined
     * into one comparison.
     */
    public static Comparison runEach(MaskedModel train, MaskedModel test, List<LocalizationMethod> methods, int[] targets,
                                     boolean[][] truth, Settings s, dev.engram.memorization.analysis.Progress progress) {
        List<MethodResult> all = new ArrayList<>();
        Comparison part = null;
        try (dev.engram.memorization.analysis.Progress.Task task = progress.task("localization methods", methods.size())) {
            for (LocalizationMethod m : methods) {
                part = run(train, test, List.of(m), targets, truth, s, progress::line);
                all.addAll(part.methods());
                task.stepTo(all.size());
            }
        }
        if (part == null) throw new IllegalArgumentException("localization: no method given");
        return new Comparison(part.ks(), part.baseTrainAcc(), part.baseTestAcc(), part.units(), all);
    }

    /**
     * Joins comparisons of disjoint targets measured with the same methods, k values and units (each target on its own
     * model, as the injection ground truth does) into one: per method, the targets in order, the time per target
     * averaged over all targets and the specificity recomputed over all of them; the accuracies with nothing zeroed
     * are the means over the targets of the parts' ones.
     *
     * @throws IllegalArgumentException when the parts differ in methods, k values or units, or there is none
     */
    public static Comparison merge(List<Comparison> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("localization: no comparison to merge");
        Comparison first = parts.get(0);
        List<String> names = first.methods().stream().map(MethodResult::method).toList();
        List<List<TargetResult>> per = new ArrayList<>();
        double[] seconds = new double[names.size()];
        for (int i = 0; i < names.size(); i++) per.add(new ArrayList<>());
        double train = 0, test = 0;
        int targets = 0;
        for (Comparison c : parts) {
            List<String> have = c.methods().stream().map(MethodResult::method).toList();
            if (!have.equals(names) || !Arrays.equals(c.ks(), first.ks()) || c.units() != first.units()) {
                throw new IllegalArgumentException("localization: cannot merge a comparison of " + have + ", k "
                        + Arrays.toString(c.ks()) + ", " + c.units() + " units with one of " + names + ", k "
                        + Arrays.toString(first.ks()) + ", " + first.units() + " units");
            }
            int n = c.methods().isEmpty() ? 0 : c.methods().get(0).targets().size();
            for (int i = 0; i < names.size(); i++) {
                MethodResult m = c.methods().get(i);
                per.get(i).addAll(m.targets());
                seconds[i] += m.secondsPerTarget() * m.targets().size();
            }
            train += c.baseTrainAcc() * n;
            test += c.baseTestAcc() * n;
            targets += n;
        }
        List<MethodResult> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            List<TargetResult> t = List.copyOf(per.get(i));
            out.add(new MethodResult(names.get(i), seconds[i] / Math.max(1, t.size()), specificity(t), t));
        }
        return new Comparison(first.ks(), train / Math.max(1, targets), test / Math.max(1, targets), first.units(), out);
    }

    /** Headline rows against a truth, one per method: precision@|truth|, AUROC, removal at the first k, time. */
    public static List<dev.engram.memorization.analysis.SummaryRow> truthRows(Comparison c, String prefix) {
        List<dev.engram.memorization.analysis.SummaryRow> rows = new ArrayList<>();
        for (MethodResult m : c.methods()) {
            double[] p = m.meanStd(TargetResult::precision), a = m.meanStd(TargetResult::auroc);
            rows.add(new dev.engram.memorization.analysis.SummaryRow(prefix + m.method() + ": precision@|truth| / AUROC",
                    String.format(Locale.ROOT, "%.3f ± %.3f / %.3f ± %.3f; removed@%d %s; %.2fs/target", p[0], p[1], a[0],
                            a[1], c.ks()[0], dev.engram.memorization.analysis.SummaryRow.pct(m.removalRate(0)),
                            m.secondsPerTarget())));
        }
        return rows;
    }

    static TargetResult measure(MaskedModel train, MaskedModel test, int row, double[] scores, boolean[] truth,
                                int[] trainSample, int[] testSample, Settings s) {
        int units = scores.length;
        Integer[] order = new Integer[units];
        for (int u = 0; u < units; u++) order[u] = u;
        // ties in a random order drawn from (seed, example id): a method that scores few units (greedy flipping leaves
        // every unit it did not zero at 0) must not fill its top sets with the lowest unit indices, the same for every
        // target, which would inflate its overlap across targets and bias its ablations toward the first layer's first
        // units (the id, not the row: each injected example is the same last row of its own copy of the data)
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(s.seed() * 0x9E3779B97F4A7C15L
                + train.data().ids()[row]);
        for (int i = units - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            Integer t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a])); // stable: ties stay in the shuffled order
        int[] ks = s.ks();
        boolean[] removed = new boolean[ks.length];
        double[] trainAcc = new double[ks.length], testAcc = new double[ks.length];
        int label = train.data().labels()[row];
        for (int i = 0; i < ks.length; i++) {
            float[] mask = train.ones();
            for (int r = 0; r < Math.min(ks[i], units); r++) mask[order[r]] = 0f;
            float[] logits = train.evaluate(new int[] {row}, new float[][] {mask}, null).logits()[0];
            removed[i] = MaskedModel.argmax(logits) != label;
            trainAcc[i] = accuracy(train, trainSample, mask, s.batchSize());
            testAcc[i] = testSample.length == 0 ? Double.NaN : accuracy(test, testSample, mask, s.batchSize());
        }
        int[] top = new int[Math.min(s.overlapK(), units)];
        for (int r = 0; r < top.length; r++) top[r] = order[r];
        double p = Double.NaN, rec = Double.NaN, auc = Double.NaN;
        int size = 0;
        if (truth != null) {
            for (boolean b : truth) if (b) size++;
            if (size > 0 && size < units) {
                p = Metrics.precisionAtK(scores, truth, size);
                rec = p; // k = |truth|: hits / k = hits / |truth|
                auc = Metrics.auroc(scores, truth);
            }
        }
        return new TargetResult(row, train.data().ids()[row], size, p, rec, auc, removed, trainAcc, testAcc, top);
    }

    /** Accuracy of {@code rows} of {@code model}'s data against their labels with {@code mask} on every row. */
    static double accuracy(MaskedModel model, int[] rows, float[] mask, int batch) {
        int correct = 0;
        for (int from = 0; from < rows.length; from += batch) {
            int[] part = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + batch));
            float[][] masks = null;
            if (mask != null) {
                masks = new float[part.length][];
                Arrays.fill(masks, mask);
            }
            float[][] logits = model.evaluate(part, masks, null).logits();
            for (int j = 0; j < part.length; j++) if (MaskedModel.argmax(logits[j]) == model.data().labels()[part[j]]) correct++;
        }
        return rows.length == 0 ? Double.NaN : (double) correct / rows.length;
    }

    /** Mean pairwise Jaccard overlap of the targets' top sets (NaN for one target). */
    static double specificity(List<TargetResult> per) {
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < per.size(); a++) {
            for (int b = a + 1; b < per.size(); b++) {
                java.util.Set<Integer> x = new java.util.HashSet<>(), y = new java.util.HashSet<>();
                for (int u : per.get(a).top()) x.add(u);
                for (int u : per.get(b).top()) y.add(u);
                java.util.Set<Integer> union = new java.util.HashSet<>(x);
                union.addAll(y);
                x.retainAll(y);
                sum += union.isEmpty() ? 0 : (double) x.size() / union.size();
                pairs++;
            }
        }
        return pairs == 0 ? Double.NaN : sum / pairs;
    }

    /** Mean and (population) standard deviation, NaN values skipped; {NaN, NaN} when none is left. */
    static double[] meanStd(double[] v) {
        double s = 0, q = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isNaN(x)) continue;
            s += x;
            q += x * x;
            n++;
        }
        if (n == 0) return new double[] {Double.NaN, Double.NaN};
        double mean = s / n;
        return new double[] {mean, Math.sqrt(Math.max(0, q / n - mean * mean))};
    }
}
