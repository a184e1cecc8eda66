package dev.engram.memorization.rewind;

import dev.engram.engine.Tensor;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.rewind.LayerRewinding.BnStats;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Layer rewinding of a trained run (docs/methods.md §3): for each layer group l and each checkpoint epoch t, the final model
 * θ^T with group l replaced by θ^t_l is evaluated in eval mode on the training set with the labels it was trained on
 * (unaugmented) → accuracy on clean examples and on noisy examples (agreement with the corrupted label, i.e.
 * memorization), and on the test set.
 *
 * <p>Follows the paper's code ({@code experiments/rewinding.py}) except where noted: BN running statistics stay at
 * their final values by default ({@link BnStats#KEEP_FINAL}; {@link BnStats#REWIND} restores them with the group);
 * evaluation is on the unaugmented training set (the code uses the training loader, augmented when the run was);
 * test accuracy is computed too (the code does not; it is cheap and shows whether a rewound layer still
 * generalizes). The default checkpoint list is {0, 10, 20, …} (the paper's figures) clipped to the saved epochs,
 * plus the final epoch, whose row reproduces the final model and serves as a sanity check.
 *
 * <p>Writes {@code analyses/rewinding/}: {@code results.json} ({@link Result}), {@code rewinding.csv} (one row per
 * epoch × group) and one chart each for clean, noisy and test accuracy (one line per checkpoint epoch, x = layer
 * group in forward order).
 */
public final class RewindingAnalysis implements Analysis<RewindingAnalysis.Options, RewindingAnalysis.Result> {

    /**
     * Options of the analysis.
     *
     * @param checkpoints  checkpoint epochs to rewind to; null = {0, 10, 20, …} clipped to the saved epochs, plus the
     *                     final epoch
     * @param bnStats      BN running statistics of the rewound group
     * @param testAccuracy also evaluate the test set
     */
    public record Options(List<Integer> checkpoints, BnStats bnStats, boolean testAccuracy) {
        /** Default checkpoints, BN statistics kept final (the paper's code), with test accuracy. */
        public static final Options DEFAULTS = new Options(null, BnStats.KEEP_FINAL, true);

        /** Validates. */
        public Options {
            if (bnStats == null) throw new IllegalArgumentException("rewinding: bnStats is required");
            if (checkpoints != null) checkpoints = List.copyOf(new TreeSet<>(checkpoints));
        }
    }

    /**
     * Result; matrices are indexed [checkpoint epoch][layer group].
     *
     * @param model              model name
     * @param groups             layer groups, forward order
     * @param epochs             checkpoint epochs rewound to
     * @param finalEpoch         epoch of the final model
     * @param bnStats            BN statistics mode
     * @param trainExamples      training examples evaluated
     * @param noisyExamples      noisy ones among them
     * @param finalClean         clean-train accuracy of the final model (nothing rewound)
     * @param finalNoisy         noisy-train accuracy of the final model
     * @param finalTest          test accuracy of the final model (NaN when not computed)
     * @param cleanAccuracy      clean-train accuracy after rewinding
     * @param noisyAccuracy      noisy-train (memorization) accuracy after rewinding
     * @param testAccuracy       test accuracy after rewinding (NaN when not computed)
     * @param seconds            wall time
     */
    public record Result(String model, List<String> groups, List<Integer> epochs, int finalEpoch, String bnStats,
                         int trainExamples, int noisyExamples, double finalClean, double finalNoisy, double finalTest,
                         double[][] cleanAccuracy, double[][] noisyAccuracy, double[][] testAccuracy,
                         double seconds) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            return List.of(new SummaryRow("rewind one group to epoch " + epochs.get(0) + ": noisy acc per group",
                    SummaryRow.pcts(noisyAccuracy[0])));
        }
    }

    /** Spacing of the default checkpoint list. */
    public static final int DEFAULT_EPOCH_STEP = 10;
    /** File name of the table. */
    public static final String TABLE = "rewinding.csv";

    /** The default checkpoint list: saved epochs that are multiples of 10, plus the final epoch. */
    public static List<Integer> defaultEpochs(List<Integer> saved, int finalEpoch) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int e : saved) if (e % DEFAULT_EPOCH_STEP == 0 && e <= finalEpoch) s.add(e);
        s.add(finalEpoch);
        return new ArrayList<>(s);
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.REWINDING;
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        RunFolder run = data.run();
        run.requireNoisy("Layer rewinding");
        int finalEpoch = run.config().epochs();
        for (int e : checkpoints(run, options)) {
            if (e < 0 || e > finalEpoch) {
                throw new IllegalArgumentException("rewinding checkpoint " + e + " is outside the run's epochs 0.."
                        + finalEpoch);
            }
            run.requireIntactCheckpoint(e); // fail before hours of work, naming the missing or damaged file
        }
        run.requireCheckpoint(finalEpoch);
    }

    private static List<Integer> checkpoints(RunFolder run, Options options) throws IOException {
        if (options.checkpoints() != null) return options.checkpoints();
        List<Integer> saved = new ArrayList<>();
        for (RunFolder.Checkpoint c : run.checkpoints()) saved.add(c.epoch());
        return defaultEpochs(saved, run.config().epochs());
    }

    @Override
    public Result run(RunData data, Options options, Progress progress) throws IOException {
        long t0 = System.nanoTime();
        RunFolder run = data.run();
        int finalEpoch = run.config().epochs();
        List<Integer> epochs = checkpoints(run, options);
        Module model = data.newModel();
        List<String> groups = new ArrayList<>(LayerRewinding.groups(model).keySet());
        Map<String, Tensor> finalState = data.checkpoint(finalEpoch, model);

        model.loadStateDict(finalState, true);
        double[] base = evaluate(model, data, options.testAccuracy());
        int total = epochs.size() * groups.size();
        double[][] clean = new double[epochs.size()][groups.size()];
        double[][] noisy = new double[epochs.size()][groups.size()];
        double[][] test = new double[epochs.size()][groups.size()];
        int done = 0;
        try (Progress.Task task = progress.task("rewinding", total)) {
            for (int ti = 0; ti < epochs.size(); ti++) {
                int t = epochs.get(ti);
                Map<String, Tensor> source = t == finalEpoch ? finalState : data.checkpoint(t, model);
                for (int gi = 0; gi < groups.size(); gi++) {
                    model.loadStateDict(finalState, true);
                    LayerRewinding.rewind(model, source, groups.get(gi), options.bnStats());
                    double[] acc = evaluate(model, data, options.testAccuracy());
                    clean[ti][gi] = acc[0];
                    noisy[ti][gi] = acc[1];
                    test[ti][gi] = acc[2];
                    progress.line(String.format(Locale.ROOT, "[%d/%d] epoch %3d  group %-14s clean %.4f  noisy %.4f%s",
                            ++done, total, t, groups.get(gi), acc[0], acc[1],
                            options.testAccuracy() ? String.format(Locale.ROOT, "  test %.4f", acc[2]) : ""));
                    task.stepTo(done);
                }
            }
        }
        model.loadStateDict(finalState, true);
        return new Result(run.config().model(), groups, epochs, finalEpoch, options.bnStats().label(),
                data.noise().size(), data.noisyIndices().length, base[0], base[1], base[2], clean, noisy, test,
                (System.nanoTime() - t0) / 1e9);
    }

    /** {clean-train, noisy-train, test} accuracy of {@code model} in eval mode (test NaN when not asked). */
    static double[] evaluate(Module model, RunData data, boolean withTest) throws IOException {
        model.eval();
        Evaluation.PerExample ev = Evaluation.run(model, data.trainSet(), RunData.EVAL_BATCH);
        double test = withTest ? Evaluation.run(model, data.testSet(), RunData.EVAL_BATCH).accuracy() : Double.NaN;
        return new double[] {ev.accuracy(data.cleanIndices()), ev.accuracy(data.noisyIndices()), test};
    }

    @Override
    public void write(Result r, Path out) throws IOException {
        boolean withTest = r.finalTest() == r.finalTest();
        Results.writeJson(out.resolve(RunFolder.RESULTS), r);
        CsvTable t = new CsvTable("epoch", "group_index", "group", "clean_train_accuracy", "noisy_train_accuracy",
                "test_accuracy");
        for (int ti = 0; ti < r.epochs().size(); ti++) {
            for (int gi = 0; gi < r.groups().size(); gi++) {
                t.addRow(r.epochs().get(ti), gi, r.groups().get(gi), r.cleanAccuracy()[ti][gi],
                        r.noisyAccuracy()[ti][gi], withTest ? r.testAccuracy()[ti][gi] : null);
            }
        }
        t.write(out.resolve(TABLE));
        String xLabel = "layer group rewound (" + Charts.layerRange(r.groups()) + ")";
        chart(out.resolve("rewinding-1-clean.png"), "Clean train accuracy after rewinding one group",
                xLabel, r, r.cleanAccuracy(), r.finalClean());
        chart(out.resolve("rewinding-2-noisy.png"), "Noisy train accuracy (memorization) after rewinding", xLabel,
                r, r.noisyAccuracy(), r.finalNoisy());
        if (withTest) {
            chart(out.resolve("rewinding-3-test.png"), "Test accuracy after rewinding one group", xLabel, r,
                    r.testAccuracy(), r.finalTest());
        }
        List<String> rows = new ArrayList<>();
        for (int e : r.epochs()) rows.add("epoch " + e);
        Charts.heatMap(out.resolve("rewinding-4-noisy-heatmap.png"), "Noisy train accuracy (memorization) after"
                        + " rewinding one group to an earlier checkpoint (final model: " + String.format(java.util.Locale.ROOT,
                        "%.2f", r.finalNoisy()) + ")", "layer group rewound", "checkpoint rewound to",
                Charts.layerLabels(r.groups()), rows, r.noisyAccuracy(), 0, 1);
    }

    private static void chart(Path png, String title, String xLabel, Result r, double[][] acc, double finalAcc)
            throws IOException {
        int g = r.groups().size();
        double[] x = new double[g];
        for (int i = 0; i < g; i++) x[i] = i + 1;
        List<Charts.Series> series = new ArrayList<>();
        for (int ti = 0; ti < r.epochs().size(); ti++) {
            series.add(Charts.Series.of("rewound to epoch " + r.epochs().get(ti), x, acc[ti]));
        }
        double[] flat = new double[g];
        java.util.Arrays.fill(flat, finalAcc);
        if (!r.epochs().contains(r.finalEpoch())) series.add(Charts.Series.of("final model", x, flat));
        Charts.line(png, title + " (BN stats " + r.bnStats() + ")", xLabel, "accuracy", series);
    }
}
