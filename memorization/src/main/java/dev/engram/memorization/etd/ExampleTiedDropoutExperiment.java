package dev.engram.memorization.etd;

import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.LoaderBatchSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.data.TrainingRecipe;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.nn.models.HasTaps;
import dev.engram.nn.models.ResNet9;
import dev.engram.nn.train.ProgressMode;
import dev.engram.nn.train.Trainer;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.layers.ExampleTiedDropout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Example-tied dropout experiment (docs/methods.md §6.3–6.4): train a model with example-tied dropout at the given taps on
 * noisy labels, then measure accuracy on clean training examples, on noisy training examples (against their
 * corrupted label: memorization) and on the test set, before and after dropping the memorization units.
 *
 * <p>Measurement (docs/methods.md §6.3, consistent with the reference's modes; BN always in evaluation mode): training
 * examples before dropping use their own tied masks ({@link ExampleTiedDropout.Mode#TRAIN}), the test set the
 * expectation ({@link ExampleTiedDropout.Mode#TEST}); "after" is {@link ExampleTiedDropout.Mode#DROP} for all three.
 * The paper reports noisy-train accuracy 100% → 0.1% (MNIST) with a clean-accuracy cost of 0.8 points (docs/methods.md §7).
 *
 * <p>Baselines (Table 3): standard dropout and a fixed sparse mask, both with drop probability {@code p = pGen}
 * as the reference code's {@code nn.Dropout(p_gen)} (docs/methods.md §9 item 24 notes that capacity matching would rather
 * suggest keep probability {@code pGen}; {@link Settings#baselineDropProbability} makes that a choice), and
 * optionally no regularization at all. A baseline has nothing to drop: its "after" equals its "before".
 *
 * <p>Each model is a fresh model of the run (its architecture and initialisation seed), trained on the nn
 * {@link Trainer} with the run's recipe ({@link TrainingRecipe}: its batches, augmentation, optimizer and schedule)
 * for the run's number of epochs unless {@link Settings#epochs} says otherwise. The layers go at the model's taps:
 * the paper's six positions for ResNet-9 ({@link ResNet9#ETD_TAPS}), every tap of any other model.
 */
public final class ExampleTiedDropoutExperiment
        implements Analysis<ExampleTiedDropoutExperiment.Settings, ExampleTiedDropoutExperiment.Result> {

    /** The methods compared. */
    public enum Method {
        /** Example-tied dropout. */
        ETD,
        /** Standard inverted dropout, identity at test time. */
        STANDARD_DROPOUT,
        /** A fixed sparse elementwise mask, at train and test time. */
        FIXED_MASK,
        /** No inserted layer. */
        NONE
    }

    /**
     * Settings of one experiment.
     *
     * @param grid                    (pGen, pMem) pairs to train example-tied dropout with
     * @param methods                 methods to run (baselines run once, with the first grid pair's pGen)
     * @param baselineDropProbability drop probability of the baselines; NaN = pGen of the first grid pair, as the
     *                                reference code
     * @param epochs                  training epochs of each model; 0 = the run's
     * @param evalBatchSize           evaluation batch size
     */
    public record Settings(List<double[]> grid, List<Method> methods, double baselineDropProbability, int epochs,
                           int evalBatchSize) {
        /** The reference code's grid point (pGen 0.2, pMem 0.1), ETD and both baselines, the run's epochs. */
        public static final Settings DEFAULTS = new Settings(List.<double[]>of(new double[] {0.2, 0.1}),
                List.of(Method.ETD, Method.STANDARD_DROPOUT, Method.FIXED_MASK), Double.NaN, 0, 500);

        /** Validates. */
        public Settings {
            if (grid == null || grid.isEmpty()) throw new IllegalArgumentException("ETD: the (pGen, pMem) grid is empty");
            for (double[] g : grid) {
                if (g.length != 2 || !(g[0] > 0 && g[0] <= 1) || !(g[1] >= 0 && g[1] <= 1)) {
                    throw new IllegalArgumentException("ETD: grid entries must be (pGen in (0,1], pMem in [0,1]), got "
                            + java.util.Arrays.toString(g));
                }
            }
            if (methods == null || methods.isEmpty()) throw new IllegalArgumentException("ETD: no method to run");
            if (!Double.isNaN(baselineDropProbability) && !(baselineDropProbability >= 0 && baselineDropProbability < 1)) {
                throw new IllegalArgumentException("ETD: baseline drop probability must be in [0, 1), got "
                        + baselineDropProbability);
            }
            if (epochs < 0) throw new IllegalArgumentException("ETD: epochs must be >= 0 (0 = the run's), got " + epochs);
            if (evalBatchSize < 1) throw new IllegalArgumentException("ETD: evaluation batch size must be >= 1, got " + evalBatchSize);
            grid = List.copyOf(grid);
            methods = List.copyOf(methods);
        }

        /** The drop probability the baselines use. */
        public double baselineP() {
            return Double.isNaN(baselineDropProbability) ? grid.get(0)[0] : baselineDropProbability;
        }
    }

    /**
     * The experiment's outcome.
     *
     * @param dataset       the run's dataset
     * @param model         the run's model
     * @param taps          where the layers went
     * @param trainExamples training examples
     * @param noisyExamples noisy ones among them
     * @param settings      the settings
     * @param epochs        training epochs of each model
     * @param maskSeed      seed of the tied and baseline masks (the run's seed)
     * @param outcomes      one per trained model
     */
    public record Result(String dataset, String model, List<String> taps, int trainExamples, int noisyExamples,
                         Settings settings, int epochs, long maskSeed, List<Outcome> outcomes) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            for (Outcome o : outcomes) {
                if (o.method().equals("ETD")) { // what dropping starts from: without memorization it shows nothing
                    rows.add(new SummaryRow("ETD before dropping: clean / noisy / test", SummaryRow.pcts(
                            o.before().cleanTrain(), o.before().noisyTrain(), o.before().test())));
                }
                String label = o.method().equals("ETD") ? "ETD after dropping: clean / noisy / test"
                        : o.method() + ": clean / noisy / test";
                rows.add(new SummaryRow(label, SummaryRow.pcts(o.after().cleanTrain(), o.after().noisyTrain(),
                        o.after().test())));
            }
            return rows;
        }
    }

    /** Accuracies on clean train, noisy train (corrupted labels) and test examples. */
    public record Accuracies(double cleanTrain, double noisyTrain, double test) { }

    /**
     * One trained model's outcome.
     *
     * @param before accuracy as trained (ETD: own masks on training examples, expectation on test)
     * @param after  after dropping the memorization units (ETD: DROP mode); equal to {@code before} for baselines
     */
    public record Outcome(String method, double pGen, double pMem, double dropProbability, Accuracies before,
                          Accuracies after, double trainSeconds) {
        /** Clean-train accuracy lost by dropping, in points. */
        public double cleanCostPoints() {
            return 100 * (before.cleanTrain() - after.cleanTrain());
        }
    }

    /** Below this noisy-train accuracy before dropping, the ETD model has memorized too little to test the claim. */
    static final double FEW_MEMORIZED = 0.5;

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.ETD;
    }

    @Override
    public void check(RunData data, Settings settings) throws IOException {
        data.run().requireNoisy("Example-tied dropout");
        taps(data.newModel());
    }

    /** ETD positions: the paper's six for ResNet-9, every tap of any other model. */
    public static List<String> taps(Module m) {
        if (m instanceof ResNet9) return ResNet9.ETD_TAPS;
        if (m instanceof HasTaps h && !h.tapNames().isEmpty()) return h.tapNames();
        throw new IllegalArgumentException(m.getClass().getSimpleName() + " has no taps for example-tied dropout");
    }

    @Override
    public Result run(RunData data, Settings s, Progress progress) throws IOException {
        ExperimentConfig cfg = data.config();
        List<String> taps = taps(data.newModel());
        int epochs = s.epochs() > 0 ? s.epochs() : cfg.epochs();
        ExampleSet train = data.trainSet(), test = data.testSet();
        progress.line("example-tied dropout at taps " + taps + " of " + cfg.model() + ", " + train.size()
                + " training examples (" + train.noisyCount() + " noisy), " + epochs + " epochs");
        List<Outcome> out = new ArrayList<>();
        long models = 0;
        for (Method m : s.methods()) models += m == Method.ETD ? s.grid().size() : 1;
        try (Progress.Task task = progress.task("example-tied dropout (" + models + " model" + (models == 1 ? "" : "s")
                + " x " + epochs + " epochs)", models * epochs)) {
            long[] epochsDone = {0};
            Progress counting = new Progress() {
                @Override public void line(String line) {
                    progress.line(line);
                }

                @Override public Task task(String name, long total) {
                    return new Task() {
                        private long done;

                        @Override public void stepBy(long n) {
                            stepTo(done + n);
                        }

                        @Override public void stepTo(long done) {
                            this.done = done;
                            task.stepTo(epochsDone[0] + done);
                        }

                        @Override public void close() {
                            epochsDone[0] += total;
                            task.stepTo(epochsDone[0]);
                        }
                    };
                }
            };
            for (Method m : s.methods()) {
                if (m == Method.ETD) {
                    for (double[] g : s.grid()) {
                        progress.line(String.format(Locale.ROOT, "training with example-tied dropout pGen %.2f pMem %.2f", g[0], g[1]));
                        TapPlacement etd = TapPlacement.exampleTied(taps, g[0], g[1], cfg.seed());
                        Module model = data.newModel();
                        double secs = train(data, cfg, model, etd, epochs, counting);
                        out.add(measureEtd(model, etd, train, test, g[0], g[1], s.evalBatchSize(), secs));
                    }
                } else {
                    progress.line("training baseline " + m);
                    TapPlacement place = switch (m) {
                        case STANDARD_DROPOUT -> TapPlacement.standardDropout(taps, s.baselineP(), cfg.seed());
                        case FIXED_MASK -> TapPlacement.fixedMask(taps, s.baselineP(), cfg.seed());
                        case NONE -> null;
                        case ETD -> throw new IllegalStateException("unreachable");
                    };
                    Module model = data.newModel();
                    double secs = train(data, cfg, model, place, epochs, counting);
                    out.add(measureBaseline(model, place, m, s.baselineP(), train, test, s.evalBatchSize(), secs));
                }
                Outcome last = out.get(out.size() - 1);
                progress.line(String.format(Locale.ROOT, "%s: before clean %.4f noisy %.4f test %.4f; after clean %.4f noisy %.4f test %.4f",
                        last.method(), last.before().cleanTrain(), last.before().noisyTrain(), last.before().test(),
                        last.after().cleanTrain(), last.after().noisyTrain(), last.after().test()));
                if (last.method().equals("ETD") && train.noisyCount() > 0 && last.before().noisyTrain() < FEW_MEMORIZED) {
                    progress.line(String.format(Locale.ROOT, "warning: the ETD model fits only %.1f%% of the noisy labels"
                            + " before dropping, so dropping the memorization units has little to remove; train longer"
                            + " (--epochs) before reading the after-dropping accuracy", 100 * last.before().noisyTrain()));
                }
            }
        }
        return new Result(cfg.dataset(), cfg.model(), taps, train.size(), train.noisyCount(), s, epochs, cfg.seed(), out);
    }

    /**
     * Trains one model of the run with example-tied dropout (pGen, pMem) at its taps, with the recipe of {@code cfg}
     * (the run's, possibly under another seed: initialisation, shuffling and the tied masks follow {@code cfg.seed()};
     * the training labels are the run's), and measures it before and after dropping; the method comparison's ETD entry.
     */
    public static Outcome trainAndMeasureEtd(RunData data, ExperimentConfig cfg, double pGen, double pMem, int epochs,
                                             int evalBatch, Progress progress) throws IOException {
        Module model = RunData.createModel(cfg, data.train());
        TapPlacement etd = TapPlacement.exampleTied(taps(model), pGen, pMem, cfg.seed());
        double secs = train(data, cfg, model, etd, epochs, progress);
        return measureEtd(model, etd, data.trainSet(), data.testSet(), pGen, pMem, evalBatch, secs);
    }

    /**
     * Trains {@code model} with {@code place}'s layers at the taps (none when null) with the run's recipe for {@code epochs}
     * epochs; leaves model and layers in evaluation mode and returns the seconds taken.
     */
    public static double train(RunData data, Module model, TapPlacement place, int epochs, Progress progress)
            throws IOException {
        return train(data, data.config(), model, place, epochs, progress);
    }

    /** As {@link #train(RunData, Module, TapPlacement, int, Progress)} with the recipe of {@code cfg}. */
    private static double train(RunData data, ExperimentConfig cfg, Module model, TapPlacement place, int epochs,
                                Progress progress) throws IOException {
        long t0 = System.nanoTime();
        if (place != null) place.train(true);
        try (Progress.Task task = progress.task("training", epochs);
             LoaderBatchSource source = TrainingRecipe.batches(cfg, data.normalization(), data.labeledTrain(), 0);
             Taps t = place == null ? null : place.open()) {
            Trainer.builder().model(model).optimizer(TrainingRecipe.optimizer(cfg, model))
                    .schedule(TrainingRecipe.schedule(cfg, epochs, source.batchesPerEpoch())).epochs(epochs)
                    .trainData(source).progress(ProgressMode.NONE)
                    .epochListener((m, mod) -> {
                        task.stepTo(m.epoch());
                        if (m.epoch() == epochs || m.epoch() % 10 == 0) {
                            progress.line(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f", m.epoch(), epochs,
                                    m.trainLoss()));
                        }
                    })
                    .build().fit();
        }
        model.eval();
        if (place != null) place.train(false);
        return (System.nanoTime() - t0) * 1e-9;
    }

    /** Measures a model trained with example-tied dropout before and after dropping. */
    static Outcome measureEtd(Module model, TapPlacement etd, ExampleSet train, ExampleSet test, double pGen, double pMem,
                              int evalBatch, double secs) {
        etd.setEvalMode(ExampleTiedDropout.Mode.TRAIN);
        Evaluation.PerExample own = eval(model, etd, train, evalBatch);
        etd.setEvalMode(ExampleTiedDropout.Mode.TEST);
        Evaluation.PerExample testExp = eval(model, etd, test, evalBatch);
        etd.setEvalMode(ExampleTiedDropout.Mode.DROP);
        Evaluation.PerExample trainDrop = eval(model, etd, train, evalBatch);
        Evaluation.PerExample testDrop = eval(model, etd, test, evalBatch);
        return new Outcome("ETD", pGen, pMem, Double.NaN,
                new Accuracies(own.accuracy(train.noisy(), false), own.accuracy(train.noisy(), true), testExp.accuracy()),
                new Accuracies(trainDrop.accuracy(train.noisy(), false), trainDrop.accuracy(train.noisy(), true), testDrop.accuracy()),
                secs);
    }

    /** Measures a baseline model (nothing to drop: after = before). */
    static Outcome measureBaseline(Module model, TapPlacement place, Method m, double p, ExampleSet train, ExampleSet test,
                                   int evalBatch, double secs) {
        Evaluation.PerExample tr = eval(model, place, train, evalBatch);
        Evaluation.PerExample te = eval(model, place, test, evalBatch);
        Accuracies a = new Accuracies(tr.accuracy(train.noisy(), false), tr.accuracy(train.noisy(), true), te.accuracy());
        return new Outcome(m.name(), Double.NaN, Double.NaN, m == Method.NONE ? 0 : p, a, a, secs);
    }

    private static Evaluation.PerExample eval(Module model, TapPlacement place, ExampleSet data, int evalBatch) {
        if (place == null) return Evaluation.run(model, data, evalBatch);
        try (Taps t = place.open()) {
            return Evaluation.run(model, data, evalBatch);
        }
    }

    private static Double applicable(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** Writes {@code results.json}, {@code accuracies.csv} and {@code accuracy-before-after.png} into {@code dir}. */
    @Override
    public void write(Result r, Path dir) throws IOException {
        List<Outcome> outcomes = r.outcomes();
        Settings s = r.settings();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", "etd");
        json.put("dataset", r.dataset());
        json.put("model", r.model());
        json.put("taps", r.taps());
        json.put("trainExamples", r.trainExamples());
        json.put("noisyExamples", r.noisyExamples());
        json.put("settings", Map.of("grid", s.grid(), "methods", s.methods(), "baselineDropProbability", s.baselineP(),
                "maskSeed", r.maskSeed(), "epochs", r.epochs(), "training", "the run's recipe (batches, augmentation,"
                        + " optimizer, schedule); model initialisation = the run's seed"));
        json.put("outcomes", outcomes);
        json.put("paper", Map.of("noisyTrainAfterDrop", "MNIST 0.1%, SVHN 1.4%, CIFAR-10 3.1% (docs/methods.md §7 #4)",
                "cleanCostPoints", "MNIST 0.8, SVHN 4.2, CIFAR-10 9.2 (docs/methods.md §7 #5)"));
        Results.writeJson(dir.resolve("results.json"), json);
        CsvTable t = new CsvTable("method", "p_gen", "p_mem", "drop_probability", "clean_before", "noisy_before",
                "test_before", "clean_after", "noisy_after", "test_after", "train_seconds");
        for (Outcome o : outcomes) {
            // empty where a column does not apply (ETD has no single drop probability, baselines no p_gen / p_mem)
            t.addRow(o.method(), applicable(o.pGen()), applicable(o.pMem()), applicable(o.dropProbability()),
                    o.before().cleanTrain(), o.before().noisyTrain(),
                    o.before().test(), o.after().cleanTrain(), o.after().noisyTrain(), o.after().test(), o.trainSeconds());
        }
        t.write(dir.resolve("accuracies.csv"));
        List<String> cats = new ArrayList<>();
        double[][] v = new double[6][outcomes.size()];
        for (int i = 0; i < outcomes.size(); i++) {
            Outcome o = outcomes.get(i);
            cats.add(o.method().equals("ETD") ? String.format(Locale.ROOT, "ETD %.2f/%.2f", o.pGen(), o.pMem()) : o.method());
            v[0][i] = o.before().cleanTrain();
            v[1][i] = o.before().noisyTrain();
            v[2][i] = o.before().test();
            v[3][i] = o.after().cleanTrain();
            v[4][i] = o.after().noisyTrain();
            v[5][i] = o.after().test();
        }
        Map<String, double[]> g = new LinkedHashMap<>();
        String[] names = {"clean train before", "noisy train before", "test before", "clean train after", "noisy train after", "test after"};
        for (int k = 0; k < 6; k++) if (java.util.Arrays.stream(v[k]).allMatch(Double::isFinite)) g.put(names[k], v[k]);
        if (!g.isEmpty()) {
            Charts.groupedBar(dir.resolve("accuracy-before-after.png"), "Accuracy before and after dropping memorization units",
                    "method", "accuracy", cats, g);
        }
        gridHeatMaps(dir, outcomes);
    }

    /**
     * For a grid with more than one (pGen, pMem) pair, the paper's Table 2 as heat maps (rows pGen, columns pMem):
     * noisy training accuracy after dropping the memorization units (memorization left) and test accuracy after
     * dropping them. Pairs not in the grid are left blank.
     */
    private static void gridHeatMaps(Path dir, List<Outcome> outcomes) throws IOException {
        List<Outcome> etd = outcomes.stream().filter(o -> o.method().equals("ETD")).toList();
        java.util.TreeSet<Double> gens = new java.util.TreeSet<>(), mems = new java.util.TreeSet<>();
        for (Outcome o : etd) {
            gens.add(o.pGen());
            mems.add(o.pMem());
        }
        if (etd.size() < 2) return;
        List<Double> gl = new ArrayList<>(gens), ml = new ArrayList<>(mems);
        double[][] noisy = new double[gl.size()][ml.size()], test = new double[gl.size()][ml.size()];
        for (double[] row : noisy) java.util.Arrays.fill(row, Double.NaN);
        for (double[] row : test) java.util.Arrays.fill(row, Double.NaN);
        for (Outcome o : etd) {
            int r = gl.indexOf(o.pGen()), c = ml.indexOf(o.pMem());
            noisy[r][c] = o.after().noisyTrain();
            test[r][c] = o.after().test();
        }
        List<String> rows = gl.stream().map(x -> String.format(Locale.ROOT, "p_gen %.2f", x)).toList();
        List<String> cols = ml.stream().map(x -> String.format(Locale.ROOT, "p_mem %.2f", x)).toList();
        Charts.heatMap(dir.resolve("grid-noisy-after-drop.png"), "Noisy train accuracy after dropping the memorization"
                + " units (memorization left; paper Table 2)", "p_mem", "p_gen", cols, rows, noisy, 0, 1);
        if (java.util.Arrays.stream(test).flatMapToDouble(java.util.Arrays::stream).anyMatch(Double::isFinite)) {
            Charts.heatMap(dir.resolve("grid-test-after-drop.png"), "Test accuracy after dropping the memorization units"
                    + " (paper Table 2)", "p_mem", "p_gen", cols, rows, test, 0, 1);
        }
    }
}
