package dev.engram.memorization.scores;

import dev.engram.datasets.NoisyLabels;
import dev.engram.engine.Tensor;
import dev.engram.memorization.analysis.Analysis;
import dev.engram.memorization.analysis.Progress;
import dev.engram.memorization.analysis.SummaryRow;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.io.Results;
import dev.engram.memorization.metrics.Detection;
import dev.engram.memorization.train.EpochRecords;
import dev.engram.memorization.metrics.LearningEvents;
import dev.engram.memorization.metrics.Metrics;
import dev.engram.memorization.metrics.Trajectories;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.run.RunFolderException;
import dev.engram.nn.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-example scores that need only the per-epoch evaluations of the training run (docs/methods.md §8.12): forgetting events,
 * the epoch from which an example stays learned, mean loss and mean margin over epochs; and how well each score
 * detects the noisy examples (AUROC, precision at k = number of noisy examples; every table states each score's
 * direction, and an AUROC below 0.5 is shown with its inverted value, see {@link Detection}).
 *
 * <p>Forgetting events follow Toneva et al. 2019 by default ({@link LearningEvents.Forgetting#TONEVA}): the
 * untrained epoch-0 evaluation is not a presentation, and an example never learned ranks as more forgettable than
 * every learned one (Toneva treat it as forgotten infinitely often). Counting it as 0 events, as Engram did before,
 * ranks exactly the examples a noisy-label detector most wants to flag (never fitted) as clean;
 * {@link LearningEvents.Forgetting#ALL_ROWS} keeps that older definition for comparison. Reads
 * {@code analyses/training/per-example.safetensors}; writes {@code analyses/scores/}, with {@code scores.csv}: per
 * example its forgetting events and score, {@code learned_for_good_epoch} (the epoch from which it stays correct; an
 * example wrong at the last epoch E gets E + 1, later than any epoch, as the detection score ranks it), mean loss,
 * mean margin and final loss.
 */
public final class ScoresAnalysis implements Analysis<ScoresAnalysis.Options, ScoresAnalysis.Result> {

    /**
     * Options of the analysis; its input is the training run's per-epoch evaluations.
     *
     * @param forgetting how forgetting events are counted and ranked (default: Toneva et al. 2019)
     */
    public record Options(LearningEvents.Forgetting forgetting) {
        /** Toneva et al.'s forgetting events. */
        public static final Options DEFAULTS = new Options(LearningEvents.Forgetting.TONEVA);

        /** Validates. */
        public Options {
            if (forgetting == null) throw new IllegalArgumentException("scores: forgetting definition is required");
        }
    }

    /**
     * Result of the analysis.
     *
     * @param epochs            rows of the trajectories (epochs 0..E)
     * @param examples          number of training examples
     * @param noisy             number of noisy examples
     * @param detections        one entry per score
     * @param noisyMask         per example: noisy
     * @param forgetting        the forgetting-events definition used
     * @param forgettingEvents  per example: forgetting events (under {@code forgetting})
     * @param neverLearned      per example: never correct in a counted row (ranked above every learned example by
     *                          {@link LearningEvents.Forgetting#TONEVA})
     * @param forgettingScore   per example: the forgetting score that is ranked (larger = more forgettable)
     * @param learnedForGood    per example: epoch from which it stays learned; never = {@code epochs} (the last epoch + 1,
     *                          later than any epoch; {@link LearningEvents#learnedForGoodEpochOrAfterLast()})
     * @param meanLoss          per example: mean loss over epochs
     * @param meanMargin        per example: mean margin over epochs
     * @param finalLoss         per example: loss after the last epoch
     */
    public record Result(int epochs, int examples, int noisy, List<Detection> detections, boolean[] noisyMask,
                         LearningEvents.Forgetting forgetting, int[] forgettingEvents, boolean[] neverLearned,
                         double[] forgettingScore, int[] learnedForGood, double[] meanLoss, double[] meanMargin,
                         double[] finalLoss) implements Analysis.Result {
        @Override
        public List<SummaryRow> summaryRows() {
            List<SummaryRow> rows = new ArrayList<>();
            for (Detection d : detections) {
                rows.add(Detections.row(d));
            }
            return rows;
        }
    }

    @Override
    public AnalysisKind kind() {
        return AnalysisKind.SCORES;
    }

    @Override
    public void check(RunData data, Options options) {
        data.run().requireNoisy("The per-example scores analysis");
        data.run().requireClean("The per-example scores analysis", "ranks noisy against clean examples (AUROC)");
        trajectories(data.run());
    }

    private static Path trajectories(RunFolder run) {
        Path file = run.analysisPath(AnalysisKind.TRAINING.dirName()).resolve(EpochRecords.PER_EXAMPLE);
        if (!Files.isRegularFile(file)) {
            if (run.isImported()) {
                throw new RunFolderException(file, "run " + run.dir() + " was imported from weights trained elsewhere"
                        + " (`engram import`): it has no per-epoch training records (" + file.getFileName() + "), which this"
                        + " analysis reads; `engram checkpoint-scores --run " + run.dir() + "` computes per-example scores"
                        + " from its checkpoints instead");
            }
            throw new RunFolderException(file, "missing " + file + " (per-example correctness, loss and margin per"
                    + " epoch); train the run first with `engram train --run " + run.dir() + "`");
        }
        return file;
    }

    @Override
    public Result run(RunData data, Options options, Progress progress) throws IOException {
        RunFolder run = data.run();
        Path file = trajectories(run);
        Map<String, Tensor> t = SafeTensors.load(file);
        NoisyLabels noise = run.noise();
        boolean[][] correct = rows(t, "correct", file, noise.size());
        double[][] loss = doubles(t, "loss", file, noise.size());
        double[][] margin = doubles(t, "margin", file, noise.size());
        int rows = correct.length;
        int n = noise.size();

        LearningEvents ev = LearningEvents.ofConsecutive(correct);
        LearningEvents.Forgetting def = options.forgetting();
        int[] forgetting = ev.forgettingEvents(def);
        double[] forgettingScore = ev.forgettingScore(def);
        boolean[] never = def == LearningEvents.Forgetting.TONEVA ? ev.withoutInitialisation().neverLearned() : ev.neverLearned();
        int[] learned = ev.learnedForGoodEpochOrAfterLast();
        Trajectories.Summaries ls = Trajectories.summarize(loss);
        Trajectories.Summaries ms = Trajectories.summarize(margin);
        boolean[] mask = noise.mask();
        List<Detection> det = new ArrayList<>();
        det.add(Detection.of("mean_loss", "higher", ls.mean(), mask));
        det.add(Detection.of("mean_margin", "lower", Metrics.negate(ms.mean()), mask));
        det.add(Detection.of("learned_for_good_epoch", "higher", java.util.Arrays.stream(learned).asDoubleStream().toArray(), mask));
        det.add(Detection.of("forgetting_events", "higher", forgettingScore, mask));
        det.add(Detection.of("final_loss", "higher", ls.last(), mask));
        return new Result(rows, n, noise.noisyCount(), det, mask, def, forgetting, never, forgettingScore, learned, ls.mean(), ms.mean(), ls.last());
    }

    @Override
    public void write(Result r, Path out) throws IOException {
        int n = r.examples();
        boolean[] mask = r.noisyMask();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("epochs", r.epochs());
        json.put("examples", n);
        json.put("noisy", r.noisy());
        json.put("forgetting_definition", r.forgetting().name().toLowerCase(java.util.Locale.ROOT));
        json.put("never_learned", java.util.stream.IntStream.range(0, n).filter(i -> r.neverLearned()[i]).count());
        json.put("detections", r.detections());
        Results.writeJson(out.resolve(RunFolder.RESULTS), json);
        CsvTable per = new CsvTable("index", "is_noisy", "forgetting_events", "never_learned", "forgetting_score",
                "learned_for_good_epoch", "mean_loss", "mean_margin", "final_loss");
        for (int i = 0; i < n; i++) {
            per.addRow(i, mask[i] ? 1 : 0, r.forgettingEvents()[i], r.neverLearned()[i] ? 1 : 0, r.forgettingScore()[i],
                    r.learnedForGood()[i], r.meanLoss()[i], r.meanMargin()[i], r.finalLoss()[i]);
        }
        per.write(out.resolve("scores.csv"));
        CsvTable dt = Detections.table(r.detections());
        dt.write(out.resolve("detection.csv"));

        int[] noisyIdx = indices(mask, true), cleanIdx = indices(mask, false);
        Charts.histogram(out.resolve("mean-loss-histogram.png"), "Mean training loss over epochs", "mean loss",
                split(r.meanLoss(), cleanIdx, noisyIdx), 40, true);
        Charts.histogram(out.resolve("learned-epoch-histogram.png"), "Epoch from which an example stays learned ("
                + r.epochs() + " = never)", "epoch", split(java.util.Arrays.stream(r.learnedForGood()).asDoubleStream().toArray(), cleanIdx, noisyIdx),
                40, true);
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("AUROC", r.detections().stream().mapToDouble(Detection::auroc).toArray());
        bars.put("precision@#noisy", r.detections().stream().mapToDouble(Detection::precisionAtNumNoisy).toArray());
        Charts.groupedBar(out.resolve("detection.png"), "Noisy-label detection by score", "score", "value",
                r.detections().stream().map(Detection::score).toList(), bars);
    }

    private static int[] indices(boolean[] mask, boolean want) {
        return java.util.stream.IntStream.range(0, mask.length).filter(i -> mask[i] == want).toArray();
    }

    private static Map<String, double[]> split(double[] v, int[] clean, int[] noisy) {
        Map<String, double[]> m = new LinkedHashMap<>();
        double[] c = new double[clean.length], z = new double[noisy.length];
        for (int k = 0; k < clean.length; k++) c[k] = v[clean[k]];
        for (int k = 0; k < noisy.length; k++) z[k] = v[noisy[k]];
        m.put("clean", c);
        m.put("noisy", z);
        return m;
    }

    private static float[] matrix(Map<String, Tensor> t, String name, Path file, int n) {
        Tensor x = t.get(name);
        if (x == null) throw new RunFolderException(file, file + " has no tensor '" + name + "'");
        int[] s = x.shape();
        if (s.length != 2 || s[1] != n) {
            throw new RunFolderException(file, file + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(s)
                    + ", expected [epochs, " + n + "] (the run's training examples)");
        }
        return x.toFloatArray();
    }

    private static boolean[][] rows(Map<String, Tensor> t, String name, Path file, int n) {
        float[] f = matrix(t, name, file, n);
        int r = f.length / n;
        boolean[][] out = new boolean[r][n];
        for (int e = 0; e < r; e++) for (int i = 0; i < n; i++) out[e][i] = f[e * n + i] != 0f;
        return out;
    }

    private static double[][] doubles(Map<String, Tensor> t, String name, Path file, int n) {
        float[] f = matrix(t, name, file, n);
        int r = f.length / n;
        double[][] out = new double[r][n];
        for (int e = 0; e < r; e++) for (int i = 0; i < n; i++) out[e][i] = f[e * n + i];
        return out;
    }
}
