package dev.engram.memorization.localize;

import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code engram localize}: the localization methods of docs/methods.md §11 side by side on a run's final model. The
 * targets are noisy training examples the model memorized (it predicts their corrupted label), a seeded sample of
 * them (a model that memorized none is refused: there is no memorized prediction to localize); a run has no ground
 * truth, so each method is measured by the effect of zeroing its top units (does the
 * memorized prediction go, what does it cost elsewhere), the overlap of its units across targets and its time.
 * Writes {@code results.json}, {@code methods.csv}, {@code per-target.csv} and {@code methods.png}.
 */
public final class LocalizationAnalysis implements Analysis<LocalizationAnalysis.Options, LocalizationAnalysis.Result> {

    /**
     * Options.
     *
     * @param methods    method names ({@link LocalizationMethods#NAMES})
     * @param targets    memorized noisy examples to localize (a seeded sample)
     * @param epoch      checkpoint epoch; -1 = the last
     * @param methodSettings the methods' settings
     * @param comparison the measurements' settings
     */
    public record Options(List<String> methods, int targets, int epoch, LocalizationMethods.Settings methodSettings,
                          LocalizationComparison.Settings comparison) {
        /** Validates. */
        public Options {
            if (methods == null || methods.isEmpty()) throw new IllegalArgumentException("localize: no method given");
            for (String m : methods) {
                if (!LocalizationMethods.NAMES.contains(m)) {
                    throw new IllegalArgumentException("localize: unknown method '" + m + "'; choose from " + LocalizationMethods.NAMES);
                }
            }
            if (targets < 1) throw new IllegalArgumentException("localize: targets must be >= 1, got " + targets);
            if (epoch < -1) throw new IllegalArgumentException("localize: epoch must be >= 0 (or -1 = last), got " + epoch);
            methods = List.copyOf(methods);
        }

        /** All methods, 20 targets, the last checkpoint, default settings. */
        public static Options defaults() {
            return new Options(LocalizationMethods.NAMES, 20, -1, LocalizationMethods.Settings.DEFAULTS,
                    LocalizationComparison.Settings.DEFAULTS);
        }
    }

