package dev.engram.memorization.train;

import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.report.Charts;
import dev.engram.memorization.run.AnalysisKind;
import dev.engram.memorization.run.RunFolder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run writes about itself into {@code analyses/training/}: {@code accuracy.csv} (rewritten after every
 * epoch), and at the end {@code results.json} with the final and per-epoch accuracies and susceptibility and the
 * accuracy, loss and susceptibility charts.
 */
final class TrainingReport {
    private TrainingReport() { }

    /** Writes {@code accuracy.csv}: one row per evaluated epoch. */
    static void writeTable(Path outDir, List<TrainingRun.EpochStats> stats) throws IOException {
        CsvTable t = new CsvTable("epoch", "learning_rate", "train_loss", "clean_train_accuracy",
                "noisy_train_accuracy", "test_accuracy", "seconds", "susceptibility_step", "susceptibility");
        double[] zeta = Susceptibility.running(stats.stream().mapToDouble(TrainingRun.EpochStats::susceptibility).toArray());
        for (int i = 0; i < stats.size(); i++) {
            TrainingRun.EpochStats s = stats.get(i);
            t.addRow(s.epoch(), s.learningRate(), s.trainLoss(), s.cleanAccuracy(), s.noisyAccuracy(), s.testAccuracy(),
                    s.seconds(), s.susceptibility(), zeta[i]);
        }
        t.write(outDir.resolve("accuracy.csv"));
    }

    /** Writes the charts and {@code results.json} of a finished run. */
    static void writeSummary(RunFolder run, Path outDir, List<TrainingRun.EpochStats> stats, boolean hasNoisy,
                             boolean hasClean) throws IOException {
        int m = stats.size();
        double[] ep = new double[m], clean = new double[m], noisy = new double[m], test = new double[m];
        double[] lossEp = new double[m - 1], lossV = new double[m - 1];
        for (int i = 0; i < m; i++) {
            TrainingRun.EpochStats s = stats.get(i);
            ep[i] = s.epoch();
            clean[i] = s.cleanAccuracy();
            noisy[i] = s.noisyAccuracy();
            test[i] = s.testAccuracy();
            if (i > 0) {
                lossEp[i - 1] = s.epoch();
                lossV[i - 1] = s.trainLoss();
            }
        }
        List<Charts.Series> series = new ArrayList<>();
        if (hasClean) series.add(Charts.Series.of("clean train", ep, clean));
        if (hasNoisy) series.add(Charts.Series.of("noisy train (memorized)", ep, noisy));
        series.add(Charts.Series.of("test", ep, test));
        Charts.line(outDir.resolve("accuracy.png"), "Accuracy during training", "epoch", "accuracy", series);
        if (m > 1) {
            Charts.line(outDir.resolve("loss.png"), "Training loss", "epoch", "mean cross-entropy",
                    List.of(Charts.Series.of("train loss", lossEp, lossV)));
        }
        double[] zeta = Susceptibility.running(stats.stream().mapToDouble(TrainingRun.EpochStats::susceptibility).toArray());
        if (m > 1 && java.util.Arrays.stream(zeta).anyMatch(Double::isFinite)) {
            List<Charts.Series> acc = new ArrayList<>();
            if (hasClean) acc.add(Charts.Series.of("clean train accuracy", ep, clean));
            if (hasNoisy) acc.add(Charts.Series.of("noisy train accuracy (memorized)", ep, noisy));
            Charts.twoAxes(outDir.resolve("susceptibility.png"), "Susceptibility to random labels beside memorization",
                    "epoch", "accuracy", acc, "susceptibility ζ (loss decrease)",
                    List.of(Charts.Series.of("susceptibility ζ (running mean, right axis)",
                            java.util.Arrays.copyOfRange(ep, 1, m), java.util.Arrays.copyOfRange(zeta, 1, m))));
        }
        TrainingRun.EpochStats last = stats.get(m - 1);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("epochs", last.epoch());
        r.put("trainExamples", run.noise().size());
        r.put("noisyExamples", run.noise().noisyCount());
        r.put("finalCleanTrainAccuracy", last.cleanAccuracy());
        r.put("finalNoisyTrainAccuracy", last.noisyAccuracy());
        r.put("finalTestAccuracy", last.testAccuracy());
        r.put("trainingSeconds", stats.stream().mapToDouble(TrainingRun.EpochStats::seconds).sum());
        r.put("cleanTrainAccuracy", clean);
        r.put("noisyTrainAccuracy", noisy);
        r.put("testAccuracy", test);
        r.put("finalSusceptibility", zeta[m - 1]);
        r.put("susceptibility", zeta);
        run.writeResults(AnalysisKind.TRAINING.dirName(), r);
    }
}
