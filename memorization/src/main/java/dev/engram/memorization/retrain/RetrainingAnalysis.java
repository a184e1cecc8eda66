package dev.engram.memorization.retrain;

import dev.engram.engine.Tensor;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.retrain.LayerRetraining.BnStats;
import dev.engram.memorization.retrain.LayerRetraining.Curve;
import dev.engram.memorization.retrain.LayerRetraining.Settings;
import dev.engram.memorization.rewind.LayerRewinding;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Layer retraining of a trained run (docs/methods.md §4): for each layer group l, the final model with group l reset to its
 * initial (epoch-0) values is retrained on the clean training examples only, and accuracy on the never-retrained-on
 * noisy examples (w.r.t. their noisy labels) is tracked: if it recovers, the other layers still hold the memorized
 * labels. See {@link LayerRetraining} for the semantics and how they differ from the paper's code (base model =
 * the run's final checkpoint; only group l trainable unless {@code trainAll}; clean examples).
 *
 * <p>Optimizer settings: by default the run's own (its peak learning rate, momentum and weight decay,
 * {@link Preset#RUN}), so that retraining does not step harder or regularise differently from the training that
 * memorized the labels; the paper's (lr 0.1, wd 5e-4, docs/methods.md §4) and the reference code's (lr 0.01, wd 5e-4) are named
 * presets, and each value can be overridden. The settings used are printed and written to {@code results.json}
 * ({@code settings}, {@code settingsSource}).
 *
 * <p>Writes {@code analyses/retraining/}: {@code results.json} ({@link Result}), {@code curves.csv} (group × epoch),
 * {@code final.csv} (one row per group), a bar chart of clean and noisy accuracy after retraining per group and the
 * noisy and clean accuracy curves of every group over the retraining epochs.
 */
public final class RetrainingAnalysis implements Analysis<RetrainingAnalysis.Options, RetrainingAnalysis.Result> {

    /** The paper's SGD momentum during retraining. */
    public static final double MOMENTUM = 0.9;
    /** The paper's weight decay during retraining. */
    public static final double WEIGHT_DECAY = 5e-4;

    /**
     * Named optimizer settings of the retraining (peak learning rate, momentum, weight decay).
     */
    public enum Preset {
        /** The run's own training settings (its peak lr, momentum and weight decay). Default: retraining then
         *  differs from the original training only in what is trainable and which examples are seen. */
        RUN,
        /** The paper's (docs/methods.md §4): peak lr 0.1, momentum 0.9, weight decay 5e-4. */
        PAPER,
        /** The reference code's: peak lr 0.01, momentum 0.9, weight decay 5e-4. */
        CODE;

        /** Command-line spelling. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@link #label()} (case-insensitive). */
        public static Preset parse(String s) {
            for (Preset p : values()) if (p.label().equals(s.trim().toLowerCase(Locale.ROOT))) return p;
            throw new IllegalArgumentException("unknown retraining settings '" + s + "'; expected run, paper or code");
        }
    }

    /**
     * The optimizer settings used: {@code {peak lr, momentum, weight decay}} of {@code preset} for a run trained with
     * {@code cfg}, each replaced by its override unless the override is NaN.
     */
    public static double[] optimizer(Preset preset, ExperimentConfig cfg, double lr, double momentum, double weightDecay) {
        double[] v = switch (preset) {
            case RUN -> new double[] {cfg.peakLr(), cfg.momentum(), cfg.weightDecay()};
            case PAPER -> new double[] {0.1, MOMENTUM, WEIGHT_DECAY};
            case CODE -> new double[] {0.01, MOMENTUM, WEIGHT_DECAY};
        };
        if (!Double.isNaN(lr)) v[0] = lr;
        if (!Double.isNaN(momentum)) v[1] = momentum;
        if (!Double.isNaN(weightDecay)) v[2] = weightDecay;
        return v;
    }

    /**
     * Options of the analysis.
     *
     * @param epochs          retraining epochs per group (paper 20)
     * @param preset          named optimizer settings ({@link Preset#RUN} by default)
     * @param peakLr          peak learning rate overriding the preset's; NaN = the preset's
     * @param momentum        SGD momentum overriding the preset's; NaN = the preset's
     * @param weightDecay     weight decay overriding the preset's; NaN = the preset's
     * @param groups          groups to retrain, by name or index; null or empty = all
     * @param trainAll        train every group instead of only the reset one (the code's effective behaviour)
     * @param bnStats         BN running statistics of the frozen groups
     * @param earlyStopEpochs early stop after this many epochs at 100% training accuracy (0 = never)
     * @param batchSize       unfiltered batch size; 0 = the run's batch size
     */
    public record Options(int epochs, Preset preset, double peakLr, double momentum, double weightDecay,
                          List<String> groups, boolean trainAll, BnStats bnStats, int earlyStopEpochs, int batchSize) {
        /** The paper's 20 epochs with the run's own optimizer settings, every group, only the reset group trained,
         *  BN statistics updated, early stop after 3 perfect epochs, the run's batch size. */
        public static final Options DEFAULTS = new Options(20, Preset.RUN, Double.NaN, Double.NaN, Double.NaN, null, false,
                LayerRetraining.BnStats.UPDATE, 3, 0);

        /** Validates. */
        public Options {
            if (epochs < 1) throw new IllegalArgumentException("retraining: epochs must be >= 1, got " + epochs);
            if (preset == null) throw new IllegalArgumentException("retraining: settings preset is required");
            if (!Double.isNaN(peakLr) && (!(peakLr > 0) || !Double.isFinite(peakLr))) {
                throw new IllegalArgumentException("retraining: learning rate must be > 0, got " + peakLr);
            }
            if (!Double.isNaN(momentum) && !(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("retraining: momentum must be in [0, 1), got " + momentum);
            }
            if (!Double.isNaN(weightDecay) && !(weightDecay >= 0 && Double.isFinite(weightDecay))) {
                throw new IllegalArgumentException("retraining: weight decay must be >= 0, got " + weightDecay);
            }
            if (bnStats == null) throw new IllegalArgumentException("retraining: bnStats is required");
            if (trainAll && bnStats == LayerRetraining.BnStats.FREEZE) {
                throw new IllegalArgumentException("retraining: BN statistics mode 'freeze' applies to the frozen groups,"
                        + " and training every group (--train-all) leaves none");
            }
            if (earlyStopEpochs < 0) throw new IllegalArgumentException("retraining: early stop must be >= 0, got " + earlyStopEpochs);
            if (batchSize < 0) throw new IllegalArgumentException("retraining: batch size must be >= 0 (0 = the run's), got " + batchSize);
            groups = groups == null ? null : List.copyOf(groups);
        }

        /** The run's settings with an explicit peak learning rate. */
        public Options(int epochs, double peakLr, List<String> groups, boolean trainAll, BnStats bnStats,
                       int earlyStopEpochs, int batchSize) {
            this(epochs, Preset.RUN, peakLr, Double.NaN, Double.NaN, groups, trainAll, bnStats, earlyStopEpochs, batchSize);
        }

        /** A copy with {@code n} epochs. */
        public Options withEpochs(int n) {
            return new Options(n, preset, peakLr, momentum, weightDecay, groups, trainAll, bnStats, earlyStopEpochs, batchSize);
        }
    }

    /**
     * Result.
     *
     * @param model         model name
     * @param allGroups     every layer group of the model, forward order
     * @param settings      retraining settings used
     * @param settingsSource where the optimizer settings came from (preset and overrides)
     * @param trainExamples training examples
     * @param noisyExamples noisy ones among them
     * @param finalClean    clean-train accuracy of the final model (before any reset)
     * @param finalNoisy    noisy-train accuracy of the final model
     * @param cleanAfter    clean-train accuracy after retraining, per retrained group
     * @param noisyAfter    noisy-train accuracy after retraining, per retrained group
     * @param curves        one retraining curve per retrained group
     * @param seconds       wall time
     */
    public record Result(String model, List<String> allGroups, Settings settings, String settingsSource, int trainExamples,
                         int noisyExamples, double finalClean, double finalNoisy, double[] cleanAfter,
                         double[] noisyAfter, List<Curve> curves, double seconds) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            String groups = String.join(" / ", curves.stream().map(LayerRetraining.Curve::group).toList());
            return List.of(new SummaryRow("retrain one group on clean data: noisy acc per group (" + groups + ")",
                    SummaryRow.pcts(noisyAfter)));
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.RETRAINING;
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        data.run().requireNoisy("Layer retraining");
        data.run().requireClean("Layer retraining", "retrains a layer on the clean examples");
        data.run().requireCheckpoint(0);
        data.run().requireFinalCheckpoint();
        selectGroups(new ArrayList<>(LayerRewinding.groups(data.newModel()).keySet()), options.groups());
    }

    @Override
    public Result run(RunData data, Options options, Progress progress) throws IOException {
        long t0 = System.nanoTime();
        RunFolder run = data.run();
        Module model = data.newModel();
        List<String> all = new ArrayList<>(LayerRewinding.groups(model).keySet());
        List<String> groups = selectGroups(all, options.groups());
        int finalEpoch = run.config().epochs();
        Map<String, Tensor> finalState = data.checkpoint(finalEpoch, model);
        Map<String, Tensor> initialState = data.checkpoint(0, model);
        double[] opt = optimizer(options.preset(), run.config(), options.peakLr(), options.momentum(), options.weightDecay());
        Settings s = new Settings(options.epochs(), opt[0], opt[1], opt[2],
                options.batchSize() > 0 ? options.batchSize() : run.config().batchSize(), options.trainAll(),
                options.bnStats(), options.earlyStopEpochs(), run.config().seed());
        String source = settingsSource(options);
        progress.line(String.format(Locale.ROOT, "retraining settings (%s): peak lr %s, momentum %s, weight decay %s,"
                        + " %d epochs, batch %d, %s", source, opt[0], opt[1], opt[2], s.epochs(), s.batchSize(),
                s.trainAll() ? "all groups trained" : "reset group only"));

        model.loadStateDict(finalState, true);
        double[] base = evaluate(model, data);
        int[] clean = data.cleanIndices(), noisy = data.noisyIndices();
        int perGroup = s.epochs() + 1; // the evaluation after the reset, then one per epoch
        int[] group = {0};
        Progress.Task task = progress.task("retraining", (long) groups.size() * perGroup);
        LayerRetraining.Listener listener = (g, e, c, n, t) -> {
            progress.line(String.format(Locale.ROOT,
                "group %-14s epoch %3d  clean %.4f  noisy %.4f%s", g, e, c, n, Double.isNaN(t) ? "  (after the reset)"
                        : String.format(Locale.ROOT, "  retraining-batch acc %.4f", t)));
            task.stepTo((long) group[0] * perGroup + Math.min(perGroup, e + 1));
        };
        List<Curve> curves = new ArrayList<>();
        double[] cleanAfter = new double[groups.size()], noisyAfter = new double[groups.size()];
        for (int i = 0; i < groups.size(); i++) {
            Curve c = LayerRetraining.retrain(model, finalState, initialState, groups.get(i), data.labeledTrain(), clean,
                    clean, noisy, data.normalization(), s, listener, null);
            curves.add(c);
            group[0] = i + 1;
            task.stepTo((long) group[0] * perGroup); // early stopping skips epochs
            cleanAfter[i] = c.finalClean();
            noisyAfter[i] = c.finalNoisy();
        }
        task.close();
        model.loadStateDict(finalState, true);
        return new Result(run.config().model(), all, s, source, data.noise().size(), noisy.length, base[0], base[1],
                cleanAfter, noisyAfter, curves, (System.nanoTime() - t0) / 1e9);
    }

    /** "run", "paper" or "code", with the overridden values named (e.g. {@code "paper; --lr 0.05"}). */
    static String settingsSource(Options o) {
        StringBuilder b = new StringBuilder(o.preset().label());
        if (!Double.isNaN(o.peakLr())) b.append("; --lr ").append(o.peakLr());
        if (!Double.isNaN(o.momentum())) b.append("; --momentum ").append(o.momentum());
        if (!Double.isNaN(o.weightDecay())) b.append("; --weight-decay ").append(o.weightDecay());
        return b.toString();
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

    private static double[] evaluate(Module model, RunData data) throws IOException {
        model.eval();
        Evaluation.PerExample ev = Evaluation.run(model, data.trainSet(), RunData.EVAL_BATCH);
        return new double[] {ev.accuracy(data.cleanIndices()), ev.accuracy(data.noisyIndices())};
    }

    @Override
    public void write(Result r, Path out) throws IOException {
        Results.writeJson(out.resolve(RunFolder.RESULTS), r);
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
            String label = Charts.layerLabel(gi, c.group());
            noisySeries.add(Charts.Series.of(label, x, c.noisyAccuracy()));
            cleanSeries.add(Charts.Series.of(label, x, c.cleanAccuracy()));
            labels.add(label);
        }
        curves.write(out.resolve("curves.csv"));
        fin.write(out.resolve("final.csv"));
        String how = (r.settings().trainAll() ? "all groups trained" : "reset group only")
                + ", " + r.settingsSource() + ": peak lr " + r.settings().peakLr() + ", wd " + r.settings().weightDecay();
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
    }
}
