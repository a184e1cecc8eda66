package dev.engram.memorization.retrain;

import dev.engram.datasets.FetchOptions;
import dev.engram.engine.Tensor;
import dev.engram.memorization.experiment.ExperimentData;
import dev.engram.memorization.experiment.TrainingRun;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.retrain.LayerRetraining.BnStats;
import dev.engram.memorization.retrain.LayerRetraining.Curve;
import dev.engram.memorization.retrain.LayerRetraining.Settings;
import dev.engram.memorization.rewind.LayerAnalysisInputs;
import dev.engram.memorization.rewind.LayerRewinding;
import dev.engram.memorization.rewind.RunCheckpoints;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Layer retraining of a trained run (spec §4): for each layer group l, the final model with group l reset to its
 * initial (epoch-0) values is retrained on the clean training examples only, and accuracy on the never-retrained-on
 * noisy examples (w.r.t. their noisy labels) is tracked: if it recovers, the other layers still hold the memorized
 * labels. See {@link LayerRetraining} for the semantics and how they differ from the paper's code (base model =
 * the run's final checkpoint; only group l trainable unless {@code trainAll}; clean examples; peak LR 0.1 unless
 * set to the code's 0.01).
 *
 * <p>Writes {@code analyses/retraining/}: {@code results.json} ({@link Result}), {@code curves.csv} (group × epoch),
 * {@code final.csv} (one row per group), a bar chart of clean and noisy accuracy after retraining per group and the
 * noisy and clean accuracy curves of every group over the retraining epochs.
 */
public final class RetrainingAnalysis {

    /** The paper's SGD momentum during retraining. */
    public static final double MOMENTUM = 0.9;
    /** The paper's weight decay during retraining. */
    public static final double WEIGHT_DECAY = 5e-4;

    /**
     * Options of the analysis.
     *
     * @param epochs          retraining epochs per group (paper 20)
     * @param peakLr          peak learning rate (paper 0.1, code 0.01)
     * @param groups          groups to retrain, by name or index; null = all
     * @param trainAll        train every group instead of only the reset one (the code's effective behaviour)
     * @param bnStats         BN running statistics of the frozen groups
     * @param earlyStopEpochs early stop after this many epochs at 100% training accuracy (0 = never)
     * @param batchSize       unfiltered batch size; 0 = the run's batch size
     * @param data            the run's data, or null to load it with {@code fetch}
     * @param fetch           how to load the data
     * @param listener        progress
     */
    public record Options(int epochs, double peakLr, List<String> groups, boolean trainAll, BnStats bnStats,
                          int earlyStopEpochs, int batchSize, ExperimentData data, FetchOptions fetch,
                          LayerRetraining.Listener listener) {
        /** Fills nulls with defaults. */
        public Options {
            if (bnStats == null) bnStats = BnStats.UPDATE;
            if (fetch == null) fetch = FetchOptions.defaults();
            if (listener == null) listener = LayerRetraining.Listener.NONE;
            if (groups != null) groups = List.copyOf(groups);
            if (batchSize < 0) throw new IllegalArgumentException("batch size must be >= 0 (0 = the run's), got " + batchSize);
        }

        /** The paper's settings: 20 epochs, peak 0.1, all groups, only the reset group trained, early stop 3. */
        public static Options defaults() {
            return new Options(20, 0.1, null, false, BnStats.UPDATE, 3, 0, null, FetchOptions.defaults(),
                    LayerRetraining.Listener.NONE);
        }

        /** Copy with another epoch count. */
        public Options withEpochs(int e) {
            return new Options(e, peakLr, groups, trainAll, bnStats, earlyStopEpochs, batchSize, data, fetch, listener);
        }

        /** Copy with another peak learning rate. */
        public Options withPeakLr(double lr) {
            return new Options(epochs, lr, groups, trainAll, bnStats, earlyStopEpochs, batchSize, data, fetch, listener);
        }

        /** Copy with other groups (null = all). */
        public Options withGroups(List<String> g) {
            return new Options(epochs, peakLr, g, trainAll, bnStats, earlyStopEpochs, batchSize, data, fetch, listener);
        }

        /** Copy that trains all groups or only the reset one. */
        public Options withTrainAll(boolean all) {
            return new Options(epochs, peakLr, groups, all, bnStats, earlyStopEpochs, batchSize, data, fetch, listener);
        }

        /** Copy with another BN statistics mode. */
        public Options withBnStats(BnStats b) {
            return new Options(epochs, peakLr, groups, trainAll, b, earlyStopEpochs, batchSize, data, fetch, listener);
        }

        /** Copy with another early-stop count. */
        public Options withEarlyStopEpochs(int k) {
            return new Options(epochs, peakLr, groups, trainAll, bnStats, k, batchSize, data, fetch, listener);
        }

        /** Copy with another batch size (0 = the run's). */
        public Options withBatchSize(int b) {
            return new Options(epochs, peakLr, groups, trainAll, bnStats, earlyStopEpochs, b, data, fetch, listener);
        }

        /** Copy with already loaded data. */
        public Options withData(ExperimentData d) {
            return new Options(epochs, peakLr, groups, trainAll, bnStats, earlyStopEpochs, batchSize, d, fetch, listener);
        }

        /** Copy with other fetch options. */
        public Options withFetch(FetchOptions f) {
            return new Options(epochs, peakLr, groups, trainAll, bnStats, earlyStopEpochs, batchSize, data, f, listener);
        }

        /** Copy with another listener. */
        public Options withListener(LayerRetraining.Listener l) {
            return new Options(epochs, peakLr, groups, trainAll, bnStats, earlyStopEpochs, batchSize, data, fetch, l);
        }
    }

