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
 * normally (no example-tied dropout) on its noisy data is fine-tuned to memorize a new example (a test example, never
 * trained on, given a wrong label) through a small chosen set of units, everything else frozen; the set is the
 * example's truth. Each injected example starts from a fresh copy of the trained model (its weights are restored
 * before the next one), so targets are independent and edits never accumulate. A unit's parameters are all the
 * weights that belong to it alone: its incoming weights and bias (the row of the layer that produces its channel or
 * neuron) and its outgoing weights (the entries of the next parameterized layer that read it: a column of a linear
 * layer, the input-channel slice of a convolution, or the block of columns a channel feeds through a flatten). They
 * are fine-tuned with Adam on the example's cross-entropy plus the mean cross-entropy of {@value #RETAIN} other
 * training examples (drawn away from the collateral sample when it leaves any) until the new label has probability
 * {@value #TARGET_PROBABILITY}. Every localization method is then run on the example on that copy and measured as in
 * {@link GroundTruthBenchmark}; the examples the copy predicts with their new label are the targets.
 *
 * <p>Needs a sequential model whose tap {@code "i.out"} follows module {@code i − 1} with a weight whose first
 * dimension is the tap's channels, and whose next weighted module reads the channels along its second dimension (the
 * MLP and the small CNN).
 */
public final class InjectionGroundTruth {
    private InjectionGroundTruth() { }

    /** Training examples whose loss the fine-tuning keeps (a fresh seeded sample per injected example). */
    static final int RETAIN = 32;
    /** Probability of the new label at which fine-tuning stops. */
    static final double TARGET_PROBABILITY = 0.9;

    /** Where a target's units are drawn. */
    public enum UnitPool {
        /** The last tap, whose outgoing weights are the output layer's: the edit reaches the logits only through them. */
        LAST_TAP("last"),
        /** One tap per target, drawn with the seed among the taps with enough units. */
        RANDOM_TAP("random-tap"),
        /** Any unit of any tap. */
        ALL_TAPS("all");

        private final String cliName;

        UnitPool(String cliName) {
            this.cliName = cliName;
        }

        /** The name on the command line. */
        public String cliName() {
            return cliName;
        }

        /** The pool of command-line name {@code name}. */
        public static UnitPool parse(String name) {
            for (UnitPool p : values()) if (p.cliName.equals(name)) return p;
            throw new IllegalArgumentException("injection benchmark: unknown unit pool '" + name + "' (choose one of "
                    + Arrays.stream(values()).map(UnitPool::cliName).toList() + ")");
        }
    }

    /**
     * Options.
     *
     * @param methods        method names
     * @param targets        examples to inject
     * @param unitsPerTarget size of each target's trainable (truth) set
     * @param maxSteps       fine-tuning steps per target at most
     * @param learningRate   Adam's step size
     * @param pool           where the units are drawn
     * @param methodSettings the methods' settings
     * @param comparison     the measurements' settings
     */
    public record Options(List<String> methods, int targets, int unitsPerTarget, int maxSteps, double learningRate,
                          UnitPool pool, LocalizationMethods.Settings methodSettings, LocalizationComparison.Settings comparison) {
        /** Validates. */
        public Options {
            new LocalizationAnalysis.Options(methods, Math.max(1, targets), -1, methodSettings, comparison); // same checks
            if (targets < 1) throw new IllegalArgumentException("injection benchmark: targets must be >= 1, got " + targets);
            if (unitsPerTarget < 1) throw new IllegalArgumentException("injection benchmark: units per target must be >= 1, got " + unitsPerTarget);
            if (maxSteps < 1) throw new IllegalArgumentException("injection benchmark: max steps must be >= 1, got " + maxSteps);
            if (!(learningRate > 0)) throw new IllegalArgumentException("injection benchmark: learning rate must be > 0, got " + learningRate);
            if (pool == null) throw new IllegalArgumentException("injection benchmark: no unit pool given");
            methods = List.copyOf(methods);
        }
    }

    /**
     * One injected example.
     *
     * @param testRow   its row in the test set
     * @param exampleId its id in the fine-tuning data
     * @param label     its true label
     * @param newLabel  the wrong label it is given
     * @param units     its units ({@code tap#channel})
     * @param steps     fine-tuning steps taken
     * @param pNew      probability of the new label after fine-tuning
     * @param memorized whether the fine-tuned copy predicts the new label (then it is a target)
     * @param trainAcc  accuracy on the collateral training sample after fine-tuning
     * @param testAcc   accuracy on the collateral test sample after fine-tuning
     */
    public record Injection(int testRow, int exampleId, int label, int newLabel, List<String> units, int steps, double pNew,
                            boolean memorized, double trainAcc, double testAcc) { }

