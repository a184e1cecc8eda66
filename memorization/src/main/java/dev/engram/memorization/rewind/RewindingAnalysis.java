package dev.engram.memorization.rewind;

import dev.engram.datasets.FetchOptions;
import dev.engram.engine.Tensor;
import dev.engram.memorization.experiment.ExperimentData;
import dev.engram.memorization.experiment.PerExampleEval;
import dev.engram.memorization.experiment.TrainingRun;
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
import java.util.Map;
import java.util.TreeSet;

/**
 * Layer rewinding of a trained run (spec §3): for each layer group l and each checkpoint epoch t, the final model
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
public final class RewindingAnalysis {

    /** Progress callback, once per evaluated (epoch, group) pair. */
    public interface Listener {
        /**
         * @param done  pairs evaluated so far (this one included)
         * @param total pairs in all
         */
        void evaluated(int epoch, String group, int done, int total, double clean, double noisy, double test);

        /** Ignores everything. */
        Listener NONE = (e, g, d, t, c, n, x) -> { };
    }

    /**
     * Options of the analysis.
     *
     * @param epochs       checkpoint epochs to rewind to; null = {0, 10, 20, …} clipped to the saved epochs, plus the
     *                     final epoch
     * @param bnStats      BN running statistics of the rewound group
     * @param testAccuracy also evaluate the test set
     * @param data         the run's data, or null to load it from the dataset cache with {@code fetch}
     * @param fetch        how to load the data when {@code data} is null
     * @param listener     progress
     */
    public record Options(List<Integer> epochs, BnStats bnStats, boolean testAccuracy, ExperimentData data,
                          FetchOptions fetch, Listener listener) {
        /** Null checks. */
        public Options {
            if (bnStats == null) throw new IllegalArgumentException("bnStats is required");
            if (fetch == null) fetch = FetchOptions.defaults();
            if (listener == null) listener = Listener.NONE;
            if (epochs != null) epochs = List.copyOf(epochs);
        }

        /** Default epochs, BN statistics kept final, with test accuracy, data from the cache, no progress. */
        public static Options defaults() {
            return new Options(null, BnStats.KEEP_FINAL, true, null, FetchOptions.defaults(), Listener.NONE);
        }

        /** Copy with other epochs (null = default list). */
        public Options withEpochs(List<Integer> e) {
            return new Options(e, bnStats, testAccuracy, data, fetch, listener);
        }

        /** Copy with another BN statistics mode. */
        public Options withBnStats(BnStats b) {
            return new Options(epochs, b, testAccuracy, data, fetch, listener);
        }

        /** Copy with or without test accuracy. */
        public Options withTestAccuracy(boolean on) {
            return new Options(epochs, bnStats, on, data, fetch, listener);
        }

        /** Copy with already loaded data. */
        public Options withData(ExperimentData d) {
            return new Options(epochs, bnStats, testAccuracy, d, fetch, listener);
        }

        /** Copy with other fetch options. */
        public Options withFetch(FetchOptions f) {
            return new Options(epochs, bnStats, testAccuracy, data, f, listener);
        }

        /** Copy with another listener. */
        public Options withListener(Listener l) {
            return new Options(epochs, bnStats, testAccuracy, data, fetch, l);
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
                         double seconds) { }

    /** Evaluation batch size. */
    public static final int EVAL_BATCH = TrainingRun.EVAL_BATCH;
    /** Spacing of the default checkpoint list. */
    public static final int DEFAULT_EPOCH_STEP = 10;
    /** File name of the table. */
    public static final String TABLE = "rewinding.csv";

    private RewindingAnalysis() { }

    /** The default checkpoint list: saved epochs that are multiples of 10, plus the final epoch. */
    public static List<Integer> defaultEpochs(List<Integer> saved, int finalEpoch) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int e : saved) if (e % DEFAULT_EPOCH_STEP == 0 && e <= finalEpoch) s.add(e);
        s.add(finalEpoch);
        return new ArrayList<>(s);
    }

    /** Runs the analysis on a trained run and writes {@code analyses/rewinding/}. */
    public static Result run(RunFolder run, Options options) throws IOException {
        long t0 = System.nanoTime();
        LayerAnalysisInputs in = LayerAnalysisInputs.of(run, options.data(), options.fetch(), "Layer rewinding");
        int finalEpoch = run.config().epochs();
        List<Integer> saved = new ArrayList<>();
        for (RunFolder.Checkpoint c : run.checkpoints()) saved.add(c.epoch());
        List<Integer> epochs = options.epochs() != null ? new ArrayList<>(new TreeSet<>(options.epochs()))
                : defaultEpochs(saved, finalEpoch);
        for (int e : epochs) {
            if (e < 0 || e > finalEpoch) {
                throw new IllegalArgumentException("rewinding epoch " + e + " is outside the run's epochs 0.." + finalEpoch);
            }
        }
        Module model = in.newModel();
        List<String> groups = new ArrayList<>(LayerRewinding.groups(model).keySet());
        Map<String, Tensor> finalState = RunCheckpoints.load(run, finalEpoch, model);
        for (int e : epochs) run.requireCheckpoint(e); // fail before hours of work, naming the missing file

        model.loadStateDict(finalState, true);
        double[] base = evaluate(model, in, options.testAccuracy());
        int total = epochs.size() * groups.size();
        double[][] clean = new double[epochs.size()][groups.size()];
        double[][] noisy = new double[epochs.size()][groups.size()];
        double[][] test = new double[epochs.size()][groups.size()];
        int done = 0;
        for (int ti = 0; ti < epochs.size(); ti++) {
            int t = epochs.get(ti);
            Map<String, Tensor> source = t == finalEpoch ? finalState : RunCheckpoints.load(run, t, model);
            for (int gi = 0; gi < groups.size(); gi++) {
                model.loadStateDict(finalState, true);
                LayerRewinding.rewind(model, source, groups.get(gi), options.bnStats());
                double[] acc = evaluate(model, in, options.testAccuracy());
                clean[ti][gi] = acc[0];
                noisy[ti][gi] = acc[1];
                test[ti][gi] = acc[2];
                options.listener().evaluated(t, groups.get(gi), ++done, total, acc[0], acc[1], acc[2]);
            }
        }
        model.loadStateDict(finalState, true);
        Result r = new Result(run.config().model(), groups, epochs, finalEpoch, options.bnStats().label(),
                in.labeled().size(), in.noisy().length, base[0], base[1], base[2], clean, noisy, test,
                (System.nanoTime() - t0) / 1e9);
        write(run, r, options.testAccuracy());
        return r;
    }

    /** {clean-train, noisy-train, test} accuracy of {@code model} in eval mode (test NaN when not asked). */
    static double[] evaluate(Module model, LayerAnalysisInputs in, boolean withTest) {
        PerExampleEval ev = PerExampleEval.run(model, in.labeled(), EVAL_BATCH, TrainingRun.NORMALIZATION);
        double test = withTest
                ? PerExampleEval.run(model, in.data().test(), EVAL_BATCH, TrainingRun.NORMALIZATION).accuracy()
                : Double.NaN;
        return new double[] {ev.accuracy(in.clean()), ev.accuracy(in.noisy()), test};
    }

    private static void write(RunFolder run, Result r, boolean withTest) throws IOException {
        String name = AnalysisKind.REWINDING.dirName();
        Path out = run.analysisDir(name);
        CsvTable t = new CsvTable("epoch", "group_index", "group", "clean_train_accuracy", "noisy_train_accuracy",
                "test_accuracy");
        for (int ti = 0; ti < r.epochs().size(); ti++) {
            for (int gi = 0; gi < r.groups().size(); gi++) {
                t.addRow(r.epochs().get(ti), gi, r.groups().get(gi), r.cleanAccuracy()[ti][gi],
                        r.noisyAccuracy()[ti][gi], withTest ? r.testAccuracy()[ti][gi] : null);
            }
        }
        t.write(out.resolve(TABLE));
        String xLabel = "layer group rewound (0 = " + r.groups().get(0) + " … " + (r.groups().size() - 1) + " = "
                + r.groups().get(r.groups().size() - 1) + ")";
        chart(out.resolve("rewinding-1-clean.png"), "Clean train accuracy after rewinding one group",
                xLabel, r, r.cleanAccuracy(), r.finalClean());
        chart(out.resolve("rewinding-2-noisy.png"), "Noisy train accuracy (memorization) after rewinding", xLabel,
                r, r.noisyAccuracy(), r.finalNoisy());
        if (withTest) {
            chart(out.resolve("rewinding-3-test.png"), "Test accuracy after rewinding one group", xLabel, r,
                    r.testAccuracy(), r.finalTest());
        }
        run.writeResults(name, r);
    }

    private static void chart(Path png, String title, String xLabel, Result r, double[][] acc, double finalAcc)
            throws IOException {
        int g = r.groups().size();
        double[] x = new double[g];
        for (int i = 0; i < g; i++) x[i] = i;
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