    /**
     * Result.
     *
     * @param model         model name
     * @param allGroups     every layer group of the model, forward order
     * @param settings      retraining settings used
     * @param trainExamples training examples
     * @param noisyExamples noisy ones among them
     * @param finalClean    clean-train accuracy of the final model (before any reset)
     * @param finalNoisy    noisy-train accuracy of the final model
     * @param cleanAfter    clean-train accuracy after retraining, per retrained group
     * @param noisyAfter    noisy-train accuracy after retraining, per retrained group
     * @param curves        one retraining curve per retrained group
     * @param seconds       wall time
     */
    public record Result(String model, List<String> allGroups, Settings settings, int trainExamples,
                         int noisyExamples, double finalClean, double finalNoisy, double[] cleanAfter,
                         double[] noisyAfter, List<Curve> curves, double seconds) { }

    private RetrainingAnalysis() { }

    /** Runs the analysis on a trained run and writes {@code analyses/retraining/}. */
    public static Result run(RunFolder run, Options options) throws IOException {
        long t0 = System.nanoTime();
        LayerAnalysisInputs in = LayerAnalysisInputs.of(run, options.data(), options.fetch(), "Layer retraining");
        Module model = in.newModel();
        List<String> all = new ArrayList<>(LayerRewinding.groups(model).keySet());
        List<String> groups = selectGroups(all, options.groups());
        int finalEpoch = run.config().epochs();
        Map<String, Tensor> finalState = RunCheckpoints.load(run, finalEpoch, model);
        Map<String, Tensor> initialState = RunCheckpoints.load(run, 0, model);
        Settings s = new Settings(options.epochs(), options.peakLr(), MOMENTUM, WEIGHT_DECAY,
                options.batchSize() > 0 ? options.batchSize() : run.config().batchSize(), options.trainAll(),
                options.bnStats(), options.earlyStopEpochs(), run.config().seed());

        model.loadStateDict(finalState, true);
        double[] base = evaluate(model, in);
        List<Curve> curves = new ArrayList<>();
        double[] cleanAfter = new double[groups.size()], noisyAfter = new double[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            Curve c = LayerRetraining.retrain(model, finalState, initialState, groups.get(i), in.labeled(), in.clean(),
                    in.clean(), in.noisy(), TrainingRun.NORMALIZATION, s, options.listener(), null);
            curves.add(c);
            cleanAfter[i] = c.finalClean();
            noisyAfter[i] = c.finalNoisy();
        }
        model.loadStateDict(finalState, true);
        Result r = new Result(run.config().model(), all, s, in.labeled().size(), in.noisy().length, base[0], base[1],
                cleanAfter, noisyAfter, curves, (System.nanoTime() - t0) / 1e9);
        write(run, r);
        return r;
    }

