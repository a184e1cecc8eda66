package dev.engram.memorization.experiment;

import dev.engram.datasets.NoisyLabels;
import dev.engram.engine.Tensor;
import dev.engram.memorization.io.CsvTable;
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
 * Per-example scores that need only the per-epoch evaluations of the training run (spec §8.12): forgetting events,
 * the epoch from which an example stays learned, mean loss and mean margin over epochs; and how well each score
 * detects the noisy examples (AUROC, precision at k = number of noisy examples). Reads
 * {@code analyses/training/per-example.safetensors}; writes {@code analyses/scores/}.
 */
public final class ScoresAnalysis {

    /**
     * Detection quality of one score.
     *
     * @param score               score name
     * @param direction           "higher" or "lower" = which values indicate a noisy example
     * @param auroc               AUROC of the score as a noisy-example detector
     * @param precisionAtNumNoisy precision among the (number of noisy examples) most suspicious examples
     */
    public record Detection(String score, String direction, double auroc, double precisionAtNumNoisy) { }

    /**
     * Result of the analysis.
     *
     * @param epochs     rows of the trajectories (epochs 0..E)
     * @param examples   number of training examples
     * @param noisy      number of noisy examples
     * @param detections one entry per score
     */
    public record Result(int epochs, int examples, int noisy, List<Detection> detections) { }

    private ScoresAnalysis() { }

    /** Runs the analysis on a trained run and writes its outputs. */
    public static Result run(RunFolder run) throws IOException {
        run.requireNoisy("The per-example scores analysis");
        Path file = run.analysisPath(AnalysisKind.TRAINING.dirName()).resolve(TrainingRun.PER_EXAMPLE);
        if (!Files.isRegularFile(file)) {
            throw new RunFolderException(file, "missing " + file + " (per-example correctness, loss and margin per"
                    + " epoch); train the run first with `engram train --run " + run.dir() + "`");
        }
        Map<String, Tensor> t = SafeTensors.load(file);
        NoisyLabels noise = run.noise();
        boolean[][] correct = rows(t, "correct", file, noise.size());
        double[][] loss = doubles(t, "loss", file, noise.size());
        double[][] margin = doubles(t, "margin", file, noise.size());
        int rows = correct.length;
        int n = noise.size();

        LearningEvents ev = LearningEvents.ofConsecutive(correct);
        int[] forgetting = ev.forgettingEvents();
        int[] learned = ev.learnedForGoodEpoch();
        Trajectories.Summaries ls = Trajectories.summarize(loss);
        Trajectories.Summaries ms = Trajectories.summarize(margin);
        double[] learnedScore = new double[n];
        double[] forgettingScore = new double[n];
        for (int i = 0; i < n; i++) {
            learnedScore[i] = learned[i] == LearningEvents.NEVER ? rows : learned[i];
            forgettingScore[i] = forgetting[i];
        }
        boolean[] mask = noise.mask();
        List<Detection> det = new ArrayList<>();
        det.add(detection("mean_loss", "higher", ls.mean(), mask));
        det.add(detection("mean_margin", "lower", Metrics.negate(ms.mean()), mask));
        det.add(detection("learned_for_good_epoch", "higher", learnedScore, mask));
        det.add(detection("forgetting_events", "higher", forgettingScore, mask));
        det.add(detection("final_loss", "higher", ls.last(), mask));

        Path out = run.analysisDir(AnalysisKind.SCORES.dirName());
        CsvTable per = new CsvTable("index", "is_noisy", "forgetting_events", "learned_for_good_epoch", "mean_loss",
                "mean_margin", "final_loss");
        for (int i = 0; i < n; i++) {
            per.addRow(i, mask[i] ? 1 : 0, forgetting[i], learned[i], ls.mean()[i], ms.mean()[i], ls.last()[i]);
        }
        per.write(out.resolve("scores.csv"));
        CsvTable dt = new CsvTable("score", "noisy_when", "auroc", "precision_at_num_noisy");
        for (Detection d : det) dt.addRow(d.score(), d.direction(), d.auroc(), d.precisionAtNumNoisy());
        dt.write(out.resolve("detection.csv"));

        int[] noisyIdx = noise.noisyIndices(), cleanIdx = noise.cleanIndices();
        Charts.histogram(out.resolve("mean-loss-histogram.png"), "Mean training loss over epochs", "mean loss",
                split(ls.mean(), cleanIdx, noisyIdx), 40, true);
        Charts.histogram(out.resolve("learned-epoch-histogram.png"), "Epoch from which an example stays learned ("
                + rows + " = never)", "epoch", split(learnedScore, cleanIdx, noisyIdx), 40, true);
        Map<String, double[]> bars = new LinkedHashMap<>();
        bars.put("AUROC", det.stream().mapToDouble(Detection::auroc).toArray());
        bars.put("precision@#noisy", det.stream().mapToDouble(Detection::precisionAtNumNoisy).toArray());
        Charts.groupedBar(out.resolve("detection.png"), "Noisy-label detection by score", "score", "value",
                det.stream().map(Detection::score).toList(), bars);

        Result r = new Result(rows, n, noisyIdx.length, det);
        run.writeResults(AnalysisKind.SCORES.dirName(), r);
        return r;
    }

    private static Detection detection(String name, String dir, double[] suspicious, boolean[] mask) {
        return new Detection(name, dir, Metrics.auroc(suspicious, mask), Metrics.precisionAtNumPositives(suspicious, mask));
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
