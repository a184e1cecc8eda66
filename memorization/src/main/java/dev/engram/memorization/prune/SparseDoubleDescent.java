package dev.engram.memorization.prune;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.engram.engine.Grad;
import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.compare.MethodComparison;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.train.MethodRecipe;
import dev.engram.nn.Module;
import dev.engram.nn.io.AtomicFiles;
import dev.engram.nn.io.SafeTensors;
import dev.engram.nn.optim.MaskedOptimizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sparse double descent (He et al., "Sparse Double Descent: Where Network Pruning Aggravates Overfitting", ICML 2022;
 * docs/methods.md §10.8): iterative global magnitude pruning ({@link MagnitudePruning}) of the run's final model with
 * retraining after every pruning step, on the run's noisy labels. Level 0 is the run's final model (dense). Level
 * {@code i} prunes the weights the previous level kept, by their magnitude after its retraining, to the sparsity
 * {@code s_i}, sets the weights to the rewind point (the run's initial weights, lottery-ticket rewinding as in He et
 * al.; or the run's epoch-K weights, late rewinding; or the previous level's weights, learning-rate rewinding), and
 * retrains with the run's recipe (optimizer, schedule, batches) for the retraining epochs, the pruned weights held at
 * exactly zero ({@link MaskedOptimizer}; a frozen weight is pruned like the others and zeroed once, as the optimizer
 * never changes it). Measured per level: test accuracy, accuracy on the noisy training examples
 * against their corrupted label (memorization), on the clean ones, and the learning distance
 * {@code ||theta - m * theta_init||} of the sparse model from its initialization (He et al. §4: L2 over every
 * trainable parameter, theta_init the run's epoch-0 checkpoint with the level's pruned weights zeroed, so pruned
 * weights count nothing).
 *
 * <p>Each level's record and the weights and masks of the latest level are written atomically to
 * {@code analyses/.sparse-double-descent.levels/} as they finish, so an interrupted run continues from the last
 * finished level when started again with the same options; the folder is removed once the results are written.
 */
public final class SparseDoubleDescent implements Analysis<SparseDoubleDescent.Options, SparseDoubleDescent.Result> {
    /** Folder under {@code analyses/} holding the finished levels of an unfinished analysis. */
    public static final String LEVELS = ".sparse-double-descent.levels";
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();
    private static final String MASK_PREFIX = "mask:";

    /**
     * Options.
     *
     * @param sparsities   target sparsities of the pruned levels, increasing, each in (0, 1)
     * @param retrainEpochs retraining epochs per level; 0 = the run's epochs
     * @param rewindEpoch  where the kept weights start each retraining: 0 = the run's initial weights (lottery-ticket
     *                     rewinding), K = the run's epoch-K checkpoint, -1 = the previous level's retrained weights
     *                     (learning-rate rewinding: the schedule restarts, the weights do not)
     * @param evalBatch    evaluation batch size
     */
    public record Options(List<Double> sparsities, int retrainEpochs, int rewindEpoch, int evalBatch) {
        /** Validates. */
        public Options {
            if (sparsities == null || sparsities.isEmpty()) throw new IllegalArgumentException("sparse-double-descent: no sparsity level");
            double prev = 0;
            for (Double s : sparsities) {
                if (s == null || !(s > 0 && s < 1)) {
                    throw new IllegalArgumentException("sparse-double-descent: sparsities must lie in (0, 1), got " + s);
                }
                if (!(s > prev)) {
                    throw new IllegalArgumentException("sparse-double-descent: sparsities must increase, got " + sparsities);
                }
                prev = s;
            }
            if (retrainEpochs < 0) {
                throw new IllegalArgumentException("sparse-double-descent: retraining epochs must be >= 0 (0 = the run's), got "
                        + retrainEpochs);
            }
            if (rewindEpoch < -1) {
                throw new IllegalArgumentException("sparse-double-descent: rewind epoch must be >= 0, or -1 for none, got " + rewindEpoch);
            }
            if (evalBatch < 1) throw new IllegalArgumentException("sparse-double-descent: evaluation batch must be >= 1, got " + evalBatch);
            sparsities = List.copyOf(sparsities);
        }

