package dev.engram.memorization.scores;

import dev.engram.engine.Tensor;
import dev.engram.engine.TensorScope;
import dev.engram.engine.Tensors;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.Shard;
import dev.engram.memorization.analysis.ShardedAnalysis;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.metrics.LearningEvents;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.memorization.metrics.Trajectories;
import dev.engram.memorization.report.Charts;
import dev.engram.nn.BatchContext;
import dev.engram.nn.Module;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Per-example memorization scores computed from a run's saved checkpoints, each with its quality as a detector of
 * the mislabeled examples (AUROC and precision at k = number of noisy examples, {@link Metrics}):
 * <ul>
 *   <li><b>VoG</b> (Variance of Gradients, docs/methods.md §8.1): at each checkpoint t the input gradient
 *   {@code S_t = ∂ a_y(x) / ∂x} of the pre-softmax score of the training label, averaged over colour channels;
 *   per pixel the population standard deviation over checkpoints; VoG = its mean over pixels; then normalised
 *   within each (training-label) class: {@code (VoG − mean_class) / std_class}. High = suspicious. As the VoG paper
 *   (Agarwal et al., "Estimating Example Difficulty Using Variance of Gradients", §4: early, middle and late stages
 *   of training) VoG is computed per stage window of the checkpoints used: {@code early}, {@code middle} and
 *   {@code late} are the first, middle and last third of them (a window needs at least 2 checkpoints, else it is
 *   left out), {@code all} is every checkpoint. Each window is reported class-normalized and as the absolute value
 *   of the class-normalized score (docs/methods.md §8.1: "optionally absolute value", which flags examples far from their class
 *   on either side). Over all checkpoints, including the untrained one, VoG mostly tracks how much the gradient
 *   grows, which can rank the noisy examples low (AUROC below 0.5); such an AUROC is printed as an inverted ranking
 *   with its flipped value ({@link Detection#aurocText()}), never silently.</li>
 *   <li><b>Loss and margin trajectories</b>: mean training loss over checkpoints (high = suspicious) and mean margin
 *   (label logit − largest other logit; low = suspicious).</li>
 *   <li><b>Forgetting events</b> (docs/methods.md §8.12, Toneva et al. 2019): transitions correct → incorrect between
 *   consecutive checkpoints, from the correctness matrix obtained by evaluating the training set at every checkpoint,
 *   by default without the untrained epoch-0 checkpoint and with never-learned examples ranked above every learned
 *   one ({@link LearningEvents.Forgetting}); and the epoch from which an example stays learned (never learned = the
 *   last checkpoint's epoch + 1, later than any epoch, {@link LearningEvents#learnedForGoodEpochOrAfterLast()}).</li>
 * </ul>
 * All use the training labels (the corrupted ones for noisy examples) and evaluation-mode models.
 */
public final class CheckpointScores implements ShardedAnalysis<CheckpointScores.Options, CheckpointScores.Report, CheckpointScores.Part> {

    /** A model with the weights of one checkpoint. */
    @FunctionalInterface
    public interface CheckpointLoader {
        /** Loads checkpoint {@code index} (of {@code epochs()}) into a model in evaluation mode. */
        Module load(int index) throws IOException;
    }

    /**
     * Options of the analysis.
     *
     * @param every     use every k-th checkpoint (the last one always)
     * @param examples  score only the first n training examples; 0 = all
     * @param batchSize evaluation batch size
     * @param forgetting how forgetting events are counted (default: Toneva et al. 2019)
     */
    public record Options(int every, int examples, int batchSize, LearningEvents.Forgetting forgetting) {
        /** Every checkpoint, every example, batches of 500, Toneva's forgetting events. */
        public static final Options DEFAULTS = new Options(1, 0, 500, LearningEvents.Forgetting.TONEVA);

        /** Options with Toneva's forgetting events. */
        public Options(int every, int examples, int batchSize) {
            this(every, examples, batchSize, LearningEvents.Forgetting.TONEVA);
        }

        /** Validates. */
        public Options {
            if (every < 1) throw new IllegalArgumentException("checkpoint scores: every must be >= 1, got " + every);
            if (examples < 0) throw new IllegalArgumentException("checkpoint scores: examples must be >= 0 (0 = all), got " + examples);
            if (batchSize < 1) throw new IllegalArgumentException("checkpoint scores: batch size must be >= 1, got " + batchSize);
            if (forgetting == null) throw new IllegalArgumentException("checkpoint scores: forgetting definition is required");
        }
    }

    /**
     * The analysis' result: the scores and what they were computed on.
     *
     * @param dataset the run's dataset
     * @param model   the run's model
     * @param data    the scored training examples
     * @param scores  the scores
     */
    public record Report(String dataset, String model, ExampleSet data, Result scores) implements Analysis.Result {
        /** The VoG detections (loss, margin and forgetting events are also in the per-epoch scores). */
        @Override
        public List<SummaryRow> summaryRows() {
            // best detector first: the report's first screen shows the first row
            return scores.detections().stream().filter(d -> d.score().startsWith("vog"))
                    .sorted(java.util.Comparator.comparingDouble((Detection d) -> -d.auroc()))
                    .map(Detections::row).toList();
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.CHECKPOINT_SCORES;
    }

    private static List<RunFolder.Checkpoint> used(RunFolder run, Options o) throws IOException {
        List<RunFolder.Checkpoint> all = run.checkpoints();
        List<RunFolder.Checkpoint> used = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) if (i % o.every() == 0 || i == all.size() - 1) used.add(all.get(i));
        return used;
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        RunFolder run = data.run();
        run.requireNoisy("Checkpoint scores");
        if (used(run, options).size() < 2) {
            throw new IllegalArgumentException("run " + run.dir() + " has " + run.checkpoints().size() + " checkpoint(s)"
                    + (options.every() > 1 ? " (every " + options.every() + "th used)" : "")
                    + "; checkpoint scores need at least 2; train it with `engram train --run " + run.dir() + "`");
        }
        for (RunFolder.Checkpoint c : used(run, options)) run.requireIntactCheckpoint(c.epoch()); // every file, before the work
        if (options.examples() > 0 && options.examples() > data.trainSet().size()) {
            throw new IllegalArgumentException("checkpoint-scores: --examples " + options.examples() + " exceeds the "
                    + data.trainSet().size() + " training examples of run " + run.dir() + " (0 scores them all)");
        }
    }

    /** The examples scored: the first {@code examples} training examples (all when 0). */
    private static ExampleSet scored(RunData data, Options options) throws IOException {
        ExampleSet train = data.trainSet();
        if (options.examples() > 0 && options.examples() < train.size()) {
            int[] rows = new int[options.examples()];
            for (int i = 0; i < rows.length; i++) rows[i] = i;
            train = train.subset(rows);
        }
        return train;
    }

    @Override
    public Part runShard(RunData data, Options options, Shard shard, Progress progress) throws IOException {
        List<RunFolder.Checkpoint> used = used(data.run(), options);
        ExampleSet all = scored(data, options);
        int[] range = shard.range(all.size(), options.batchSize());
        String idle = shard.emptyNote(all.size(), options.batchSize(), "examples", "--batch-size");
        if (idle != null) progress.line(idle);
        ExampleSet train = all;
        if (shard.count() > 1) {
            int[] rows = new int[range[1] - range[0]];
            for (int i = 0; i < rows.length; i++) rows[i] = range[0] + i;
            train = all.subset(rows);
        }
        int[] epochs = used.stream().mapToInt(RunFolder.Checkpoint::epoch).toArray();
        progress.line("scoring " + train.size() + " examples" + (shard.count() > 1 ? " (shard " + shard + ": examples "
                + range[0] + ".." + range[1] + " of " + all.size() + ")" : "") + " over " + epochs.length + " checkpoints");
        try (Progress.Task task = progress.task("checkpoint scores", epochs.length)) {
            Part p = computePart(c -> {
                task.stepTo(c); // checkpoints done before this one
                return data.modelAtAsSaved(epochs[c]);
            }, epochs, train, options.batchSize(), progress::line);
            task.stepTo(epochs.length);
            return p;
        }
    }

    @Override
    public Report merge(RunData data, Options options, List<Part> parts, Progress progress) throws IOException {
        ExampleSet train = scored(data, options);
        Result r = finish(parts, train, options.forgetting());
        java.io.StringWriter table = new java.io.StringWriter();
        Detections.print(r.detections(), new java.io.PrintWriter(table));
        table.toString().lines().forEach(progress::line);
        return new Report(data.config().dataset(), data.config().model(), train, r);
    }

    @Override
    public void write(Report report, Path dir) throws IOException {
        write(report.scores(), report.data(), Map.of("dataset", report.dataset(), "model", report.model()), dir);
    }

    /**
     * Per-example scores and their detection quality.
     *
     * @param epochs       epoch of each checkpoint used
     * @param vog          raw VoG per example (all checkpoints)
     * @param vogStages    raw VoG per stage window ({@code early}, {@code middle}, {@code late}, {@code all}; a window
     *                     with fewer than 2 checkpoints is absent)
     * @param vogStagesNormalized the same windows class-normalized (what the VoG detection rows rank)
     * @param stageEpochs  first and last epoch of each stage window
     * @param meanLoss     mean loss over checkpoints
     * @param meanMargin   mean margin over checkpoints
     * @param forgetting   forgetting events
     * @param forgettingScore what the "forgetting events" detection ranks: the events, with an example never learned
     *                     counted as forgotten at every checkpoint (the number of checkpoints)
     * @param learnedEpoch epoch from which the example stays learned (never = the last epoch + 1, later than any epoch)
     * @param lossCurves   mean loss per checkpoint of clean ({@code [0]}) and noisy ({@code [1]}) examples
     */
    public record Result(int[] epochs, int examples, int noisy, double[] vog, Map<String, double[]> vogStages,
                         Map<String, double[]> vogStagesNormalized, Map<String, int[]> stageEpochs, double[] meanLoss,
                         double[] meanMargin, int[] forgetting, double[] forgettingScore, int[] learnedEpoch,
                         List<Detection> detections,
                         double[][] lossCurves) {
        /** Class-normalized VoG over all checkpoints. */
        public double[] vogNormalized() {
            return vogStagesNormalized.get("all");
        }
    }


    /** Computes every score over the checkpoints {@code epochs} (loaded by {@code loader}) on {@code data}. */
    public static Result compute(CheckpointLoader loader, int[] epochs, ExampleSet data, int batchSize, Consumer<String> log)
            throws IOException {
        return compute(loader, epochs, data, batchSize, LearningEvents.Forgetting.TONEVA, log);
    }

    /** The VoG stage windows, in order. */
    public static final List<String> STAGES = List.of("early", "middle", "late", "all");

    /**
     * Stage window (0 early, 1 middle, 2 late) of checkpoint {@code c} of {@code t}: the first, middle and last third
     * (boundaries {@code t/3} and {@code 2t/3}, rounded down).
     */
    static int stageOf(int c, int t) {
        return c < t / 3 ? 0 : c < 2 * t / 3 ? 1 : 2;
    }

    /** Mean over pixels of the population standard deviation over {@code k} checkpoints, per example. */
    private static double[] vogFrom(double[] sum, double[] sumSq, int k, int n, int pixels) {
        double[] vog = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int p = 0; p < pixels; p++) {
                double m = sum[i * pixels + p] / k;
                double var = Math.max(0, sumSq[i * pixels + p] / k - m * m);
                s += Math.sqrt(var);
            }
            vog[i] = s / pixels;
        }
        return vog;
    }

    /**
     * The per-example measurements of one shard of examples, everything of {@link Result} that does not depend on the
     * other examples.
     *
     * @param epochs      epoch of each checkpoint used
     * @param loss        loss per checkpoint and example
     * @param margin      margin per checkpoint and example
     * @param correct     correctness per checkpoint and example
     * @param vogStages   raw VoG per stage window and example ({@code all} included)
     * @param stageEpochs first and last epoch of each stage window
     */
    public record Part(int[] epochs, double[][] loss, double[][] margin, boolean[][] correct,
                       Map<String, double[]> vogStages, Map<String, int[]> stageEpochs) { }

    /** Computes every score over the checkpoints {@code epochs} with forgetting events by {@code forgettingDef}. */
    public static Result compute(CheckpointLoader loader, int[] epochs, ExampleSet data, int batchSize,
                                 LearningEvents.Forgetting forgettingDef, Consumer<String> log) throws IOException {
        return finish(List.of(computePart(loader, epochs, data, batchSize, log)), data, forgettingDef);
    }

    /** The per-example measurements of {@code data} over the checkpoints {@code epochs}. */
    static Part computePart(CheckpointLoader loader, int[] epochs, ExampleSet data, int batchSize, Consumer<String> log)
            throws IOException {
        if (epochs.length < 2) throw new IllegalArgumentException("checkpoint scores need at least 2 checkpoints, got " + epochs.length);
        int n = data.size(), t = epochs.length, pixels = data.height() * data.width();
        double[][] loss = new double[t][n], margin = new double[t][n];
        boolean[][] correct = new boolean[t][n];
        double[] sum = new double[n * pixels], sumSq = new double[n * pixels];
        double[] wSum = new double[n * pixels], wSumSq = new double[n * pixels];
        Map<String, double[]> stages = new LinkedHashMap<>();
        Map<String, int[]> stageEpochs = new LinkedHashMap<>();
        int windowStart = 0;
        long last = System.nanoTime();
        for (int c = 0; c < t; c++) {
            Module model = loader.load(c);
            Evaluation.PerExample e = Evaluation.run(model, data, batchSize);
            for (int i = 0; i < n; i++) {
                loss[c][i] = e.loss()[i];
                margin[c][i] = e.margin()[i];
                correct[c][i] = e.correct()[i];
            }
            accumulateInputGradients(model, data, batchSize, wSum, wSumSq);
            if (c == t - 1 || stageOf(c + 1, t) != stageOf(c, t)) {
                int k = c - windowStart + 1;
                if (k >= 2) {
                    String name = STAGES.get(stageOf(c, t));
                    stages.put(name, vogFrom(wSum, wSumSq, k, n, pixels));
                    stageEpochs.put(name, new int[] {epochs[windowStart], epochs[c]});
                }
                for (int q = 0; q < wSum.length; q++) {
                    sum[q] += wSum[q];
                    sumSq[q] += wSumSq[q];
                }
                java.util.Arrays.fill(wSum, 0);
                java.util.Arrays.fill(wSumSq, 0);
                windowStart = c + 1;
            }
            long now = System.nanoTime();
            if (log != null && (now - last > 10_000_000_000L)) {
                last = now;
                log.accept("scores: checkpoint " + (c + 1) + "/" + t + " (epoch " + epochs[c] + ")");
            }
        }
        stages.put("all", vogFrom(sum, sumSq, t, n, pixels));
        stageEpochs.put("all", new int[] {epochs[0], epochs[t - 1]});
        return new Part(epochs.clone(), loss, margin, correct, stages, stageEpochs);
    }

    /** The scores of {@code data} from the parts of its consecutive slices, in order. */
    static Result finish(List<Part> parts, ExampleSet data, LearningEvents.Forgetting forgettingDef) {
        int[] epochs = parts.get(0).epochs();
        int n = data.size(), t = epochs.length;
        double[][] loss = new double[t][n], margin = new double[t][n];
        boolean[][] correct = new boolean[t][n];
        Map<String, double[]> stages = new LinkedHashMap<>();
        Map<String, int[]> stageEpochs = parts.get(0).stageEpochs();
        for (String stage : parts.get(0).vogStages().keySet()) stages.put(stage, new double[n]);
        int at = 0;
        for (Part p : parts) {
            if (!java.util.Arrays.equals(p.epochs(), epochs)) {
                throw new IllegalArgumentException("checkpoint-score shards used different checkpoints: "
                        + java.util.Arrays.toString(p.epochs()) + " and " + java.util.Arrays.toString(epochs));
            }
            int m = p.loss()[0].length;
            for (int c = 0; c < t; c++) {
                System.arraycopy(p.loss()[c], 0, loss[c], at, m);
                System.arraycopy(p.margin()[c], 0, margin[c], at, m);
                System.arraycopy(p.correct()[c], 0, correct[c], at, m);
            }
            for (var e : stages.entrySet()) System.arraycopy(p.vogStages().get(e.getKey()), 0, e.getValue(), at, m);
            at += m;
        }
        if (at != n) throw new IllegalArgumentException("checkpoint-score shards hold " + at + " examples, expected " + n);
        double[] vog = stages.get("all");
        Map<String, double[]> normalized = new LinkedHashMap<>();
        for (var e : stages.entrySet()) normalized.put(e.getKey(), classNormalize(e.getValue(), data.labels(), data.numClasses()));
        Trajectories.Summaries ls = Trajectories.summarize(loss), ms = Trajectories.summarize(margin);
        LearningEvents ev = new LearningEvents(epochs, correct);
        int[] forgetting = ev.forgettingEvents(forgettingDef);
        double[] forgettingScore = ev.forgettingScore(forgettingDef);
        int[] learned = ev.learnedForGoodEpochOrAfterLast();
        double[] learnedScore = java.util.Arrays.stream(learned).asDoubleStream().toArray();
        boolean[] noisy = data.noisy();
        int nNoisy = data.noisyCount();
        List<Detection> det = new ArrayList<>();
        if (nNoisy > 0 && nNoisy < n) {
            for (Map.Entry<String, double[]> e : stages.entrySet()) {
                double[] z = normalized.get(e.getKey());
                int[] ep = stageEpochs.get(e.getKey());
                String w = "vog " + e.getKey() + " [" + ep[0] + "-" + ep[1] + "]";
                det.add(detect(w + " (class-normalized)", "higher", z, noisy));
                det.add(detect(w + " (|class-normalized|)", "higher", abs(z), noisy));
            }
            det.add(detect("vog all (raw)", "higher", vog, noisy));
            det.add(detect("mean loss", "higher", ls.mean(), noisy));
            det.add(detect("mean margin", "lower", Metrics.negate(ms.mean()), noisy));
            det.add(detect("forgetting events", "higher", forgettingScore, noisy));
            det.add(detect("learned-for-good epoch", "higher", learnedScore, noisy));
        }
        double[][] curves = new double[2][t];
        for (int c = 0; c < t; c++) {
            double[] s = new double[2];
            int[] k = new int[2];
            for (int i = 0; i < n; i++) {
                int g = noisy[i] ? 1 : 0;
                s[g] += loss[c][i];
                k[g]++;
            }
            curves[0][c] = k[0] == 0 ? Double.NaN : s[0] / k[0];
            curves[1][c] = k[1] == 0 ? Double.NaN : s[1] / k[1];
        }
        return new Result(epochs.clone(), n, nNoisy, vog, stages, normalized, stageEpochs, ls.mean(), ms.mean(), forgetting,
                forgettingScore, learned, det, curves);
    }

    private static double[] abs(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.abs(v[i]);
        return r;
    }

    private static Detection detect(String name, String dir, double[] score, boolean[] noisy) {
        return Detection.of(name, dir, score, noisy);
    }

    /**
     * Adds, per example and pixel, the channel-averaged input gradient of the training label's logit and its square.
     */
    static void accumulateInputGradients(Module model, ExampleSet data, int batchSize, double[] sum, double[] sumSq) {
        int n = data.size(), ch = data.channels(), pixels = data.height() * data.width(), k = data.numClasses();
        Map<String, Boolean> before = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> {
            before.put(name, p.requiresGrad());
            p.requiresGrad(false);
        });
        try {
            for (int from = 0; from < n; from += batchSize) {
                int to = Math.min(n, from + batchSize);
                try (TensorScope s = Tensors.scope(); BatchContext c = BatchContext.of(data.ids(from, to))) {
                    Tensor x = data.images(from, to).requiresGrad(true);
                    Tensor logits = model.forward(x);
                    float[] onehot = new float[(to - from) * k];
                    for (int r = 0; r < to - from; r++) onehot[r * k + data.labels()[from + r]] = 1f;
                    logits.mul(Tensor.of(onehot, to - from, k)).sum().backward();
                    float[] g = x.grad().toFloatArray();
                    for (int r = 0; r < to - from; r++) {
                        int i = from + r;
                        for (int p = 0; p < pixels; p++) {
                            double v = 0;
                            for (int q = 0; q < ch; q++) v += g[(r * ch + q) * pixels + p];
                            v /= ch;
                            sum[i * pixels + p] += v;
                            sumSq[i * pixels + p] += v * v;
                        }
                    }
                }
            }
        } finally {
            before.forEach((name, on) -> model.namedParameters().get(name).requiresGrad(on));
        }
    }

    /** {@code (v − mean_class) / std_class} per class of {@code labels}; a class with zero spread maps to 0. */
    public static double[] classNormalize(double[] v, int[] labels, int classes) {
        double[] s = new double[classes], s2 = new double[classes];
        int[] c = new int[classes];
        for (int i = 0; i < v.length; i++) {
            s[labels[i]] += v[i];
            s2[labels[i]] += v[i] * v[i];
            c[labels[i]]++;
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            int y = labels[i];
            double m = s[y] / c[y];
            double sd = Math.sqrt(Math.max(0, s2[y] / c[y] - m * m));
            out[i] = sd > 0 ? (v[i] - m) / sd : 0;
        }
        return out;
    }

    /** Writes {@code results.json}, {@code per-example.csv}, {@code detection.csv} and PNG charts into {@code dir}. */
    public static void write(Result r, ExampleSet data, Map<String, Object> context, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", "checkpoint-scores");
        new java.util.TreeMap<>(context).forEach(json::put);
        json.put("epochs", r.epochs());
        json.put("examples", r.examples());
        json.put("noisy", r.noisy());
        json.put("vog_stage_epochs", r.stageEpochs());
        json.put("detections", r.detections());
        Results.writeJson(dir.resolve("results.json"), json);
        List<String> header = new ArrayList<>(List.of("example_id", "noisy", "label", "vog", "vog_class_normalized"));
        List<String> windows = r.vogStages().keySet().stream().filter(k -> !k.equals("all")).toList();
        for (String w : windows) {
            header.add("vog_" + w);
            header.add("vog_" + w + "_class_normalized"); // what the window's detection rows rank
        }
        header.addAll(List.of("mean_loss", "mean_margin", "forgetting_events", "forgetting_score", "learned_for_good_epoch"));
        CsvTable t = new CsvTable(header);
        for (int i = 0; i < r.examples(); i++) {
            List<Object> row = new ArrayList<>(List.of(data.ids()[i], data.noisy()[i] ? 1 : 0, data.labels()[i], r.vog()[i],
                    r.vogNormalized()[i]));
            for (String w : windows) {
                row.add(r.vogStages().get(w)[i]);
                row.add(r.vogStagesNormalized().get(w)[i]);
            }
            row.addAll(List.of(r.meanLoss()[i], r.meanMargin()[i], r.forgetting()[i], r.forgettingScore()[i],
                    r.learnedEpoch()[i]));
            t.addRow(row.toArray());
        }
        t.write(dir.resolve("per-example.csv"));
        Detections.table(r.detections()).write(dir.resolve("detection.csv"));
        if (!r.detections().isEmpty()) {
            List<String> names = new ArrayList<>();
            double[] au = new double[r.detections().size()], pk = new double[au.length];
            for (int i = 0; i < au.length; i++) {
                names.add(r.detections().get(i).score());
                au[i] = r.detections().get(i).auroc();
                pk[i] = r.detections().get(i).precisionAtNumNoisy();
            }
            Map<String, double[]> g = new LinkedHashMap<>();
            g.put("AUROC", au);
            g.put("precision@#noisy", pk);
            Charts.groupedBar(dir.resolve("detection.png"), "Finding the mislabeled examples", "score", "value", names, g);
            Map<String, double[]> h = new LinkedHashMap<>();
            h.put("clean", select(r.vogNormalized(), data.noisy(), false));
            h.put("noisy", select(r.vogNormalized(), data.noisy(), true));
            Charts.histogram(dir.resolve("vog.png"), "Class-normalized VoG", "VoG (z-score within class)", h, 30, true);
        }
        double[] x = new double[r.epochs().length];
        for (int i = 0; i < x.length; i++) x[i] = r.epochs()[i];
        List<Charts.Series> series = new ArrayList<>();
        if (java.util.Arrays.stream(r.lossCurves()[0]).allMatch(Double::isFinite)) series.add(Charts.Series.of("clean", x, r.lossCurves()[0]));
        if (java.util.Arrays.stream(r.lossCurves()[1]).allMatch(Double::isFinite)) series.add(Charts.Series.of("noisy", x, r.lossCurves()[1]));
        if (!series.isEmpty()) Charts.line(dir.resolve("loss-trajectory.png"), "Mean training loss per checkpoint", "epoch", "loss", series);
    }

    private static double[] select(double[] v, boolean[] flag, boolean want) {
        return java.util.stream.IntStream.range(0, v.length).filter(i -> flag[i] == want).mapToDouble(i -> v[i]).toArray();
    }
}