    /**
     * The groups named in {@code wanted} (names or indices into {@code all}), in the order given; all of them when
     * {@code wanted} is null or empty.
     */
    public static List<String> selectGroups(List<String> all, List<String> wanted) {
        if (wanted == null || wanted.isEmpty()) return all;
        List<String> out = new ArrayList<>();
        for (String w : wanted) {
            String g = w.trim();
            if (!all.contains(g)) {
                int idx;
                try {
                    idx = Integer.parseInt(g);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("unknown layer group '" + w + "'; groups: " + all
                            + " (or their indices 0.." + (all.size() - 1) + ")");
                }
                if (idx < 0 || idx >= all.size()) {
                    throw new IllegalArgumentException("layer group index " + idx + " is outside 0.." + (all.size() - 1)
                            + " (groups " + all + ")");
                }
                g = all.get(idx);
            }
            if (out.contains(g)) throw new IllegalArgumentException("layer group '" + g + "' is listed twice");
            out.add(g);
        }
        return out;
    }

    private static double[] evaluate(Module model, LayerAnalysisInputs in) {
        var ev = dev.engram.memorization.experiment.PerExampleEval.run(model, in.labeled(), LayerRetraining.EVAL_BATCH,
                TrainingRun.NORMALIZATION);
        return new double[] {ev.accuracy(in.clean()), ev.accuracy(in.noisy())};
    }

    private static void write(RunFolder run, Result r) throws IOException {
        String name = AnalysisKind.RETRAINING.dirName();
        Path out = run.analysisDir(name);
        CsvTable curves = new CsvTable("group_index", "group", "epoch", "clean_train_accuracy", "noisy_train_accuracy",
                "retraining_batch_accuracy", "learning_rate");
        CsvTable fin = new CsvTable("group_index", "group", "clean_after_reset", "noisy_after_reset",
                "clean_after_retraining", "noisy_after_retraining", "epochs_run", "stopped_early");
        List<Charts.Series> noisySeries = new ArrayList<>(), cleanSeries = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Curve c : r.curves()) {
            int gi = r.allGroups().indexOf(c.group());
            int k = c.cleanAccuracy().length;
            double[] x = new double[k];
            for (int e = 0; e < k; e++) {
                x[e] = e;
                curves.addRow(gi, c.group(), e, c.cleanAccuracy()[e], c.noisyAccuracy()[e],
                        e == 0 ? null : c.trainAccuracy()[e], c.learningRate()[e]);
            }
            fin.addRow(gi, c.group(), c.cleanAccuracy()[0], c.noisyAccuracy()[0], c.finalClean(), c.finalNoisy(),
                    c.epochsRun(), c.stoppedEarly());
            noisySeries.add(Charts.Series.of(gi + " " + c.group(), x, c.noisyAccuracy()));
            cleanSeries.add(Charts.Series.of(gi + " " + c.group(), x, c.cleanAccuracy()));
            labels.add(gi + " " + c.group());
        }
        curves.write(out.resolve("curves.csv"));
        fin.write(out.resolve("final.csv"));
        String how = (r.settings().trainAll() ? "all groups trained" : "reset group only")
                + ", peak lr " + r.settings().peakLr();
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("clean train", r.cleanAfter());
        bars.put("noisy train (memorized label)", r.noisyAfter());
        String xLabel = "retraining epoch (0 = after the reset)";
        Charts.groupedBar(out.resolve("retraining-1-final.png"), "After reset + clean-only retraining (" + how + ")",
                "layer group", "accuracy", labels, bars);
        Charts.line(out.resolve("retraining-2-noisy-curves.png"), "Noisy train accuracy during retraining (" + how + ")",
                xLabel, "accuracy w.r.t. the noisy label", noisySeries);
        Charts.line(out.resolve("retraining-3-clean-curves.png"), "Clean train accuracy during retraining (" + how + ")",
                xLabel, "accuracy", cleanSeries);
        run.writeResults(name, r);
    }
}