    /**
     * The result.
     *
     * @param model          the run's model
     * @param epochs         training epochs of the model fine-tuned
     * @param taps           units per tap
     * @param options        the settings
     * @param injections     every injected example
     * @param accuracyBefore train and test accuracy of the trained model (collateral samples)
     * @param comparison     the methods' measurements on the targets (each on its own fine-tuned copy)
     * @param table          the header and the comparison as text
     */
    public record Result(String model, int epochs, Map<String, Integer> taps, Options options, List<Injection> injections,
                         double[] accuracyBefore, LocalizationComparison.Comparison comparison, List<String> table) {
        /** Examples injected. */
        public int injected() {
            return injections.size();
        }

        /** Of them, predicted with their new label after fine-tuning (the targets). */
        public int memorized() {
            return (int) injections.stream().filter(Injection::memorized).count();
        }

        /** Mean fine-tuning steps per injected example. */
        public double meanSteps() {
            return injections.stream().mapToInt(Injection::steps).average().orElse(0);
        }

        /** Train and test accuracy after fine-tuning, mean over the injected examples' copies. */
        public double[] accuracyAfter() {
            return new double[] {injections.stream().mapToDouble(Injection::trainAcc).average().orElse(Double.NaN),
                    injections.stream().mapToDouble(Injection::testAcc).average().orElse(Double.NaN)};
        }

        /** The construction in one line: what was injected, how many were memorized, the accuracy before and after. */
        public String header() {
            double[] after = accuracyAfter();
            return String.format(Locale.ROOT, "injection: %d of %d injected examples memorized (%d units each, %s, incoming"
                    + " + outgoing weights; Adam %.3g, %.1f steps on average, at most %d); accuracy before injection train"
                    + " %.3f, test %.3f; after (mean over the injected copies) train %.3f, test %.3f", memorized(), injected(),
                    options.unitsPerTarget(), poolText(options.pool(), taps), options.learningRate(), meanSteps(),
                    options.maxSteps(), accuracyBefore[0], accuracyBefore[1], after[0], after[1]);
        }

        /** Headline rows: the construction, then one row per method. */
        public List<SummaryRow> summaryRows() {
            double[] after = accuracyAfter();
            List<SummaryRow> rows = new ArrayList<>();
            rows.add(new SummaryRow("memorized / injected", memorized() + " / " + injected()));
            rows.add(new SummaryRow("accuracy before → after injection (train, test)", String.format(Locale.ROOT,
                    "%.3f, %.3f → %.3f, %.3f", accuracyBefore[0], accuracyBefore[1], after[0], after[1])));
            rows.addAll(LocalizationComparison.truthRows(comparison, ""));
            return rows;
        }
    }

    private static String poolText(UnitPool pool, Map<String, Integer> taps) {
        return switch (pool) {
            case LAST_TAP -> "at " + lastTap(taps);
            case RANDOM_TAP -> "at one tap drawn per example";
            case ALL_TAPS -> "anywhere";
        };
    }

    private static String lastTap(Map<String, Integer> taps) {
        String last = null;
        for (String t : taps.keySet()) last = t;
        return last;
    }

    /** Checks that the run's model has the structure injection needs and enough units. */
    public static void check(RunData data, Options o) throws IOException {
        int testSize = data.test().size();
        if (testSize < 2) {
            throw new IllegalArgumentException("injection benchmark: the test set of " + data.config().dataset() + " has "
                    + testSize + " example(s); injection needs at least 2 (the injected ones and one left for the test"
                    + " accuracy)");
        }
        MaskedModel m = new MaskedModel(data.newModel(), null, data.trainSet());
        unitParameters(m);
        Map<String, Integer> taps = m.tapChannels();
        int most = switch (o.pool()) {
            case LAST_TAP -> taps.get(lastTap(taps));
            case RANDOM_TAP -> taps.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            case ALL_TAPS -> m.units();
        };
        if (o.unitsPerTarget() >= most) {
            throw new IllegalArgumentException("injection benchmark: " + o.unitsPerTarget() + " units per target leave no"
                    + " other unit in the pool " + o.pool().cliName() + " of " + most + " units");
        }
    }

