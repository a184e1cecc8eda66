package dev.engram.memorization.detect;

import dev.engram.memorization.rho.IrreducibleLoss;

import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.Evaluation;
import dev.engram.memorization.data.ExampleSet;
import dev.engram.memorization.data.LoaderBatchSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.data.TrainingRecipe;
import dev.engram.memorization.etd.ExampleTiedDropoutExperiment;
import dev.engram.memorization.etd.TapPlacement;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.metrics.LearningEvents;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.memorization.metrics.NotFiniteException;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.report.Gallery;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.scores.CheckpointScores;
import dev.engram.memorization.scores.ScoresAnalysis;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.optim.LrSchedule;
import dev.engram.nn.train.ProgressMode;
import dev.engram.nn.train.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The mislabel-detection leaderboard ({@code engram detect}): every per-example score Engram can compute for a run's
 * training examples, compared on equal terms as a detector of the run's noisy (mislabeled) examples: AUROC and
 * precision at k = number of noisy examples, each with its direction stated ({@link Detection}), its wall time and
 * what it needed beyond the run's per-epoch evaluations (checkpoints, extra training).
 *
 * <p>Scores: the per-epoch trajectory scores of {@link ScoresAnalysis} (loss, margin, forgetting events, learned
 * epoch; computed by it), the training-free complexity-gap score ({@link ComplexityGapScore}), VoG of {@link CheckpointScores} (computed by it from the checkpoints), TracIn checkpoint
 * self-influence ({@link TracInSelfInfluence}), influence-function self-influence by Arnoldi iteration at the last
 * checkpoint ({@link ArnoldiInfluence}), the RHO-LOSS irreducible and reducible loss
 * ({@link IrreducibleLoss}; two extra trainings on half the data each) and turn-over dropout self-influence
 * ({@link TurnOverInfluence}; one extra training with per-example subnetworks; the same model gives the top
 * proponents and opponents of the first test examples). Writes {@code leaderboard.csv}, {@code per-example.csv},
 * {@code test-influence.csv}, {@code results.json}, {@code roc.png} (every score's ROC curve on one chart) and one
 * {@code gallery-NN-<score>.png} per score (its most suspicious examples with given and true labels) into
 * {@code analyses/detect/}. The positives are the run's noisy examples, or for a C-score run (docs/methods.md §1.3)
 * its atypical ones ({@link #positives}). The wall time
 * of a score is that of the computation that produced it, shared by the scores it produced (all VoG windows, for
 * example, come from one pass over the checkpoints).
 */
public final class DetectionLeaderboard implements Analysis<DetectionLeaderboard.Options, DetectionLeaderboard.Result> {

    /**
     * Options.
     *
     * @param checkpoints  compute the checkpoint scores (VoG, TracIn, reducible loss)
     * @param extraTraining compute the scores that train models of the run (RHO-LOSS, turn-over dropout)
     * @param extraEpochs  epochs of each extra training; 0 = the run's
     * @param batchSize    evaluation and per-example gradient batch size
     * @param complexityGapChunk examples per Gram matrix of the complexity-gap score; 0 = leave it out
     * @param testExamples number of (first) test examples whose top turn-over dropout proponents and opponents are
     *                     written
     * @param arnoldiIterations Hessian-vector products of the Arnoldi influence ({@link ArnoldiInfluence}, top 10
     *                     eigenpairs, or as many as the iterations if fewer); 0 = leave it out
     */
    public record Options(boolean checkpoints, boolean extraTraining, int extraEpochs, int batchSize,
                          int complexityGapChunk, int testExamples, int arnoldiIterations) {
        /**
         * Everything, the run's epochs, batches of 500, complexity gap with Gram matrices of up to 1,000 examples, 5 test
         * examples, 30 Arnoldi iterations.
         */
        public static final Options DEFAULTS = new Options(true, true, 0, 500, 1000, 5, 30);

        /** Options with the complexity gap's Gram matrices of up to 1,000 examples, 5 test examples, 30 Arnoldi iterations. */
        public Options(boolean checkpoints, boolean extraTraining, int extraEpochs, int batchSize) {
            this(checkpoints, extraTraining, extraEpochs, batchSize, 1000, 5, 30);
        }

        /** Options with 30 Arnoldi iterations. */
        public Options(boolean checkpoints, boolean extraTraining, int extraEpochs, int batchSize,
                       int complexityGapChunk, int testExamples) {
            this(checkpoints, extraTraining, extraEpochs, batchSize, complexityGapChunk, testExamples, 30);
        }

        /** Validates. */
        public Options {
            if (extraEpochs < 0) throw new IllegalArgumentException("detect: extra epochs must be >= 0 (0 = the run's), got " + extraEpochs);
            if (batchSize < 1) throw new IllegalArgumentException("detect: batch size must be >= 1, got " + batchSize);
            if (testExamples < 0) throw new IllegalArgumentException("detect: test examples must be >= 0, got " + testExamples);
            if (arnoldiIterations != 0 && arnoldiIterations < 2) {
                throw new IllegalArgumentException("detect: Arnoldi iterations must be >= 2 (0 = leave it out), got "
                        + arnoldiIterations);
            }
            if (complexityGapChunk != 0 && complexityGapChunk < 2) {
                throw new IllegalArgumentException("detect: complexity-gap chunk must be >= 2 (0 = leave it out), got "
                        + complexityGapChunk);
            }
        }
    }

    /**
     * One row of the leaderboard.
     *
     * @param detection AUROC and precision@#noisy in the stated direction
     * @param seconds   wall time of the computation that produced the score (shared by the scores it produced)
     * @param needs     what the score needed: "per-epoch evaluations", "checkpoints (k)", "extra training (...)"
     * @param group     the computation that produced it
     * @param suspicious per example, oriented so that larger = more suspicious (null when not kept)
     */
    public record Entry(Detection detection, double seconds, String needs, String group, double[] suspicious) { }

    /**
     * The leaderboard.
     *
     * @param examples training examples scored
     * @param noisy    noisy examples among them
     * @param entries  rows, best AUROC first
     * @param skipped  computations left out, with the reason
     * @param noisyMask per example: a positive (noisy, or atypical for a C-score run)
     * @param testInfluence turn-over dropout influence of the training examples on the first test examples
     * @param positives  what the positives are: {@link #NOISY} or {@link #ATYPICAL}
     * @param images     the training examples (for the gallery of top examples; null = no gallery)
     * @param trueLabels per example: its label in the dataset file (differs from the given one where corrupted)
     */
    public record Result(int examples, int noisy, List<Entry> entries, List<String> skipped, boolean[] noisyMask,
                         List<TestInfluence> testInfluence, String positives, ExampleSet images, int[] trueLabels)
            implements Analysis.Result {
        /** Positives are the examples whose label was corrupted. */
        public static final String NOISY = "noisy";
        /** Positives are the atypical (low C-score) examples of a C-score run, labels unchanged. */
        public static final String ATYPICAL = "atypical";

        /** The direction of {@code d} in terms of this leaderboard's positives: {@code "higher = atypical"}. */
        public String direction(Detection d) {
            return d.direction() + " = " + positives;
        }

        /** The first row: the best score's AUROC as the value; then one row per score. */
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            if (!entries.isEmpty()) {
                Detection best = entries.get(0).detection();
                rows.add(new SummaryRow("best AUROC at finding the " + positives + " examples (" + best.score() + ", "
                        + direction(best) + ")", String.format(Locale.ROOT, "%.4f", best.auroc())));
            }
            for (Entry e : entries) {
                Detection d = e.detection();
                rows.add(new SummaryRow(d.score() + " (" + direction(d) + "): AUROC, p@#" + positives + ", cost",
                        String.format(Locale.ROOT, "%s, %.4f, %.1f s", d.aurocText(), d.precisionAtNumNoisy(), e.seconds()),
                        List.of(SummaryRow.Figure.of(d.auroc()), SummaryRow.Figure.of(d.precisionAtNumNoisy()),
                                SummaryRow.Figure.of(e.seconds()))));
            }
            for (String s : skipped) rows.add(new SummaryRow("skipped", s, List.of())); // a reason, no numbers
            return rows;
        }
    }

    /**
     * Turn-over dropout influence of the training examples on one test example.
     *
     * @param testIndex  the test example
     * @param label      its label
     * @param proponents training examples with the largest positive influence, most influential first
     * @param opponents  training examples with the most negative influence, most influential first
     * @param influence  per training example
     */
    public record TestInfluence(int testIndex, int label, int[] proponents, int[] opponents, double[] influence) { }

    /** The {@code k} indices with the largest ({@code largest}) or smallest values, in that order. */
    static int[] top(double[] v, int k, boolean largest) {
        return java.util.stream.IntStream.range(0, v.length).boxed()
                .sorted((a, b) -> largest ? Double.compare(v[b], v[a]) : Double.compare(v[a], v[b]))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.DETECT;
    }

    @Override
    public void check(RunData data, Options options) throws IOException {
        data.run().requireNoisy("The detection leaderboard");
        data.run().requireClean("The detection leaderboard", "ranks noisy against clean examples (AUROC)");
        if (options.checkpoints() && data.run().checkpoints().size() < 2) {
            throw new IllegalArgumentException("run " + data.run().dir() + " has " + data.run().checkpoints().size()
                    + " checkpoint(s); the checkpoint scores need at least 2 (train it with `engram train --run "
                    + data.run().dir() + "`, or leave them out with --no-checkpoints)");
        }
        if (options.extraTraining()) ExampleTiedDropoutExperiment.taps(data.newModel());
    }

    @Override
    public Result run(RunData data, Options o, Progress progress) throws IOException {
        ExampleSet train = data.trainSet();
        boolean[] mask = train.noisy();
        String positives = positives(data.noise());
        progress.line("detect: positives are the " + train.noisyCount() + " " + positives + " training examples");
        List<Entry> entries = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<TestInfluence> testInfluence = new ArrayList<>();

        // 1. per-epoch trajectory scores, computed by the scores analysis
        long t0 = System.nanoTime();
        try {
            ScoresAnalysis.Result s = new ScoresAnalysis().run(data, ScoresAnalysis.Options.DEFAULTS, progress);
            double secs = since(t0);
            Map<String, double[]> arrays = new LinkedHashMap<>();
            arrays.put("mean_loss", s.meanLoss());
            arrays.put("mean_margin", Metrics.negate(s.meanMargin()));
            arrays.put("forgetting_events", s.forgettingScore());
            arrays.put("learned_for_good_epoch", java.util.Arrays.stream(s.learnedForGood()).asDoubleStream().toArray());
            arrays.put("final_loss", s.finalLoss());
            for (Detection d : s.detections()) {
                entries.add(new Entry(d, secs, "per-epoch evaluations of training", "scores", arrays.get(d.score())));
            }
        } catch (RuntimeException e) {
            skipped.add("per-epoch scores: " + e.getMessage());
        }

        // 2. complexity gap, training-free
        if (o.complexityGapChunk() > 0) {
            progress.line("detect: complexity-gap score (training-free; each class against an equal random sample of the"
                    + " others, Gram matrices of at most " + o.complexityGapChunk() + " examples)");
            t0 = System.nanoTime();
            double[] cg = ComplexityGapScore.compute(train, o.complexityGapChunk(), 1, data.config().seed());
            add(entries, skipped, "complexity gap (training-free)", "higher", cg, mask, since(t0),
                    "nothing (training-free; Gram matrices of <= " + o.complexityGapChunk() + " examples)", "complexity-gap");
        } else {
            skipped.add("complexity gap: left out by the options");
        }

        if (o.checkpoints()) {
            List<RunFolder.Checkpoint> cks = data.run().checkpoints();
            int[] epochs = cks.stream().mapToInt(RunFolder.Checkpoint::epoch).toArray();
            String needs = "checkpoints (" + epochs.length + ")";
            // 2. VoG, computed by the checkpoint scores analysis
            progress.line("detect: VoG over " + epochs.length + " checkpoints");
            t0 = System.nanoTime();
            try {
                CheckpointScores.Result c = CheckpointScores.compute(k -> data.modelAtAsSaved(epochs[k]), epochs, train,
                        o.batchSize(), LearningEvents.Forgetting.TONEVA, progress::line);
                double secs = since(t0);
                for (Detection d : c.detections()) {
                    if (!d.score().startsWith("vog")) continue; // loss, margin, forgetting: the per-epoch rows above
                    entries.add(new Entry(d, secs, needs, "checkpoint-scores", vogRanked(d.score(), c)));
                }
            } catch (NotFiniteException e) { // a checkpoint whose values or gradients are not finite
                skipped.add("VoG: " + e.getMessage());
            }
            // 3. TracIn self-influence
            progress.line("detect: TracIn self-influence over " + epochs.length + " checkpoints");
            t0 = System.nanoTime();
            double[] lr = epochLearningRates(data, epochs);
            double[] tracin = TracInSelfInfluence.compute(k -> data.modelAtAsSaved(epochs[k]), lr, train, o.batchSize());
            add(entries, skipped, "tracin self-influence", "higher", tracin, mask, since(t0), needs, "tracin");
            // Arnoldi influence at the last checkpoint
            if (o.arnoldiIterations() > 0) {
                ArnoldiInfluence.Options ao = new ArnoldiInfluence.Options(o.arnoldiIterations(),
                        Math.min(ArnoldiInfluence.TOP_K, o.arnoldiIterations()), 1000, data.config().seed());
                progress.line("detect: Arnoldi influence, " + ao.iterations() + " Hessian-vector products on "
                        + Math.min(ao.hessianExamples(), train.size()) + " examples at epoch " + epochs[epochs.length - 1]
                        + ", up to " + ArnoldiInfluence.keptEigenpairs(ao.topK(), ao.iterations()) + " eigenpairs kept"
                        + " (fewer products where the Krylov basis would exceed its memory budget)");
                t0 = System.nanoTime();
                ArnoldiInfluence.Result ar;
                try {
                    // SGD's weight decay is part of the objective whose Hessian this is; AdamW's is decoupled, not
                    double wd = data.config().optimizer().equals("adamw") ? 0 : data.config().weightDecay();
                    ar = ArnoldiInfluence.compute(data.modelAtAsSaved(epochs[epochs.length - 1]), train, ao, wd,
                            o.batchSize());
                } catch (NotFiniteException e) { // weights that are not finite
                    ar = null;
                    skipped.add("arnoldi self-influence: " + e.getMessage() + " at epoch " + epochs[epochs.length - 1]
                            + "; left out");
                }
                if (ar != null) {
                    progress.line(String.format(Locale.ROOT, "  Hessian eigenvalues kept %s (finite-difference step %.3g,"
                            + " %d iterations)", java.util.Arrays.toString(java.util.Arrays.stream(ar.eigen().values())
                            .mapToObj(v -> String.format(Locale.ROOT, "%.3g", v)).toArray()), ar.step(), ar.iterations()));
                    add(entries, skipped, "arnoldi self-influence", "higher", ar.selfInfluence(), mask, since(t0),
                            "last checkpoint (" + ar.iterations() + " Hessian-vector products)", "arnoldi");
                }
            } else {
                skipped.add("Arnoldi influence: left out by the options");
            }
            if (o.extraTraining()) {
                // 4. RHO-LOSS irreducible loss
                int ep = o.extraEpochs() > 0 ? o.extraEpochs() : data.config().epochs();
                progress.line("detect: RHO-LOSS, two models on half the training set each, " + ep + " epochs");
                t0 = System.nanoTime();
                Module last = data.modelAtAsSaved(epochs[epochs.length - 1]);
                float[] fl = Evaluation.run(last, train, o.batchSize()).loss();
                double[] finalLoss = new double[fl.length];
                for (int i = 0; i < fl.length; i++) finalLoss[i] = fl[i];
                IrreducibleLoss.Scores rho = IrreducibleLoss.compute(train, finalLoss, rows -> {
                    Module m = data.newModel();
                    trainModel(data, m, null, rows, ep, progress);
                    return m;
                }, data.config().seed(), o.batchSize());
                double secsRho = since(t0);
                String needsRho = "extra training (2 × half data, " + ep + " epochs) + last checkpoint";
                add(entries, skipped, "irreducible loss (RHO-LOSS)", "higher", rho.irreducible(), mask, secsRho, needsRho,
                        "rho-loss");
                add(entries, skipped, "reducible loss (RHO-LOSS)", "lower", Metrics.negate(rho.reducible()), mask, secsRho,
                        needsRho, "rho-loss");
            }
        }
        if (o.extraTraining()) {
            // 5. turn-over dropout self-influence
            int ep = o.extraEpochs() > 0 ? o.extraEpochs() : data.config().epochs();
            Module m = data.newModel();
            List<String> taps = ExampleTiedDropoutExperiment.taps(m);
            progress.line("detect: turn-over dropout, one model with per-example subnetworks at " + taps + ", " + ep + " epochs");
            t0 = System.nanoTime();
            TapPlacement place = TurnOverInfluence.placement(taps, data.config().seed());
            trainModel(data, m, place, null, ep, progress);
            double[] self = TurnOverInfluence.selfInfluence(m, place, train, o.batchSize());
            add(entries, skipped, "turn-over dropout self-influence", "higher", self, mask, since(t0),
                    "extra training (full data, " + ep + " epochs, per-example masks)", "turn-over");
            ExampleSet test = data.testSet();
            for (int j = 0; j < Math.min(o.testExamples(), test.size()); j++) {
                double[] inf = TurnOverInfluence.influenceOn(m, place, train, test, j, o.batchSize());
                testInfluence.add(new TestInfluence(j, test.labels()[j], top(inf, 5, true), top(inf, 5, false), inf));
            }
        }
        if (!o.checkpoints()) skipped.add("checkpoint scores (VoG, TracIn, Arnoldi, RHO-LOSS): left out by the options");
        if (!o.extraTraining()) skipped.add("scores needing extra training (RHO-LOSS, turn-over dropout): left out by the options");
        entries.sort(Comparator.comparingDouble((Entry e) -> e.detection().auroc()).reversed());
        return new Result(train.size(), train.noisyCount(), entries, skipped, mask, testInfluence, positives, train,
                data.noise().originalLabels());
    }

    /**
     * Adds the entry of the score {@code suspicious} (oriented: larger = more suspicious), or, when some of its values
     * are not finite (NaN or infinite: a checkpoint whose weights or gradients overflowed), the reason it is left out
     * to {@code skipped}: one broken score must not stop the leaderboard (it did, after every score before it was
     * computed) nor be ranked.
     */
    static void add(List<Entry> entries, List<String> skipped, String name, String direction, double[] suspicious,
                    boolean[] mask, double seconds, String needs, String group) {
        int bad = 0, first = -1;
        for (int i = 0; i < suspicious.length; i++) {
            if (!Double.isFinite(suspicious[i]) && bad++ == 0) first = i;
        }
        if (bad > 0) {
            skipped.add(String.format(Locale.ROOT, "%s: %d of %d examples have no finite score (example %d: %s); left out",
                    name, bad, suspicious.length, first, suspicious[first]));
            return;
        }
        entries.add(new Entry(Detection.of(name, direction, suspicious, mask), seconds, needs, group, suspicious));
    }

    /**
     * What the run's flagged examples are: {@link Result#ATYPICAL} for a C-score run (docs/methods.md §1.3: examples
     * flagged, every label unchanged, as {@code dev.engram.datasets.AtypicalMask} writes them; label noise always
     * changes a flagged label), else {@link Result#NOISY}.
     */
    static String positives(dev.engram.datasets.NoisyLabels noise) {
        int[] given = noise.noisyLabels(), orig = noise.originalLabels();
        boolean[] m = noise.mask();
        boolean any = false;
        for (int i = 0; i < m.length; i++) {
            if (!m[i]) continue;
            if (given[i] != orig[i]) return Result.NOISY;
            any = true;
        }
        return any ? Result.ATYPICAL : Result.NOISY;
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) * 1e-9;
    }

    /**
     * Learning-rate weight of each checkpoint for TracIn: the run's schedule summed over the iterations since the
     * previous checkpoint, per epoch of them, i.e. the mean over the epoch that ends at it when checkpoints are one epoch
     * apart, and that mean times the gap for sparser ones (an imported run, or {@code --every}), as each example was
     * seen once per epoch of the gap ({@code 0} for epoch 0, the untrained model).
     */
    static double[] epochLearningRates(RunData data, int[] epochs) throws IOException {
        ExperimentConfig cfg = data.config();
        int b;
        try (LoaderBatchSource src = TrainingRecipe.batches(data, data.labeledTrain(), 0)) {
            b = src.batchesPerEpoch();
        }
        LrSchedule s = TrainingRecipe.schedule(cfg, b);
        double[] lr = new double[epochs.length];
        for (int c = 0; c < epochs.length; c++) {
            if (epochs[c] == 0) continue;
            int from = c > 0 ? epochs[c - 1] : epochs[c] - 1; // the first checkpoint stands for its own epoch
            double sum = 0;
            for (long step = (long) from * b; step < (long) epochs[c] * b; step++) sum += s.lr(step);
            lr[c] = sum / b;
        }
        return lr;
    }

    /** Trains {@code model} with the run's recipe on {@code rows} of the training set (all when null). */
    private static void trainModel(RunData data, Module model, TapPlacement place, int[] rows, int epochs,
                                   Progress progress) throws IOException {
        ExperimentConfig cfg = data.config();
        dev.engram.datasets.Dataset labeled = data.labeledTrain();
        if (rows != null) labeled = labeled.subset(rows);
        if (place != null) place.train(true);
        try (LoaderBatchSource source = TrainingRecipe.batches(data, labeled, 0);
             Taps t = place == null ? null : place.open()) {
            Trainer.builder().model(model).optimizer(TrainingRecipe.optimizer(cfg, model))
                    .schedule(TrainingRecipe.schedule(cfg, epochs, source.batchesPerEpoch())).epochs(epochs)
                    .trainData(source).progress(ProgressMode.NONE)
                    .epochListener((m, mod) -> {
                        if (m.epoch() == epochs) {
                            progress.line(String.format(Locale.ROOT, "  trained %d epochs: train loss %.4f", epochs, m.trainLoss()));
                        }
                    })
                    .build().fit();
        }
        model.eval();
        if (place != null) place.train(false);
    }

    /**
     * ROC curve points (false-positive rate, true-positive rate) of {@code suspicious} (larger = positive): a point
     * after each group of tied scores (a tie is a straight segment, as the AUROC counts it), thinned to about 400: a
     * group's point is left out only when fewer than n/400 examples were passed since the last point.
     */
    static double[][] roc(double[] suspicious, boolean[] positive) {
        int n = suspicious.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(suspicious[b], suspicious[a]));
        int p = 0;
        for (boolean b : positive) if (b) p++;
        int neg = n - p;
        List<double[]> pts = new ArrayList<>();
        pts.add(new double[] {0, 0});
        int tp = 0, fp = 0;
        int stride = Math.max(1, n / 400), last = -1; // last: the example after which the last point was taken
        for (int k = 0; k < n; k++) {
            if (positive[order[k]]) tp++; else fp++;
            boolean tieNext = k + 1 < n && suspicious[order[k + 1]] == suspicious[order[k]];
            // a group that ends off the stride grid keeps its point (before, the corners of a score with few
            // distinct values, e.g. forgetting events, fell off the grid and the curve was drawn as a diagonal)
            if (!tieNext && (k - last >= stride || k == n - 1)) {
                pts.add(new double[] {neg == 0 ? 0 : (double) fp / neg, p == 0 ? 0 : (double) tp / p});
                last = k;
            }
        }
        double[][] out = new double[2][pts.size()];
        for (int k = 0; k < pts.size(); k++) {
            out[0][k] = pts.get(k)[0];
            out[1][k] = pts.get(k)[1];
        }
        return out;
    }

    /** Examples per gallery. */
    static final int GALLERY = 16;

    /**
     * One PNG per kept score, {@code gallery-NN-<score>.png}: its {@link #GALLERY} most suspicious training examples,
     * each captioned with its rank, index, given and true label (and whether it is a positive).
     */
    private static void writeGalleries(Result r, List<Entry> kept, Path dir) throws IOException {
        ExampleSet x = r.images();
        if (!Gallery.showable(x)) return;
        for (int s = 0; s < kept.size(); s++) {
            Entry e = kept.get(s);
            int[] top = top(e.suspicious(), Math.min(GALLERY, r.examples()), true);
            int hits = 0;
            List<Gallery.Strip> strips = new ArrayList<>();
            List<Gallery.Tile> tiles = new ArrayList<>();
            for (int k = 0; k < top.length; k++) {
                int i = top[k];
                if (r.noisyMask()[i]) hits++;
                tiles.add(new Gallery.Tile(i, String.format(Locale.ROOT, "#%d ex %d", k + 1, x.ids()[i]),
                        String.format(Locale.ROOT, "given %d, true %d", x.labels()[i], r.trueLabels()[i]),
                        r.noisyMask()[i]));
                if (tiles.size() == GALLERY / 2 || k == top.length - 1) {
                    strips.add(new Gallery.Strip("ranks " + (k + 2 - tiles.size()) + "–" + (k + 1), tiles));
                    tiles = new ArrayList<>();
                }
            }
            String slug = e.detection().score().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
            byte[] png = Gallery.render(String.format(Locale.ROOT, "Top %d by %s (AUROC %.3f): %d %s (red)", top.length,
                    e.detection().score(), e.detection().auroc(), hits, r.positives()), x, strips);
            dev.engram.nn.io.AtomicFiles.write(dir.resolve(String.format(Locale.ROOT, "gallery-%02d-%s.png", s + 1, slug)),
                    ch -> dev.engram.nn.io.AtomicFiles.writeFully(ch, java.nio.ByteBuffer.wrap(png)));
        }
    }

    @Override
    public void write(Result r, Path dir) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("analysis", "detect");
        json.put("examples", r.examples());
        json.put("noisy", r.noisy());
        json.put("positives", r.positives());
        List<Map<String, Object>> rows = new ArrayList<>();
        CsvTable t = new CsvTable("score", "direction", "auroc", "inverted", "auroc_text", "precision_at_num_noisy",
                "seconds", "needs");
        for (Entry e : r.entries()) {
            Detection d = e.detection();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("score", d.score());
            m.put("direction", d.direction());
            m.put("auroc", d.auroc());
            m.put("inverted_auroc", d.inverted() ? d.invertedAuroc() : null);
            m.put("precision_at_num_noisy", d.precisionAtNumNoisy());
            m.put("seconds", e.seconds());
            m.put("needs", e.needs());
            rows.add(m);
            t.addRow(d.score(), r.direction(d), d.auroc(), d.inverted() ? 1 : 0, d.aurocText(),
                    d.precisionAtNumNoisy(), String.format(Locale.ROOT, "%.2f", e.seconds()), e.needs());
        }
        json.put("leaderboard", rows);
        json.put("skipped", r.skipped());
        Results.writeJson(dir.resolve(RunFolder.RESULTS), json);
        t.write(dir.resolve("leaderboard.csv"));
        List<Entry> kept = r.entries().stream().filter(e -> e.suspicious() != null).toList();
        if (!kept.isEmpty()) {
            List<String> header = new ArrayList<>(List.of("index", "is_noisy"));
            for (Entry e : kept) header.add(e.detection().score() + " (larger = more suspicious)");
            CsvTable per = new CsvTable(header);
            for (int i = 0; i < r.examples(); i++) {
                List<Object> row = new ArrayList<>(List.of(i, r.noisyMask()[i] ? 1 : 0));
                for (Entry e : kept) row.add(e.suspicious()[i]);
                per.addRow(row.toArray());
            }
            per.write(dir.resolve("per-example.csv"));
            List<Charts.Series> series = new ArrayList<>();
            for (Entry e : kept) {
                double[][] c = roc(e.suspicious(), r.noisyMask());
                series.add(Charts.Series.of(String.format(Locale.ROOT, "%s (%.3f)", e.detection().score(),
                        e.detection().auroc()), c[0], c[1]));
            }
            series.add(Charts.Series.of("chance", new double[] {0, 1}, new double[] {0, 1}));
            Charts.curves(dir.resolve("roc.png"), "ROC curves of every score: finding the " + r.positives()
                    + " examples", "false-positive rate", "true-positive rate", series);
            if (r.images() != null) writeGalleries(r, kept, dir);
        }
        if (!r.testInfluence().isEmpty()) {
            CsvTable ti = new CsvTable("test_index", "test_label", "kind", "rank", "train_index", "train_is_noisy",
                    "influence");
            for (TestInfluence q : r.testInfluence()) {
                for (int k = 0; k < q.proponents().length; k++) {
                    int i = q.proponents()[k];
                    ti.addRow(q.testIndex(), q.label(), "proponent", k + 1, i, r.noisyMask()[i] ? 1 : 0, q.influence()[i]);
                }
                for (int k = 0; k < q.opponents().length; k++) {
                    int i = q.opponents()[k];
                    ti.addRow(q.testIndex(), q.label(), "opponent", k + 1, i, r.noisyMask()[i] ? 1 : 0, q.influence()[i]);
                }
            }
            ti.write(dir.resolve("test-influence.csv"));
        }
        if (!Files.isDirectory(dir)) throw new IOException("detect: " + dir + " vanished while writing");
    }

    /**
     * The values a VoG detection row of {@link CheckpointScores} ranks, for the per-example file: {@code vog all (raw)},
     * or a window's class-normalized VoG ({@code vog W [a-b] (class-normalized)}) or its absolute value.
     */
    private static double[] vogRanked(String score, CheckpointScores.Result c) {
        if (score.equals("vog all (raw)")) return c.vog();
        double[] z = c.vogStagesNormalized().get(score.substring("vog ".length(), score.indexOf(' ', "vog ".length())));
        if (z == null) return null;
        if (score.endsWith("(class-normalized)")) return z;
        if (score.endsWith("(|class-normalized|)")) return java.util.Arrays.stream(z).map(Math::abs).toArray();
        return null;
    }
}