    /**
     * The result.
     *
     * @param epoch      the checkpoint used
     * @param memorized  memorized noisy examples the targets were drawn from
     * @param comparison the methods' measurements
     * @param table      the comparison as a text table
     * @param tapChannels units per tap
     */
    public record Result(int epoch, int memorized, LocalizationComparison.Comparison comparison, List<String> table,
                         Map<String, Integer> tapChannels) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            int[] ks = comparison.ks();
            for (LocalizationComparison.MethodResult m : comparison.methods()) {
                StringBuilder v = new StringBuilder();
                for (int i = 0; i < ks.length; i++) {
                    v.append(i == 0 ? "removed@" : " / @").append(ks[i]).append(' ').append(SummaryRow.pct(m.removalRate(i)));
                }
                v.append(String.format(Locale.ROOT, "; overlap %.3f; %.2fs/target", m.specificity(), m.secondsPerTarget()));
                rows.add(new SummaryRow(m.method(), v.toString()));
            }
            return rows;
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.LOCALIZE;
    }

    @Override
    public void check(RunData data, Options o) throws IOException {
        data.run().requireNoisy("Localization");
        List<RunFolder.Checkpoint> cks = data.run().checkpoints();
        if (cks.isEmpty()) {
            throw new IllegalArgumentException("run " + data.run().dir() + " has no checkpoint; train it with `engram train`");
        }
        if (o.epoch() >= 0 && cks.stream().noneMatch(c -> c.epoch() == o.epoch())) {
            throw new IllegalArgumentException("localize: run " + data.run().dir() + " has no checkpoint of epoch " + o.epoch()
                    + " (epochs: " + cks.stream().map(RunFolder.Checkpoint::epoch).toList() + ")");
        }
        new MaskedModel(data.newModel(), null, data.trainSet()); // a model with taps
    }

    @Override
    public Result run(RunData data, Options o, Progress progress) throws IOException {
        List<RunFolder.Checkpoint> cks = data.run().checkpoints();
        int epoch = o.epoch() >= 0 ? o.epoch() : cks.get(cks.size() - 1).epoch();
        Module model = data.modelAt(epoch);
        ExampleSet train = data.trainSet();
        MaskedModel onTrain = new MaskedModel(model, null, train);
        MaskedModel onTest = new MaskedModel(model, null, data.testSet());
        int[] memorized = memorizedNoisy(onTrain, o.comparison().batchSize());
        if (memorized.length == 0) {
            // every measure (removal of the memorized prediction, its collateral) presumes the label is predicted
            throw new IllegalStateException("localize: the epoch-" + epoch + " model of run " + data.run().dir()
                    + " memorized none of its " + train.rowsWhere(true).length + " noisy examples (none is predicted with"
                    + " its noisy training label), so there is no memorized prediction to localize; choose a later"
                    + " --epoch or a run trained until it fits its noisy labels");
        }
        int[] targets = sample(memorized, o.targets(), o.methodSettings().seed());
        progress.line(String.format(Locale.ROOT, "localize: %d of %d memorized noisy examples, %d units at %s, methods %s",
                targets.length, memorized.length, onTrain.units(), onTrain.tapChannels(), o.methods()));
        int[] beyond = java.util.Arrays.stream(o.comparison().ks()).filter(k -> k >= onTrain.units()).toArray();
        if (beyond.length > 0) {
            progress.line(String.format(Locale.ROOT, "warning: k = %s %s at least the model's %d units at the taps:"
                    + " each of these ablations zeroes every unit, so it cannot tell the methods apart", java.util.Arrays.toString(beyond).replaceAll("[\\[\\]]", ""), beyond.length == 1 ? "is" : "are",
                    onTrain.units()));
        }
        LocalizationComparison.Comparison c = LocalizationComparison.runEach(onTrain, onTest,
                LocalizationMethods.create(o.methods(), o.methodSettings()), targets, null, o.comparison(), progress);
        return new Result(epoch, memorized.length, c, ComparisonFiles.table(c), onTrain.tapChannels());
    }

    /** Rows of noisy examples the model predicts with their corrupted label. */
    static int[] memorizedNoisy(MaskedModel m, int batch) {
        int[] noisy = m.data().rowsWhere(true);
        List<Integer> out = new ArrayList<>();
        for (int from = 0; from < noisy.length; from += batch) {
            int[] part = Arrays.copyOfRange(noisy, from, Math.min(noisy.length, from + batch));
            float[][] logits = m.evaluate(part, null, null).logits();
            for (int j = 0; j < part.length; j++) {
                if (MaskedModel.argmax(logits[j]) == m.data().labels()[part[j]]) out.add(part[j]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A seeded sample of up to {@code n} of {@code rows}, sorted. */
    static int[] sample(int[] rows, int n, long seed) {
        int[] p = rows.clone();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed ^ 0x7A46E75L);
        for (int i = p.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        int[] r = Arrays.copyOf(p, Math.min(n, p.length));
        Arrays.sort(r);
        return r;
    }

    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", kind().dirName());
        json.put("epoch", r.epoch());
        json.put("memorizedNoisy", r.memorized());
        json.put("targetsMemorized", r.memorized() > 0);
        json.put("targets", r.comparison().methods().isEmpty() ? 0 : r.comparison().methods().get(0).targets().size());
        json.put("units", r.tapChannels());
        json.put("ks", r.comparison().ks());
        json.put("accuracyNothingZeroed", Map.of("train", r.comparison().baseTrainAcc(), "test", r.comparison().baseTestAcc()));
        json.put("methods", ComparisonFiles.summary(r.comparison()));
        json.put("table", r.table());
        Results.writeJson(dir.resolve(RunFolder.RESULTS), json);
        ComparisonFiles.write(r.comparison(), dir, "", "methods.png", "Localization methods: removing the memorized prediction",
                r.tapChannels());
    }
}