    /**
     * The parameters of a tap's units: the weight producing its channels (first dimension = channels), its bias (null
     * when none), the next weight reading them (second dimension = channels times the positions per channel), and the
     * per-channel parameters of the normalizations between the weight and the tap (a BatchNorm's or LayerNorm's weight
     * and bias, one entry per channel; empty when none).
     */
    record TapParameters(String in, String bias, String out, List<String> channelParams) {
        /** A tap whose units follow their weight directly. */
        TapParameters(String in, String bias, String out) {
            this(in, bias, out, List.of());
        }
    }

    /** Per tap, the parameters of its units. */
    static Map<String, TapParameters> unitParameters(MaskedModel m) {
        Map<String, Tensor> params = m.model().namedParameters();
        Map<String, TapParameters> out = new LinkedHashMap<>();
        for (var e : m.tapChannels().entrySet()) {
            String tap = e.getKey();
            int c = e.getValue();
            int i = tap.endsWith(".out") ? parseIndex(tap.substring(0, tap.length() - 4)) : -1;
            int j = i - 1;
            List<String> channelParams = new ArrayList<>();
            while (j >= 1 && params.containsKey(j + ".weight") && params.get(j + ".weight").shape().length == 1
                    && params.get(j + ".weight").dim(0) == c) { // a normalization's per-channel scale (and shift)
                channelParams.add(j + ".weight");
                if (params.containsKey(j + ".bias")) channelParams.add(j + ".bias");
                j--;
            }
            if (j < 0 || !params.containsKey(j + ".weight") || params.get(j + ".weight").shape().length < 2) {
                j = i - 1; // no weight before the per-channel parameters: judged as a tap right after them
                channelParams.clear();
            }
            String w = j + ".weight", b = j + ".bias";
            String next = null;
            int nextIndex = Integer.MAX_VALUE;
            for (String name : params.keySet()) {
                int k = name.endsWith(".weight") ? parseIndex(name.substring(0, name.length() - 7)) : -1;
                if (k > i && k < nextIndex) {
                    nextIndex = k;
                    next = name;
                }
            }
            String why = null;
            if (i < 1 || !params.containsKey(w) || params.get(w).dim(0) != c) why = "does not follow a layer whose weight rows are its channels";
            else if (next == null) why = "feeds no weighted layer";
            else if (params.get(next).shape().length < 2 || params.get(next).dim(1) % c != 0) {
                why = "feeds " + next + " " + Arrays.toString(params.get(next).shape()) + ", whose second dimension does not read its "
                        + c + " channels";
            }
            if (why != null) {
                throw new IllegalArgumentException("injection benchmark: tap " + tap + " of " + m.model().getClass().getSimpleName()
                        + " " + why + " (needs a sequential model such as the MLP or the small CNN)");
            }
            out.put(tap, new TapParameters(w, params.containsKey(b) ? b : null, next, List.copyOf(channelParams)));
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
     * The flat indices, per parameter, of everything that belongs to the units {@code set}: incoming weight rows,
     * bias entries, the entries of normalizations between them and the tap, and the outgoing weights (for a next weight {@code [O, D, rest…]} reading {@code C} channels,
     * unit {@code u} owns {@code [:, u·D/C, (u+1)·D/C), …]}).
     */
    static Map<String, int[]> trainable(MaskedModel m, Map<String, TapParameters> tapParams, boolean[] set) {
        Map<String, Tensor> params = m.model().namedParameters();
        Map<String, java.util.TreeSet<Integer>> idx = new LinkedHashMap<>();
        int offset = 0;
        for (var e : m.tapChannels().entrySet()) {
            int c = e.getValue();
            TapParameters tp = tapParams.get(e.getKey());
            for (int u = 0; u < c; u++) {
                if (!set[offset + u]) continue;
                Tensor in = params.get(tp.in());
                int per = (int) (in.numel() / c);
                var a = idx.computeIfAbsent(tp.in(), k -> new java.util.TreeSet<>());
                for (int q = u * per; q < (u + 1) * per; q++) a.add(q);
                if (tp.bias() != null) idx.computeIfAbsent(tp.bias(), k -> new java.util.TreeSet<>()).add(u);
                for (String q : tp.channelParams()) idx.computeIfAbsent(q, k -> new java.util.TreeSet<>()).add(u);
                Tensor next = params.get(tp.out());
                int rows = next.dim(0), d = next.dim(1), span = d / c;
                int rest = (int) (next.numel() / ((long) rows * d));
                var o = idx.computeIfAbsent(tp.out(), k -> new java.util.TreeSet<>());
                for (int r = 0; r < rows; r++) {
                    for (int j = u * span; j < (u + 1) * span; j++) {
                        for (int q = 0; q < rest; q++) o.add((r * d + j) * rest + q);
                    }
                }
            }
            offset += c;
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        idx.forEach((k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return out;
    }

    /**
     * Injects into {@code model} (a model of the run trained on its data): each example into a fresh copy (the
     * model's weights are restored afterwards), measuring every method on it there.
     */
    public static Result run(RunData data, Module model, int epochs, Options o, Progress progress) throws IOException {
        model.eval();
        Map<String, Tensor> saved = GroundTruthBenchmark.copy(model.stateDict());
        ExampleSet train = data.trainSet(), test = data.testSet();
        long seed = o.methodSettings().seed();
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x1A7EC7L);
        if (test.size() < 2) {
            throw new IllegalArgumentException("injection benchmark: the test set has " + test.size() + " example(s);"
                    + " injection needs at least 2 (the injected ones and one left for the test accuracy)");
        }
        int[] testRows = LocalizationAnalysis.sample(java.util.stream.IntStream.range(0, test.size()).toArray(),
                Math.min(o.targets(), test.size() - 1), seed ^ 0x1A7EC7L); // one test example stays for the accuracy
        ExampleSet picked = test.subset(testRows);
        int n = train.size(), t = testRows.length;
        int maxId = Arrays.stream(train.ids()).max().orElse(-1);
        int[] keepTest = java.util.stream.IntStream.range(0, test.size()).filter(r -> Arrays.binarySearch(testRows, r) < 0).toArray();
        MaskedModel onTest = new MaskedModel(model, null, test.subset(keepTest));
        MaskedModel onTrain = new MaskedModel(model, null, train);
        LocalizationComparison.Settings cs = o.comparison();
        int[] trainSample = OtherExamples.draw(n, cs.collateralTrain(), cs.seed(), new int[0]);
        int[] testSample = OtherExamples.draw(onTest.data().size(), Math.max(1, cs.collateralTest()), cs.seed() + 1, new int[0]);
        double[] before = {LocalizationComparison.accuracy(onTrain, trainSample, null, cs.batchSize()),
                LocalizationComparison.accuracy(onTest, testSample, null, cs.batchSize())};
        Map<String, TapParameters> tapParams = unitParameters(onTrain);
        List<LocalizationMethod> methods = LocalizationMethods.create(o.methods(), o.methodSettings());
        List<Injection> injections = new ArrayList<>();
        List<LocalizationComparison.Comparison> parts = new ArrayList<>();
        try (Progress.Task task = progress.task("injection targets", t)) {
            for (int j = 0; j < t; j++) {
                int label = picked.labels()[j];
                int newLabel = (label + 1 + rnd.nextInt(train.numClasses() - 1)) % train.numClasses();
                MaskedModel copy = new MaskedModel(model, null, withExample(train, picked, j, newLabel, maxId + 1 + j));
                boolean[] set = drawUnits(copy, o.pool(), o.unitsPerTarget(), rnd);
                int[] keep = OtherExamples.draw(n, RETAIN, seed + 31L * (j + 1), trainSample.length < n ? trainSample : new int[0]);
                try {
                    int steps = inject(copy, n, trainable(copy, tapParams, set), o.maxSteps(), o.learningRate(), keep);
                    float[] logits = copy.evaluate(new int[] {n}, null, null).logits()[0];
                    boolean memorized = MaskedModel.argmax(logits) == newLabel;
                    double trainAcc = LocalizationComparison.accuracy(copy, trainSample, null, cs.batchSize());
                    double testAcc = LocalizationComparison.accuracy(onTest, testSample, null, cs.batchSize());
                    List<String> names = new ArrayList<>();
                    for (int u = 0; u < set.length; u++) if (set[u]) names.add(copy.unit(u).toString());
                    Injection inj = new Injection(testRows[j], maxId + 1 + j, label, newLabel, names, steps,
                            MaskedModel.softmax(logits)[newLabel], memorized, trainAcc, testAcc);
                    injections.add(inj);
                    progress.line(String.format(Locale.ROOT, "injection %d/%d: test row %d, label %d → %d, %s: %s after"
                            + " %d steps (p %.3f); accuracy train %.3f, test %.3f", j + 1, t, inj.testRow(), label, newLabel,
                            names.size() <= 3 ? names : names.size() + " units at " + taps(names),
                            memorized ? "memorized" : "not memorized", steps, inj.pNew(), trainAcc, testAcc));
                    if (memorized) {
                        parts.add(LocalizationComparison.run(copy, onTest, methods, new int[] {n}, new boolean[][] {set},
                                cs, line -> { }));
                    }
                } finally {
                    model.loadStateDict(saved, true);
                }
                task.stepTo(j + 1);
            }
        }
        long memorized = injections.stream().filter(Injection::memorized).count();
        if (memorized == 0) {
            throw new IllegalArgumentException("injection benchmark: no injected example is memorized after fine-tuning"
                    + " (mean p(new label) " + String.format(Locale.ROOT, "%.3f", injections.stream()
                    .mapToDouble(Injection::pNew).average().orElse(0)) + "); raise the steps, the learning rate or the units per target");
        }
        LocalizationComparison.Comparison c = LocalizationComparison.merge(parts);
        Result partial = new Result(data.config().model(), epochs, onTrain.tapChannels(), o, List.copyOf(injections), before,
                c, List.of());
        List<String> table = new ArrayList<>();
        table.add(partial.header());
        table.addAll(ComparisonFiles.table(c));
        progress.line(partial.header());
        return new Result(partial.model(), epochs, partial.taps(), o, partial.injections(), before, c, List.copyOf(table));
    }

    private static String taps(List<String> unitNames) {
        return unitNames.stream().map(u -> u.substring(0, u.indexOf('#'))).distinct().toList().toString();
    }

    /** The training examples followed by test example {@code j} of {@code picked}, relabelled {@code newLabel}. */
    static ExampleSet withExample(ExampleSet train, ExampleSet picked, int j, int newLabel, int id) {
        int n = train.size(), es = train.exampleSize();
        float[] x = Arrays.copyOf(train.x(), (n + 1) * es);
        System.arraycopy(picked.x(), j * es, x, n * es, es);
        int[] labels = Arrays.copyOf(train.labels(), n + 1), ids = Arrays.copyOf(train.ids(), n + 1);
        boolean[] noisy = Arrays.copyOf(train.noisy(), n + 1);
        labels[n] = newLabel;
        ids[n] = id;
        noisy[n] = true;
        return new ExampleSet(x, labels, ids, noisy, train.channels(), train.height(), train.width(), train.numClasses());
    }

    /** {@code size} distinct units of the pool, drawn with {@code rnd}. */
    static boolean[] drawUnits(MaskedModel m, UnitPool pool, int size, SplittableRandom rnd) {
        List<int[]> ranges = new ArrayList<>(); // [first, count] per tap
        int offset = 0;
        for (int c : m.tapChannels().values()) {
            ranges.add(new int[] {offset, c});
            offset += c;
        }
        int[] range = switch (pool) {
            case LAST_TAP -> ranges.get(ranges.size() - 1);
            case ALL_TAPS -> new int[] {0, m.units()};
            case RANDOM_TAP -> {
                List<int[]> fit = ranges.stream().filter(r -> r[1] > size).toList();
                if (fit.isEmpty()) throw new IllegalArgumentException("injection benchmark: no tap has more than " + size + " units");
                yield fit.get(rnd.nextInt(fit.size()));
            }
        };
        if (size >= range[1]) {
            throw new IllegalArgumentException("injection benchmark: " + size + " units per target from a pool of " + range[1]);
        }
        int[] perm = java.util.stream.IntStream.range(0, range[1]).toArray();
        boolean[] set = new boolean[m.units()];
        for (int q = 0; q < size; q++) { // partial Fisher–Yates
            int k = q + rnd.nextInt(range[1] - q);
            int tmp = perm[q];
            perm[q] = perm[k];
            perm[k] = tmp;
            set[range[0] + perm[q]] = true;
        }
        return set;
    }

    /**
     * Adam steps (no weight decay) on the cross-entropy of row {@code row} plus the mean cross-entropy of the rows
     * {@code keep} (so that the rest of the model's behaviour stays), updating only the entries {@code slices} (per
     * parameter, flat indices; every other entry keeps its exact value), until the row is predicted with its label at
     * probability {@value #TARGET_PROBABILITY} or {@code maxSteps}; returns the steps taken.
     */
    static int inject(MaskedModel m, int row, Map<String, int[]> slices, int maxSteps, double lr,
                      int[] keep) {
        Module model = m.model();
        Map<String, Tensor> params = model.namedParameters();
        Map<String, Boolean> before = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            before.put(name, p.requiresGrad());
            p.requiresGrad(false);
        });
        Map<String, Tensor> trained = new LinkedHashMap<>();
        slices.forEach((name, idx) -> {
            Tensor p = params.get(name).requiresGrad(true);
            p.zeroGrad(); // a gradient left by training must not enter the first step
            trained.put(name, p);
        });
        dev.engram.nn.optim.AdamW adam = dev.engram.nn.optim.AdamW.builder(trained).learningRate(lr).weightDecay(0).build();
        int label = m.data().labels()[row];
        int es = m.data().exampleSize();
        ExampleSet d = m.data();
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
        int step = 0;
        try {
            for (; step < maxSteps; step++) {
                try (TensorScope s = Tensors.scope(); BatchContext b = BatchContext.of(ids)) {
                    Tensor logits = model.forward(Tensor.of(xs, batch.length, d.channels(), d.height(), d.width()));
                    float[] all = logits.toFloatArray();
                    double[] p = MaskedModel.softmax(Arrays.copyOfRange(all, 0, all.length / batch.length));
                    if (p[label] >= TARGET_PROBABILITY) break;
                    Functional.crossEntropyPerExample(logits, Tensor.ofInts(ys, ys.length))
                            .mul(Tensor.of(weights, weights.length)).sum().backward();
                    for (var e : trained.entrySet()) { // keep only the units' entries of the gradient
                        Tensor param = e.getValue();
                        float[] g = param.grad().toFloatArray(), kept = new float[g.length];
                        for (int k : slices.get(e.getKey())) kept[k] = g[k];
                        param.setGrad(Tensor.of(kept, param.shape()));
                    }
                    adam.step();
                    adam.zeroGrad();
                }
            }
        } finally {
            trained.values().forEach(Tensor::zeroGrad);
            before.forEach((name, on) -> params.get(name).requiresGrad(on));
        }
        return step;
    }

    /**
     * The JSON summary; writes {@code injection-*.csv} (the methods', and {@code injection-examples.csv}, one row per
     * injected example), {@code injection-table.txt} and {@code injection-benchmark.png}.
     */
    public static Map<String, Object> write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("groundTruth", "injection: a relabelled test example memorized, in a fresh copy of the trained model,"
                + " by fine-tuning only its own units' incoming and outgoing weights");
        json.put("model", r.model());
        json.put("trainingEpochs", r.epochs());
        json.put("units", r.taps());
        json.put("unitPool", r.options().pool().cliName());
        json.put("unitsPerTarget", r.options().unitsPerTarget());
        json.put("learningRate", r.options().learningRate());
        json.put("maxSteps", r.options().maxSteps());
        json.put("injected", r.injected());
        json.put("memorized", r.memorized());
        json.put("meanFineTuningSteps", r.meanSteps());
        json.put("accuracyBeforeInjection", Map.of("train", r.accuracyBefore()[0], "test", r.accuracyBefore()[1]));
        json.put("accuracyAfterInjection", Map.of("train", r.accuracyAfter()[0], "test", r.accuracyAfter()[1]));
        json.put("ks", r.comparison().ks());
        json.put("methods", ComparisonFiles.summary(r.comparison()));
        json.put("table", r.table());
        Files.write(dir.resolve("injection-table.txt"), r.table());
        dev.engram.memorization.io.CsvTable ex = new dev.engram.memorization.io.CsvTable(List.of("test_row", "example_id",
                "label", "new_label", "units", "steps", "p_new_label", "memorized", "train_acc", "test_acc"));
        for (Injection i : r.injections()) {
            ex.addRow(i.testRow(), i.exampleId(), i.label(), i.newLabel(), String.join(" ", i.units()), i.steps(), i.pNew(),
                    i.memorized() ? 1 : 0, i.trainAcc(), i.testAcc());
        }
        ex.write(dir.resolve("injection-examples.csv"));
        ComparisonFiles.write(r.comparison(), dir, "injection-", "benchmark.png",
                "Localization with injection ground truth: " + r.model(), r.taps());
        return json;
    }
}
