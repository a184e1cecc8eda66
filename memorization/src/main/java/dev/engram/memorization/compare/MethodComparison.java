package dev.engram.memorization.compare;

import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.TrainingMethods;
import dev.engram.memorization.train.MethodRecipe;
import dev.engram.nn.Module;
import dev.engram.nn.models.HasLayerGroups;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training methods against memorization compared on one axis (docs/methods.md §10.7): each method trains a fresh
 * model of the run on the run's noisy training labels (the same labels for every method and seed) with the run's
 * recipe, once per seed (the seed sets initialisation, shuffling and the methods' randomness), and is measured the same
 * way: accuracy on the noisy training examples against their corrupted label (memorization), on the clean training
 * examples and on the test set, in evaluation mode (JoCoR: its first network). Example-tied dropout
 * ({@link ExampleTiedDropoutExperiment}) joins as {@code etd-after} (memorization units dropped) and {@code etd-before}.
 * The point of the comparison: low memorization at high test accuracy.
 */
public final class MethodComparison implements Analysis<MethodComparison.Options, MethodComparison.Result> {

    /** A method of the comparison: its name in tables and charts and its settings. */
    public record Entry(String name, TrainingMethods methods) {
        /** Validates the name. */
        public Entry {
            if (name == null || !name.matches("[a-z0-9][a-z0-9._+-]*")) {
                throw new IllegalArgumentException("compare-methods: method name must be lower-case letters, digits, . _ + -,"
                        + " got '" + name + "'");
            }
            if (methods == null) throw new IllegalArgumentException("compare-methods: method '" + name + "' has no settings");
        }
    }

    /**
     * Options.
     *
     * @param entries   the methods, in table order (plain training first by convention)
     * @param seeds     seeds of the models (each method is trained once per seed)
     * @param epochs    training epochs of every model; 0 = the run's
     * @param etd       also train example-tied dropout with (pGen, pMem)
     * @param pGen      example-tied dropout's generalization keep probability
     * @param pMem      example-tied dropout's memorization keep probability
     * @param evalBatch evaluation batch size
     */
    public record Options(List<Entry> entries, List<Long> seeds, int epochs, boolean etd, double pGen, double pMem,
                          int evalBatch) {
        /** Validates. */
        public Options {
            if (entries == null || entries.isEmpty()) throw new IllegalArgumentException("compare-methods: no method to compare");
            List<String> names = new ArrayList<>();
            for (Entry e : entries) {
                if (names.contains(e.name())) throw new IllegalArgumentException("compare-methods: method '" + e.name() + "' given twice");
                names.add(e.name());
            }
            if (etd && (names.contains("etd-before") || names.contains("etd-after"))) {
                throw new IllegalArgumentException("compare-methods: the names etd-before and etd-after are example-tied dropout's");
            }
            if (seeds == null || seeds.isEmpty()) throw new IllegalArgumentException("compare-methods: no seed");
            if (seeds.stream().distinct().count() != seeds.size()) throw new IllegalArgumentException("compare-methods: seeds repeat: " + seeds);
            if (epochs < 0) throw new IllegalArgumentException("compare-methods: epochs must be >= 0 (0 = the run's), got " + epochs);
            if (etd && (!(pGen > 0 && pGen <= 1) || !(pMem >= 0 && pMem <= 1))) {
                throw new IllegalArgumentException("compare-methods: ETD needs pGen in (0, 1] and pMem in [0, 1], got " + pGen + ", " + pMem);
            }
            if (evalBatch < 1) throw new IllegalArgumentException("compare-methods: evaluation batch must be >= 1, got " + evalBatch);
            entries = List.copyOf(entries);
            seeds = List.copyOf(seeds);
        }
    }

    /**
     * The six methods of docs/methods.md §10 beside plain training, with the papers' settings where they fit a short
     * run: {@code standard}; {@code sce} (alpha 0.1, beta 1); {@code sam} (rho 0.05); {@code jocor} (lambda 0.9, forget
     * rate = the noise fraction, reached after a third of the epochs, at most 10); {@code rho-loss} (one batch in
     * {@code rhoFactor}, irreducible-loss models trained as long as the run); {@code dropout} ({@code dropoutP} after the
     * hidden activations, only for models with the option); {@code reinit} (the last layer group re-initialized after
     * every quarter of the epochs, up to three quarters).
     *
     * @param model a model of the run (for its layer groups)
     */
    public static List<Entry> standardSet(ExperimentConfig cfg, Module model, int epochs, int rhoFactor, double dropoutP) {
        TrainingMethods s = TrainingMethods.STANDARD;
        List<Entry> out = new ArrayList<>();
        out.add(new Entry("standard", s));
        out.add(new Entry("sce", s.toBuilder().sce(0.1, 1.0).build()));
        out.add(new Entry("sam", s.toBuilder().sam(0.05, false).build()));
        out.add(new Entry("jocor", s.toBuilder().jocor(true, 0.9, cfg.noiseFraction(), Math.max(1, Math.min(10, epochs / 3))).build()));
        out.add(new Entry("rho-loss", s.toBuilder().rhoLoss(true, rhoFactor, 0).build()));
        if (dev.engram.nn.models.Models.WITH_DROPOUT_OPTION.contains(cfg.model())) {
            out.add(new Entry("dropout", s.toBuilder().dropout(dropoutP).build()));
        }
        if (model instanceof HasLayerGroups g && epochs >= 4) {
            List<String> groups = new ArrayList<>(g.layerGroups().keySet());
            int every = Math.max(1, epochs / 4);
            out.add(new Entry("reinit", s.toBuilder().reinit(groups.get(groups.size() - 1), every, 3 * epochs / 4, "together").build()));
        }
        return out;
    }

    /** Accuracies of one trained model. */
    public record Accuracies(double noisyTrain, double cleanTrain, double test) { }

    /** One model: method, seed, its accuracies and training seconds. */
    public record Trained(String method, String settings, long seed, Accuracies accuracy, double seconds) { }

    /**
     * Mean and standard deviation (sample, n - 1) over seeds; the deviation of one seed is not defined: NaN (it was 0,
     * shown as "±0.00%", as if the seeds agreed).
     */
    public record Stat(double mean, double std) {
        static Stat of(double[] v) {
            double m = 0;
            for (double x : v) m += x;
            m /= v.length;
            double ss = 0;
            for (double x : v) ss += (x - m) * (x - m);
            return new Stat(m, v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : Double.NaN);
        }
    }

    /** One method over seeds. */
    public record Summary(String method, String settings, int seeds, Stat noisyTrain, Stat cleanTrain, Stat test,
                          double meanSeconds) { }

    /**
     * The comparison.
     *
     * @param dataset       the run's dataset
     * @param model         the run's model
     * @param noiseFraction the run's label noise
     * @param trainExamples training examples
     * @param noisyExamples noisy ones
     * @param epochs        epochs of every model
     * @param seeds         seeds
     * @param models        every trained model
     * @param summaries     per method, in table order
     */
    public record Result(String dataset, String model, double noiseFraction, int trainExamples, int noisyExamples,
                         int epochs, List<Long> seeds, List<Trained> models, List<Summary> summaries) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            for (Summary s : summaries) {
                List<SummaryRow.Figure> numbers = new ArrayList<>(); // mean and std of each, "n/a" standing for both
                for (Stat x : List.of(s.noisyTrain(), s.cleanTrain(), s.test())) {
                    boolean exists = Double.isFinite(x.mean());
                    numbers.add(SummaryRow.Figure.percentOf(x.mean()));
                    numbers.add(SummaryRow.Figure.percentOf(exists ? x.std() : Double.NaN));
                }
                rows.add(new SummaryRow(s.method() + ": noisy-train / clean-train / test (" + s.seeds() + " seed"
                        + (s.seeds() == 1 ? "" : "s") + ")", String.format(Locale.ROOT, "%s / %s / %s",
                        pm(s.noisyTrain()), pm(s.cleanTrain()), pm(s.test())), numbers));
            }
            return rows;
        }
    }

    private static String pm(Stat s) {
        if (!Double.isFinite(s.mean())) return "n/a"; // no such examples (e.g. no clean ones under random labels)
        if (!Double.isFinite(s.std())) return String.format(Locale.ROOT, "%.2f%%", 100 * s.mean()); // one seed
        return String.format(Locale.ROOT, "%.2f±%.2f%%", 100 * s.mean(), 100 * s.std());
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.COMPARE_METHODS;
    }

    @Override
    public void check(RunData data, Options o) throws IOException {
        data.run().requireNoisy("The method comparison");
        ExperimentConfig cfg = data.config();
        for (Entry e : o.entries()) {
            ExperimentConfig c = cfg.toBuilder().methods(e.methods()).build(); // validates dropout against the model
            Module m = RunData.createModel(c, data.train());
            for (String g : e.methods().reinitGroups()) {
                if (!((HasLayerGroups) m).layerGroups().containsKey(g)) {
                    throw new IllegalArgumentException("compare-methods: method '" + e.name() + "' re-initializes '" + g
                            + "', which " + cfg.model() + " does not have; it has " + ((HasLayerGroups) m).layerGroups().keySet());
                }
            }
        }
        if (o.etd()) ExampleTiedDropoutExperiment.taps(data.newModel());
    }

    @Override
    public Result run(RunData data, Options o, Progress progress) throws IOException {
        ExperimentConfig cfg = data.config();
        int epochs = o.epochs() > 0 ? o.epochs() : cfg.epochs();
        ExampleSet train = data.trainSet(), test = data.testSet();
        int perSeed = o.entries().size() + (o.etd() ? 1 : 0);
        progress.line(String.format(Locale.ROOT, "compare-methods: %d methods x %d seeds on %s/%s, %d training examples (%d noisy), %d epochs",
                perSeed, o.seeds().size(), cfg.dataset(), cfg.model(), train.size(), train.noisyCount(), epochs));
        List<Trained> models = new ArrayList<>();
        try (Progress.Task task = progress.task("compare-methods (models)", (long) perSeed * o.seeds().size())) {
            long done = 0;
            for (long seed : o.seeds()) {
                for (Entry e : o.entries()) {
                    ExperimentConfig c = cfg.toBuilder().seed(seed).methods(e.methods()).build();
                    long t0 = System.nanoTime();
                    Module model = RunData.createModel(c, data.train());
                    try (MethodRecipe recipe = MethodRecipe.prepare(c, data.normalization(), data.labeledTrain(), train,
                            model, epochs, progress::line)) {
                        recipe.trainer().build().fit();
                    }
                    model.eval();
                    Accuracies a = measure(model, train, test, o.evalBatch());
                    Trained t = new Trained(e.name(), e.methods().label(), seed, a, (System.nanoTime() - t0) / 1e9);
                    models.add(t);
                    report(progress, t);
                    task.stepTo(++done);
                }
                if (o.etd()) {
                    ExperimentConfig c = cfg.toBuilder().seed(seed).methods(TrainingMethods.STANDARD).build();
                    var etd = ExampleTiedDropoutExperiment.trainAndMeasureEtd(data, c, o.pGen(), o.pMem(), epochs,
                            o.evalBatch(), Progress.NONE);
                    String settings = String.format(Locale.ROOT, "example-tied dropout pGen %s pMem %s", o.pGen(), o.pMem());
                    var before = etd.before();
                    var after = etd.after();
                    models.add(new Trained("etd-before", settings, seed,
                            new Accuracies(before.noisyTrain(), before.cleanTrain(), before.test()), etd.trainSeconds()));
                    Trained t = new Trained("etd-after", settings + ", memorization units dropped", seed,
                            new Accuracies(after.noisyTrain(), after.cleanTrain(), after.test()), etd.trainSeconds());
                    models.add(t);
                    report(progress, t);
                    task.stepTo(++done);
                }
            }
        }
        return new Result(cfg.dataset(), cfg.model(), cfg.noiseFraction(), train.size(), train.noisyCount(), epochs,
                o.seeds(), models, summarize(models));
    }

    private static void report(Progress progress, Trained t) {
        progress.line(String.format(Locale.ROOT, "  %-10s seed %d: noisy-train %.4f clean-train %.4f test %.4f (%.0f s)",
                t.method(), t.seed(), t.accuracy().noisyTrain(), t.accuracy().cleanTrain(), t.accuracy().test(), t.seconds()));
    }

    /** Noisy-train (against the corrupted label), clean-train and test accuracy of {@code model} in evaluation mode. */
    public static Accuracies measure(Module model, ExampleSet train, ExampleSet test, int evalBatch) {
        Evaluation.PerExample tr = Evaluation.run(model, train, evalBatch);
        return new Accuracies(tr.accuracy(train.noisy(), true), tr.accuracy(train.noisy(), false),
                Evaluation.run(model, test, evalBatch).accuracy());
    }

    /** Per method (in order of first appearance): mean and standard deviation over its models. */
    static List<Summary> summarize(List<Trained> models) {
        Map<String, List<Trained>> by = new LinkedHashMap<>();
        for (Trained t : models) by.computeIfAbsent(t.method(), k -> new ArrayList<>()).add(t);
        List<Summary> out = new ArrayList<>();
        by.forEach((name, ts) -> {
            int n = ts.size();
            double[] noisy = new double[n], clean = new double[n], test = new double[n];
            double secs = 0;
            for (int i = 0; i < n; i++) {
                noisy[i] = ts.get(i).accuracy().noisyTrain();
                clean[i] = ts.get(i).accuracy().cleanTrain();
                test[i] = ts.get(i).accuracy().test();
                secs += ts.get(i).seconds() / n;
            }
            out.add(new Summary(name, ts.get(0).settings(), n, Stat.of(noisy), Stat.of(clean), Stat.of(test), secs));
        });
        return out;
    }

    /**
     * Writes {@code results.json}, {@code methods.csv} (mean and std per method), {@code models.csv} (one row per model),
     * {@code memorization-vs-test.png} (noisy-train against test accuracy, one point per method with the test accuracy's
     * std over seeds) and {@code accuracies.png} (the three accuracies per method).
     */
    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", AnalysisKind.COMPARE_METHODS.dirName());
        json.put("dataset", r.dataset());
        json.put("model", r.model());
        json.put("noiseFraction", r.noiseFraction());
        json.put("trainExamples", r.trainExamples());
        json.put("noisyExamples", r.noisyExamples());
        json.put("epochs", r.epochs());
        json.put("seeds", r.seeds());
        json.put("measure", "accuracy in evaluation mode: noisy-train against the corrupted labels (memorization),"
                + " clean-train, test; the run's noisy labels for every method and seed");
        json.put("summaries", r.summaries());
        json.put("models", r.models());
        Results.writeJson(dir.resolve("results.json"), json);
        CsvTable s = new CsvTable("method", "settings", "seeds", "noisy_train_mean", "noisy_train_std", "clean_train_mean",
                "clean_train_std", "test_mean", "test_std", "mean_seconds");
        for (Summary m : r.summaries()) {
            s.addRow(m.method(), m.settings(), m.seeds(), m.noisyTrain().mean(), m.noisyTrain().std(), m.cleanTrain().mean(),
                    m.cleanTrain().std(), m.test().mean(), m.test().std(), m.meanSeconds());
        }
        s.write(dir.resolve("methods.csv"));
        CsvTable t = new CsvTable("method", "seed", "noisy_train", "clean_train", "test", "seconds");
        for (Trained m : r.models()) {
            t.addRow(m.method(), m.seed(), m.accuracy().noisyTrain(), m.accuracy().cleanTrain(), m.accuracy().test(), m.seconds());
        }
        t.write(dir.resolve("models.csv"));
        List<Charts.Series> points = new ArrayList<>();
        List<String> cats = new ArrayList<>();
        double[][] bars = new double[3][r.summaries().size()];
        int i = 0;
        for (Summary m : r.summaries()) {
            points.add(new Charts.Series(m.method(), new double[] {m.noisyTrain().mean()}, new double[] {m.test().mean()},
                    new double[] {m.test().std()}));
            cats.add(m.method());
            bars[0][i] = m.noisyTrain().mean();
            bars[1][i] = m.cleanTrain().mean();
            bars[2][i++] = m.test().mean();
        }
        Charts.line(dir.resolve("memorization-vs-test.png"), "Memorization vs test accuracy per method ("
                + r.model() + ", " + r.seeds().size() + " seeds)", "noisy-train accuracy (memorization)", "test accuracy", points);
        Map<String, double[]> groups = new LinkedHashMap<>();
        groups.put("noisy train", bars[0]);
        groups.put("clean train", bars[1]);
        groups.put("test", bars[2]);
        Charts.groupedBar(dir.resolve("accuracies.png"), "Accuracy per method, mean over seeds", "method", "accuracy",
                cats, groups);
    }
}
