package dev.engram.memorization.compare;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.NoisyLabels;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.InputCorruption;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.train.MethodRecipe;
import dev.engram.nn.Module;
import dev.engram.nn.train.EpochMetrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fitting curves of Zhang et al., "Understanding deep learning requires rethinking generalization" (ICLR 2017,
 * §2, Figure 1a; docs/methods.md §8.10): models of the run's architecture and recipe trained from scratch on the
 * run's training examples with true labels, partially or completely random labels (Zhang et al.'s: that fraction of
 * the labels replaced by classes drawn uniformly from all classes, {@link LabelNoise#uniform}) and corrupted inputs ({@link InputCorruption}: shuffled pixels, random pixels, Gaussian noise),
 * every variant with the same seed, epochs and batches. After every epoch each model is evaluated (evaluation mode) on
 * all its training examples against the labels it trains on; the epoch at which that accuracy first reaches 100% is
 * its time to fit. Training goes through the run's {@link MethodRecipe}, as in the method comparison.
 */
public final class FittingCurves implements Analysis<FittingCurves.Options, FittingCurves.Result> {

    /**
     * A variant: its name in tables and charts, the fraction of training labels corrupted and the input corruption.
     */
    public record Variant(String name, double noiseFraction, String inputCorruption) {
        /** Validates. */
        public Variant {
            if (name == null || !name.matches("[a-z0-9][a-z0-9._+-]*")) {
                throw new IllegalArgumentException("fitting-curves: variant name must be lower-case letters, digits, . _ + -,"
                        + " got '" + name + "'");
            }
            if (!(noiseFraction >= 0 && noiseFraction <= 1)) {
                throw new IllegalArgumentException("fitting-curves: variant '" + name + "' label noise must be in [0, 1], got "
                        + noiseFraction);
            }
            InputCorruption.parse(inputCorruption);
        }
    }

    /** Zhang et al.'s variants with a half-noisy one: true labels, 50% and 100% random labels, three input corruptions. */
    public static final List<Variant> STANDARD = List.of(
            new Variant("true-labels", 0, "none"),
            new Variant("half-random-labels", 0.5, "none"),
            new Variant("random-labels", 1, "none"),
            new Variant("shuffled-pixels", 0, "shuffled-pixels"),
            new Variant("random-pixels", 0, "random-pixels"),
            new Variant("gaussian", 0, "gaussian"));

    /** The variant of {@link #STANDARD} named {@code name}. */
    public static Variant standard(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return STANDARD.stream().filter(v -> v.name().equals(n)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("fitting-curves: unknown variant '" + name + "'; known: "
                        + STANDARD.stream().map(Variant::name).toList()));
    }

    /**
     * Options.
     *
     * @param variants  the variants, in table order
     * @param epochs    training epochs of every model; 0 = the run's
     * @param evalBatch evaluation batch size
     */
    public record Options(List<Variant> variants, int epochs, int evalBatch) {
        /** Validates. */
        public Options {
            if (variants == null || variants.isEmpty()) throw new IllegalArgumentException("fitting-curves: no variant");
            List<String> names = new ArrayList<>();
            for (Variant v : variants) {
                if (names.contains(v.name())) throw new IllegalArgumentException("fitting-curves: variant '" + v.name() + "' given twice");
                names.add(v.name());
            }
            if (epochs < 0) throw new IllegalArgumentException("fitting-curves: epochs must be >= 0 (0 = the run's), got " + epochs);
            if (evalBatch < 1) throw new IllegalArgumentException("fitting-curves: evaluation batch must be >= 1, got " + evalBatch);
            variants = List.copyOf(variants);
        }
    }

    /**
     * One variant's curves: element e of each array is after e epochs (0 = the untrained model; the train-mode
     * numbers are NaN there).
     *
     * @param variant        the variant
     * @param trainLoss      mean training loss over the epoch's mini-batches (train mode)
     * @param batchAccuracy  accuracy over the epoch's mini-batches at the time of each step (train mode)
     * @param fitLoss        mean loss on all training examples against their training labels (evaluation mode)
     * @param fitAccuracy    accuracy on all training examples against their training labels (evaluation mode)
     * @param epochsToFit    first epoch with {@code fitAccuracy} 1, or -1 when not reached
     * @param stepsToFit     optimizer steps up to that epoch's end, or -1
     * @param testAccuracy   test accuracy after training (test images corrupted as the training ones, true labels)
     * @param seconds        wall time of training and evaluations
     */
    public record Curve(Variant variant, double[] trainLoss, double[] batchAccuracy, double[] fitLoss,
                        double[] fitAccuracy, int epochsToFit, long stepsToFit, double testAccuracy, double seconds) { }

    /**
     * The result.
     *
     * @param dataset        the run's dataset
     * @param model          the run's model
     * @param trainExamples  training examples of every variant
     * @param epochs         epochs of every model
     * @param stepsPerEpoch  optimizer steps per epoch
     * @param curves         per variant, in the options' order
     */
    public record Result(String dataset, String model, int trainExamples, int epochs, int stepsPerEpoch,
                         List<Curve> curves) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            for (Curve c : curves) {
                String fit = c.epochsToFit() < 0
                        ? String.format(Locale.ROOT, "not reached in %d epochs (final %.2f%%)", epochs,
                        100 * c.fitAccuracy()[c.fitAccuracy().length - 1])
                        : String.format(Locale.ROOT, "epoch %d (%d steps)", c.epochsToFit(), c.stepsToFit());
                boolean reached = c.epochsToFit() >= 0; // epochs and steps to fit (NaN when not reached), test accuracy
                rows.add(new SummaryRow(c.variant().name() + ": 100% training accuracy at / test accuracy",
                        fit + String.format(Locale.ROOT, " / %.2f%%", 100 * c.testAccuracy()),
                        List.of(SummaryRow.Figure.of(reached ? c.epochsToFit() : Double.NaN),
                                SummaryRow.Figure.of(reached ? c.stepsToFit() : Double.NaN),
                                SummaryRow.Figure.percentOf(c.testAccuracy()))));
            }
            return rows;
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.FITTING_CURVES;
    }

    @Override
    public void check(RunData data, Options o) throws IOException {
        for (Variant v : o.variants()) variantConfig(data.config(), v);
        data.train();
    }

    private static ExperimentConfig variantConfig(ExperimentConfig base, Variant v) {
        return base.toBuilder().noiseFraction(v.noiseFraction()).inputCorruption(v.inputCorruption())
                .trackWeightNorms(false).build();
    }

    @Override
    public Result run(RunData data, Options o, Progress progress) throws IOException {
        ExperimentConfig base = data.config();
        int epochs = o.epochs() > 0 ? o.epochs() : base.epochs();
        TrainTest raw = data.uncorrupted();
        progress.line(String.format(Locale.ROOT, "fitting-curves: %d variants on %s/%s, %d training examples, %d epochs",
                o.variants().size(), base.dataset(), base.model(), raw.train().size(), epochs));
        List<Curve> curves = new ArrayList<>();
        int stepsPerEpoch = 0;
        try (Progress.Task task = progress.task("fitting-curves (models)", o.variants().size())) {
            int done = 0;
            for (Variant v : o.variants()) {
                ExperimentConfig c = variantConfig(base, v);
                long t0 = System.nanoTime();
                TrainTest td = InputCorruption.parse(v.inputCorruption()).apply(raw, c.seed());
                NoisyLabels nl = LabelNoise.uniform(td.train().labels(), td.train().numClasses(), v.noiseFraction(), c.seed());
                Dataset labeled = nl.applyTo(td.train());
                ExampleSet train = ExampleSet.of(td.train(), data.normalization(), nl.noisyLabels(), nl.mask());
                ExampleSet test = ExampleSet.of(td.test(), data.normalization(), null, null);
                double[] trainLoss = new double[epochs + 1], batchAcc = new double[epochs + 1];
                double[] fitLoss = new double[epochs + 1], fitAcc = new double[epochs + 1];
                trainLoss[0] = Double.NaN;
                batchAcc[0] = Double.NaN;
                Module model = RunData.createModel(c, td.train());
                model.eval();
                Evaluation.PerExample e0 = Evaluation.run(model, train, o.evalBatch());
                fitLoss[0] = mean(e0.loss());
                fitAcc[0] = e0.accuracy();
                model.train(true);
                int perEpoch;
                try (MethodRecipe recipe = MethodRecipe.prepare(c, data.normalization(), labeled, train, model, epochs,
                        progress::line)) {
                    perEpoch = recipe.source().batchesPerEpoch();
                    recipe.trainer().epochListener((EpochMetrics m, Module mod) -> {
                        int e = m.epoch();
                        trainLoss[e] = m.trainLoss();
                        batchAcc[e] = m.trainAccuracy();
                        mod.eval();
                        Evaluation.PerExample ev = Evaluation.run(mod, train, o.evalBatch());
                        fitLoss[e] = mean(ev.loss());
                        fitAcc[e] = ev.accuracy();
                        mod.train(true);
                    }).build().fit();
                }
                stepsPerEpoch = perEpoch;
                model.eval();
                double testAcc = Evaluation.run(model, test, o.evalBatch()).accuracy();
                int fitEpoch = -1;
                for (int e = 0; e <= epochs && fitEpoch < 0; e++) if (fitAcc[e] == 1.0) fitEpoch = e;
                Curve curve = new Curve(v, trainLoss, batchAcc, fitLoss, fitAcc, fitEpoch,
                        fitEpoch < 0 ? -1 : (long) fitEpoch * perEpoch, testAcc, (System.nanoTime() - t0) / 1e9);
                curves.add(curve);
                progress.line(String.format(Locale.ROOT, "  %-20s final train loss %.4f, train accuracy %.4f, 100%% at %s,"
                                + " test %.4f (%.0f s)", v.name(), fitLoss[epochs], fitAcc[epochs],
                        fitEpoch < 0 ? "not reached" : "epoch " + fitEpoch + " (" + curve.stepsToFit() + " steps)",
                        testAcc, curve.seconds()));
                task.stepTo(++done);
            }
        }
        return new Result(base.dataset(), base.model(), raw.train().size(), epochs, stepsPerEpoch, curves);
    }

    private static double mean(float[] v) {
        double s = 0;
        for (float x : v) s += x;
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /**
     * Writes {@code results.json}, {@code curves.csv} (one row per variant and epoch), {@code fit.csv} (time to 100%
     * training accuracy and test accuracy per variant), {@code loss.png} (training loss per epoch, one line per
     * variant, as Zhang et al.'s Figure 1a), {@code accuracy.png} (training accuracy per epoch) and
     * {@code steps-to-fit.png}.
     */
    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", AnalysisKind.FITTING_CURVES.dirName());
        json.put("dataset", r.dataset());
        json.put("model", r.model());
        json.put("trainExamples", r.trainExamples());
        json.put("epochs", r.epochs());
        json.put("stepsPerEpoch", r.stepsPerEpoch());
        json.put("measure", "after every epoch, evaluation-mode loss and accuracy on all training examples against the"
                + " labels trained on; time to fit = first epoch at 100% of it; test accuracy on the test images"
                + " corrupted as the training ones, against their true labels");
        json.put("curves", r.curves());
        Results.writeJson(dir.resolve("results.json"), json);
        CsvTable t = new CsvTable("variant", "epoch", "step", "train_loss", "batch_accuracy", "fit_loss", "fit_accuracy");
        CsvTable f = new CsvTable("variant", "label_noise", "input_corruption", "epochs_to_fit", "steps_to_fit",
                "final_fit_accuracy", "test_accuracy", "seconds");
        List<Charts.Series> loss = new ArrayList<>(), acc = new ArrayList<>();
        List<String> cats = new ArrayList<>();
        double[] steps = new double[r.curves().size()];
        int i = 0;
        for (Curve c : r.curves()) {
            int n = c.fitAccuracy().length;
            double[] ep = new double[n];
            for (int e = 0; e < n; e++) {
                ep[e] = e;
                t.addRow(c.variant().name(), e, (long) e * r.stepsPerEpoch(), c.trainLoss()[e], c.batchAccuracy()[e],
                        c.fitLoss()[e], c.fitAccuracy()[e]);
            }
            f.addRow(c.variant().name(), c.variant().noiseFraction(), c.variant().inputCorruption(), c.epochsToFit(),
                    c.stepsToFit(), c.fitAccuracy()[n - 1], c.testAccuracy(), c.seconds());
            loss.add(Charts.Series.of(c.variant().name(), ep, c.fitLoss()));
            acc.add(Charts.Series.of(c.variant().name(), ep, c.fitAccuracy()));
            cats.add(c.variant().name());
            steps[i++] = Math.max(0, c.stepsToFit());
        }
        t.write(dir.resolve("curves.csv"));
        f.write(dir.resolve("fit.csv"));
        Charts.line(dir.resolve("loss.png"), "Fitting curves: training loss (" + r.model() + ", " + r.trainExamples()
                + " examples)", "epoch", "mean cross-entropy on the training labels", loss);
        Charts.line(dir.resolve("accuracy.png"), "Fitting curves: training accuracy", "epoch",
                "accuracy on the training labels", acc);
        Charts.groupedBar(dir.resolve("steps-to-fit.png"), "Optimizer steps to 100% training accuracy (0: not"
                + " reached in " + r.epochs() + " epochs)", "variant", "steps", cats, Map.of("steps", steps));
    }
}