        /**
         * The sparsities of {@code rounds} rounds each pruning {@code fraction} of the remaining weights:
         * {@code 1 - (1 - fraction)^r}, r = 1..rounds.
         */
        public static List<Double> rounds(double fraction, int rounds) {
            if (!(fraction > 0 && fraction < 1)) {
                throw new IllegalArgumentException("sparse-double-descent: prune fraction must lie in (0, 1), got " + fraction);
            }
            if (rounds < 1) throw new IllegalArgumentException("sparse-double-descent: rounds must be >= 1, got " + rounds);
            List<Double> out = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) out.add(1 - Math.pow(1 - fraction, r));
            return out;
        }

        /** The rewind option as the CLI spells it: {@code init}, {@code epoch:K} or {@code none}. */
        public String rewindLabel() {
            return rewindEpoch < 0 ? "none" : rewindEpoch == 0 ? "init" : "epoch:" + rewindEpoch;
        }

        /** Parses {@code init}, {@code epoch:K} or {@code none} into a rewind epoch (0, K, -1). */
        public static int parseRewind(String s) {
            String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
            if (v.equals("init")) return 0;
            if (v.equals("none")) return -1;
            if (v.startsWith("epoch:")) {
                try {
                    int k = Integer.parseInt(v.substring(6));
                    if (k >= 0) return k;
                } catch (NumberFormatException ignored) {
                    // reported below
                }
            }
            throw new IllegalArgumentException("--rewind '" + s + "' must be init, epoch:K (K >= 0) or none");
        }
    }

    /**
     * One level.
     *
     * @param level            0 = the run's final model, then 1, 2, …
     * @param targetSparsity   the sparsity asked for
     * @param sparsity         pruned prunable weights / prunable weights
     * @param keptWeights      prunable weights kept
     * @param test             test accuracy
     * @param noisyTrain       accuracy on the noisy training examples against their corrupted label (NaN without noise)
     * @param cleanTrain       accuracy on the clean training examples
     * @param learningDistance {@code ||theta - m * theta_init||}, L2 over every trainable parameter (pruned ones count 0)
     * @param retrainEpochs    epochs of retraining (0 for level 0)
     * @param seconds          wall time of the level (pruning, retraining, evaluation)
     */
    public record Level(int level, double targetSparsity, double sparsity, long keptWeights, double test, double noisyTrain,
                        double cleanTrain, double learningDistance, int retrainEpochs, double seconds) { }

    /**
     * The result.
     *
     * @param dataset         the run's dataset
     * @param model           the run's model
     * @param noiseFraction   the run's label noise
     * @param trainExamples   training examples
     * @param noisyExamples   noisy ones
     * @param prunableWeights weights subject to pruning (linear and convolution weights)
     * @param parameters      trainable parameters (the learning distance's)
     * @param rewind          {@code init}, {@code epoch:K} or {@code none}
     * @param levels          level 0 (dense) first, sparsity increasing
     */
    public record Result(String dataset, String model, double noiseFraction, int trainExamples, int noisyExamples,
                         long prunableWeights, long parameters, String rewind, List<Level> levels) implements Analysis.Result {
        /**
         * The second descent's trough and peak: the pair of pruned levels {@code (trough, peak)}, the trough denser
         * than the peak, with the largest rise {@code peak.test - trough.test > 0} of test accuracy
         * (the first pair on a tie); null when test accuracy never rises again after pruning.
         */
        public Level[] recovery() {
            Level low = null, bestLow = null, bestPeak = null;
            double rise = 0;
            for (Level l : levels.subList(1, levels.size())) {
                if (low != null && l.test() - low.test() > rise) {
                    rise = l.test() - low.test();
                    bestLow = low;
                    bestPeak = l;
                }
                if (low == null || l.test() < low.test()) low = l;
            }
            return bestPeak == null ? null : new Level[] {bestLow, bestPeak};
        }

        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            Level dense = levels.get(0);
            Level[] rec = recovery();
            Level trough = rec == null ? null : rec[0], peak = rec == null ? null : rec[1];
            // one "n/a" stands for an accuracy and its sparsity: the numbers are given, five whatever the text
            rows.add(new SummaryRow("test accuracy: dense / trough (sparsity) / recovered peak (sparsity)",
                    SummaryRow.pct(dense.test()) + " / " + at(trough) + " / " + at(peak),
                    List.of(SummaryRow.Figure.percentOf(dense.test()),
                            SummaryRow.Figure.percentOf(trough == null ? Double.NaN : trough.test()),
                            SummaryRow.Figure.percentOf(trough == null ? Double.NaN : trough.sparsity()),
                            SummaryRow.Figure.percentOf(peak == null ? Double.NaN : peak.test()),
                            SummaryRow.Figure.percentOf(peak == null ? Double.NaN : peak.sparsity()))));
            Level mem = dense;
            for (Level l : levels) if (l.noisyTrain() > mem.noisyTrain()) mem = l;
            rows.add(new SummaryRow("memorization (noisy-train accuracy): dense / highest (sparsity)",
                    SummaryRow.pct(dense.noisyTrain()) + " / " + SummaryRow.pct(mem.noisyTrain()) + " ("
                            + SummaryRow.pct(mem.sparsity()) + ")"));
            rows.add(new SummaryRow("dense: test / noisy-train / clean-train, distance", String.format(Locale.ROOT, "%s, %.3f",
                    SummaryRow.pcts(dense.test(), dense.noisyTrain(), dense.cleanTrain()), dense.learningDistance())));
            for (Level l : levels.subList(1, levels.size())) {
                rows.add(new SummaryRow("sparsity " + SummaryRow.pct(l.sparsity()) + ": test / noisy-train / clean-train, distance",
                        String.format(Locale.ROOT, "%s, %.3f", SummaryRow.pcts(l.test(), l.noisyTrain(), l.cleanTrain()),
                                l.learningDistance())));
            }
            return rows;
        }
    }

    private static String at(Level l) {
        return l == null ? SummaryRow.NOT_AVAILABLE : SummaryRow.pct(l.test()) + " (" + SummaryRow.pct(l.sparsity()) + ")";
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.SPARSE_DOUBLE_DESCENT;
    }

    @Override
    public void check(RunData data, Options o) throws IOException {
        RunFolder run = data.run();
        ExperimentConfig cfg = data.config();
        if (cfg.methods().jocor() || !cfg.methods().reinitGroups().isEmpty()) {
            throw new IllegalArgumentException("sparse-double-descent: run " + run.dir() + " trains with "
                    + cfg.methods().label() + "; pruning needs one network whose weights only the optimizer changes"
                    + " (no JoCoR, no layer re-initialization)");
        }
        run.requireCheckpoint(0);
        run.requireCheckpoint(cfg.epochs());
        if (o.rewindEpoch() > cfg.epochs()) {
            throw new IllegalArgumentException("sparse-double-descent: --rewind epoch:" + o.rewindEpoch()
                    + " is beyond the run's " + cfg.epochs() + " epochs");
        }
        if (o.rewindEpoch() > 0) run.requireCheckpoint(o.rewindEpoch());
        Module m = data.newModel();
        if (MagnitudePruning.prunableWeights(m).isEmpty()) {
            throw new IllegalArgumentException("sparse-double-descent: model " + cfg.model() + " has no linear or convolution weights");
        }
        long total = MagnitudePruning.size(MagnitudePruning.values(m, MagnitudePruning.prunableWeights(m)));
        if (MagnitudePruning.prunedAt(o.sparsities().get(o.sparsities().size() - 1), total) >= total) {
            throw new IllegalArgumentException("sparse-double-descent: sparsity " + o.sparsities().get(o.sparsities().size() - 1)
                    + " prunes all " + total + " prunable weights of " + cfg.model());
        }
    }

    @Override
    public Result run(RunData data, Options o, Progress progress) throws IOException {
        RunFolder run = data.run();
        ExperimentConfig cfg = data.config();
        int epochs = o.retrainEpochs() > 0 ? o.retrainEpochs() : cfg.epochs();
        ExampleSet train = data.trainSet(), test = data.testSet();
        Path dir = run.analysisPath(kind().dirName()).resolveSibling(LEVELS);
        Files.createDirectories(dir);
        String optionsJson = GSON.toJson(o);
        Path optionsFile = dir.resolve("options.json");
        if (Files.exists(optionsFile)) {
            String before = Files.readString(optionsFile).trim();
            if (!before.equals(optionsJson)) {
                throw new IllegalArgumentException("sparse-double-descent: " + dir + " holds the finished levels of an"
                        + " unfinished analysis with other options (" + before + "); run again with those options to continue"
                        + " it, or delete the folder to start over with " + optionsJson);
            }
        } else {
            AtomicFiles.writeString(optionsFile, optionsJson + "\n");
        }

        Module model = data.newModel();
        List<String> prunable = MagnitudePruning.prunableWeights(model);
        List<String> trainable = new ArrayList<>(dev.engram.nn.optim.Optimizer.trainableParameters(model).keySet());
        data.loadCheckpoint(0, model);
        Map<String, float[]> init = MagnitudePruning.values(model, trainable);
        long total = MagnitudePruning.size(MagnitudePruning.values(model, prunable));
        long params = MagnitudePruning.size(init);
        progress.line(String.format(Locale.ROOT, "sparse-double-descent: %s/%s, %d training examples (%d noisy), %d prunable"
                        + " of %d parameters, %d levels, %d retraining epochs each, rewind %s",
                cfg.dataset(), cfg.model(), train.size(), train.noisyCount(), total, params, o.sparsities().size(), epochs,
                o.rewindLabel()));

        List<Level> levels = new ArrayList<>();
        Map<String, Tensor> state = null; // the latest level's full state (weights and buffers)
        LinkedHashMap<String, float[]> masks = null;
        for (int i = 0; i <= o.sparsities().size(); i++) {
            Path record = dir.resolve(levelName(i) + ".json");
            if (!Files.isRegularFile(record)) break;
            Level l = GSON.fromJson(Files.readString(record), Level.class);
            if (l == null || l.level() != i) throw new IllegalStateException("level record " + record + " is damaged; delete it");
            levels.add(l);
        }
        if (!levels.isEmpty()) {
            int last = levels.size() - 1;
            Path weights = dir.resolve(levelName(last) + ".safetensors");
            if (last > 0 && Files.isRegularFile(weights)) {
                Map<String, Tensor> saved = SafeTensors.load(weights);
                state = new LinkedHashMap<>();
                masks = new LinkedHashMap<>();
                for (var e : saved.entrySet()) {
                    if (e.getKey().startsWith(MASK_PREFIX)) masks.put(e.getKey().substring(MASK_PREFIX.length()), e.getValue().toFloatArray());
                    else state.put(e.getKey(), e.getValue());
                }
                if (!masks.keySet().equals(new java.util.LinkedHashSet<>(prunable))) {
                    throw new IllegalStateException("level weights " + weights + " do not match model " + cfg.model() + "; delete "
                            + dir + " to start over");
                }
            } else if (last > 0) {
                throw new IllegalStateException("level " + last + " of " + dir + " has no weights file " + weights
                        + "; delete the folder to start over");
            }
            progress.line("sparse-double-descent: continuing after level " + (levels.size() - 1)
                    + " (records in " + dir + ")");
        }

        if (levels.isEmpty()) {
            long t0 = System.nanoTime();
            data.loadCheckpoint(cfg.epochs(), model);
            model.eval();
            MethodComparison.Accuracies a = MethodComparison.measure(model, train, test, o.evalBatch());
            Level l = new Level(0, 0, 0, total, a.test(), a.noisyTrain(), a.cleanTrain(),
                    MagnitudePruning.distance(MagnitudePruning.values(model, trainable), init), 0, (System.nanoTime() - t0) / 1e9);
            save(dir, l, null, null, null);
            levels.add(l);
            report(progress, l);
        }
        int toTrain = o.sparsities().size() + 1 - levels.size();
        try (Progress.Task task = progress.task("sparse-double-descent (retraining epochs)", (long) toTrain * epochs)) {
            long[] done = {0};
            if (state == null) {
                state = data.checkpoint(cfg.epochs(), data.newModel());
                masks = MagnitudePruning.dense(MagnitudePruning.values(model, prunable));
            }
            for (int i = levels.size(); i <= o.sparsities().size(); i++) {
                long t0 = System.nanoTime();
                double target = o.sparsities().get(i - 1);
                Module previous = data.newModel();
                previous.loadStateDict(state, true);
                masks = MagnitudePruning.prune(MagnitudePruning.values(previous, prunable), masks, target);
                Module m = data.newModel();
                if (o.rewindEpoch() >= 0) data.loadCheckpoint(o.rewindEpoch(), m);
                else m.loadStateDict(state, true);
                Map<String, Tensor> maskTensors = new LinkedHashMap<>();
                Map<String, Tensor> named = m.namedParameters();
                for (var e : masks.entrySet()) maskTensors.put(e.getKey(), Tensor.of(e.getValue(), named.get(e.getKey()).shape()));
                try (MethodRecipe recipe = MethodRecipe.prepare(cfg, data.normalization(), data.labeledTrain(), train, m, epochs,
                        progress::line)) {
                    // a frozen weight (a model's fixed layer) is pruned with the others; the optimizer never changes it,
                    // so zeroing it once holds it at zero, and the optimizer masks the trained ones
                    Map<String, Tensor> trained = new LinkedHashMap<>();
                    try (TensorScope s = Tensors.scope(); Grad g = Grad.disabled()) {
                        for (var e : maskTensors.entrySet()) {
                            if (recipe.optimizer().parameters().containsKey(e.getKey())) trained.put(e.getKey(), e.getValue());
                            else {
                                Tensor w = named.get(e.getKey());
                                w.copyFrom(w.mul(Tensor.of(w.device(), masks.get(e.getKey()), w.shape())));
                            }
                        }
                    }
                    dev.engram.nn.optim.Optimizer optimizer = recipe.optimizer();
                    if (!trained.isEmpty()) {
                        MaskedOptimizer masked = new MaskedOptimizer(recipe.optimizer(), trained);
                        masked.applyToWeights();
                        optimizer = masked;
                    }
                    recipe.trainer().optimizer(optimizer).epochListener((metrics, mod) -> task.stepTo(++done[0])).build().fit();
                }
                m.eval();
                LinkedHashMap<String, float[]> kept = MagnitudePruning.values(m, prunable);
                for (var e : kept.entrySet()) {
                    float[] w = e.getValue(), mk = masks.get(e.getKey());
                    for (int j = 0; j < w.length; j++) {
                        if (mk[j] == 0f && w[j] != 0f) {
                            throw new IllegalStateException("pruned weight " + e.getKey() + "[" + j + "] is " + w[j] + " after retraining");
                        }
                    }
                }
                MethodComparison.Accuracies a = MethodComparison.measure(m, train, test, o.evalBatch());
                long pruned = MagnitudePruning.pruned(masks);
                Level l = new Level(i, target, (double) pruned / total, total - pruned, a.test(), a.noisyTrain(),
                        a.cleanTrain(), MagnitudePruning.distance(MagnitudePruning.values(m, trainable), init, masks), epochs,
                        (System.nanoTime() - t0) / 1e9);
                state = new LinkedHashMap<>(m.stateDict());
                save(dir, l, state, masks, named);
                levels.add(l);
                report(progress, l);
            }
        }
        return new Result(cfg.dataset(), cfg.model(), cfg.noiseFraction(), train.size(), train.noisyCount(), total, params,
                o.rewindLabel(), levels);
    }

    private static String levelName(int i) {
        return String.format(Locale.ROOT, "level-%03d", i);
    }

    /** Writes a level's weights and masks (when given), then its record, then removes the previous level's weights. */
    private static void save(Path dir, Level l, Map<String, Tensor> state, Map<String, float[]> masks,
                             Map<String, Tensor> shapes) throws IOException {
        if (state != null) {
            Map<String, Tensor> out = new LinkedHashMap<>(state);
            for (var e : masks.entrySet()) out.put(MASK_PREFIX + e.getKey(), Tensor.of(e.getValue(), shapes.get(e.getKey()).shape()));
            SafeTensors.write(dir.resolve(levelName(l.level()) + ".safetensors"), out);
        }
        AtomicFiles.writeString(dir.resolve(levelName(l.level()) + ".json"), GSON.toJson(l) + "\n");
        if (l.level() > 0) Files.deleteIfExists(dir.resolve(levelName(l.level() - 1) + ".safetensors"));
    }

    private static void report(Progress progress, Level l) {
        progress.line(String.format(Locale.ROOT, "  level %d, sparsity %.4f (%d weights kept): test %.4f noisy-train %.4f"
                        + " clean-train %.4f, distance %.4f (%.0f s)", l.level(), l.sparsity(), l.keptWeights(), l.test(),
                l.noisyTrain(), l.cleanTrain(), l.learningDistance(), l.seconds()));
    }

    /** Removes the finished levels once the results are in place. */
    @Override
    public void written(RunFolder run) throws IOException {
        RunFolder.deleteTree(run.analysisPath(kind().dirName()).resolveSibling(LEVELS));
    }

    /** The chart's sparsity axis: {@code -log10(1 - s)} (0 dense, 1 = 90%, 2 = 99%). */
    public static double logAxis(double sparsity) {
        return -Math.log10(1 - sparsity) + 0.0; // + 0.0: dense reads 0, not -0
    }

    /**
     * Writes {@code results.json}, {@code levels.csv} (one row per level) and {@code sparse-double-descent.png} (test,
     * noisy-train and clean-train accuracy on the left axis and the learning distance on the right one, against
     * sparsity on a log scale).
     */
    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", kind().dirName());
        json.put("dataset", r.dataset());
        json.put("model", r.model());
        json.put("noiseFraction", r.noiseFraction());
        json.put("trainExamples", r.trainExamples());
        json.put("noisyExamples", r.noisyExamples());
        json.put("prunableWeights", r.prunableWeights());
        json.put("parameters", r.parameters());
        json.put("rewind", r.rewind());
        json.put("measure", "global magnitude pruning of linear and convolution weights, each level from the previous"
                + " one, retrained on the noisy labels with pruned weights held at zero; accuracy in evaluation mode;"
                + " learningDistance = ||theta - m*theta_init||_2 over every trainable parameter, theta_init = epoch 0 with the pruned weights zeroed");
        json.put("levels", r.levels());
        Results.writeJson(dir.resolve("results.json"), json);
        CsvTable t = new CsvTable("level", "target_sparsity", "sparsity", "kept_weights", "test", "noisy_train", "clean_train",
                "learning_distance", "retrain_epochs", "seconds");
        for (Level l : r.levels()) {
            t.addRow(l.level(), l.targetSparsity(), l.sparsity(), l.keptWeights(), l.test(), l.noisyTrain(), l.cleanTrain(),
                    l.learningDistance(), l.retrainEpochs(), l.seconds());
        }
        t.write(dir.resolve("levels.csv"));
        int n = r.levels().size();
        double[] x = new double[n], test = new double[n], noisy = new double[n], clean = new double[n], dist = new double[n];
        for (int i = 0; i < n; i++) {
            Level l = r.levels().get(i);
            x[i] = logAxis(l.sparsity());
            test[i] = l.test();
            noisy[i] = l.noisyTrain();
            clean[i] = l.cleanTrain();
            dist[i] = l.learningDistance();
        }
        Charts.twoAxes(dir.resolve("sparse-double-descent.png"), "Sparse double descent (" + r.model() + ", "
                        + SummaryRow.pct(r.noiseFraction()) + " label noise, rewind " + r.rewind() + ")",
                "sparsity, -log10(1 - s): 0 dense, 1 = 90%, 2 = 99%", "accuracy",
                List.of(Charts.Series.of("test", x, test), Charts.Series.of("noisy train (memorization)", x, noisy),
                        Charts.Series.of("clean train", x, clean)),
                "learning distance ||theta - theta_init||", List.of(Charts.Series.of("learning distance", x, dist)));
    }
}
