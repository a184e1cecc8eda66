package dev.engram.memorization.sweep;

import dev.engram.memorization.analysis.PlainTask;
import dev.engram.memorization.train.TrainingEstimate;

import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.run.ExperimentConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The estimated training time of the runs a sweep still has to do. Seconds per epoch come, in this order, from the
 * run's own finished epochs ({@code analyses/training/accuracy.csv}), from any run of the sweep with the same data,
 * model, batch size and device, or from the run's {@link TrainingEstimate} measured here (timed training steps after
 * a warm-up, and its evaluations). Analyses are not included.
 */
public final class SweepEstimate {
    private final Map<Integer, Double> seconds = new LinkedHashMap<>();
    private final Map<Integer, String> source = new LinkedHashMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();

    private SweepEstimate() { }

    /** Estimates the remaining training time of runs {@code todo} of {@code sweep}. */
    public static SweepEstimate of(Sweep sweep, List<Integer> todo) {
        SweepEstimate e = new SweepEstimate();
        Map<String, double[]> measured = new LinkedHashMap<>(); // shape -> {sum of epoch seconds, epochs}
        Map<Integer, Integer> epochsDone = new LinkedHashMap<>();
        for (SweepRun r : sweep.runs()) {
            double[] m = epochSeconds(sweep.runDir(r));
            epochsDone.put(r.index(), (int) m[1]);
            if (m[1] > 0) {
                double[] acc = measured.computeIfAbsent(shape(r.config()), k -> new double[2]);
                acc[0] += m[0];
                acc[1] += m[1];
            }
        }
        Map<String, Double> calibrated = new LinkedHashMap<>();
        for (int i : todo) {
            SweepRun r = sweep.run(i);
            String key = shape(r.config());
            int left = Math.max(0, r.config().epochs() - epochsDone.get(i));
            double[] m = measured.get(key);
            if (m != null) {
                e.seconds.put(i, left * m[0] / m[1]);
                e.source.put(i, String.format(Locale.ROOT, "measured %.1f s/epoch", m[0] / m[1]));
                continue;
            }
            if (!calibrated.containsKey(key) && !e.failures.containsKey(key)) {
                try {
                    calibrated.put(key, calibrate(r.config(), sweep.offline()));
                } catch (IOException | RuntimeException ex) {
                    e.failures.put(key, ex.getMessage());
                }
            }
            Double s = calibrated.get(key);
            if (s != null) {
                e.seconds.put(i, left * s);
                e.source.put(i, String.format(Locale.ROOT, "timed steps: about %.1f s/epoch", s));
            } else {
                e.source.put(i, "no estimate: " + e.failures.get(key));
            }
        }
        return e;
    }

    /** Runs sharing data, model, batch size and device take the same time per epoch. */
    static String shape(ExperimentConfig c) {
        return String.join("|", c.dataset(), c.model(), Integer.toString(c.batchSize()), Integer.toString(c.trainSubset()),
                Boolean.toString(c.augmentation()), c.device(), Integer.toString(c.threads()), c.imageSize());
    }

    /** Sum of the training epochs' seconds and their number, from {@code analyses/training/accuracy.csv}. */
    static double[] epochSeconds(Path runDir) {
        Path csv = runDir.resolve("analyses").resolve("training").resolve("accuracy.csv");
        double sum = 0;
        int n = 0;
        if (!Files.isRegularFile(csv)) return new double[] {0, 0};
        try {
            List<String> lines = Files.readAllLines(csv);
            List<String> header = List.of(lines.get(0).split(","));
            int epoch = header.indexOf("epoch"), secs = header.indexOf("seconds");
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                if (Integer.parseInt(f[epoch].trim()) >= 1) {
                    sum += Double.parseDouble(f[secs].trim());
                    n++;
                }
            }
        } catch (IOException | RuntimeException ex) {
            return new double[] {0, 0};
        }
        return new double[] {sum, n};
    }

    /**
     * Seconds per epoch of {@code c} on this machine: the whole run's {@link TrainingEstimate} (timed steps after a
     * warm-up, and the per-epoch evaluations) over its epochs.
     */
    static double calibrate(ExperimentConfig c, boolean offline) throws IOException {
        TrainTest data = DataSource.catalog(FetchOptions.defaults().withOffline(offline)).load(c);
        TrainingEstimate e = TrainingEstimate.measure(c, data.train(), data.test(), TrainingEstimate.DEFAULT_STEPS);
        return e.totalSeconds() / Math.max(1, c.epochs());
    }

    /** The estimate of run {@code index} as text. */
    public String describe(int index) {
        Double s = seconds.get(index);
        String how = source.getOrDefault(index, "");
        return s == null ? how : PlainTask.duration(s) + " (" + how + ")";
    }

    /** The total as one line. */
    public String total() {
        double sum = seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        long unknown = source.size() - seconds.size();
        return "estimated training time of the " + source.size() + " runs to do: " + PlainTask.duration(sum)
                + " one after another" + (unknown > 0 ? " (+ " + unknown + " runs without an estimate)" : "")
                + "; analyses not included";
    }

    /** The estimate in seconds of run {@code index}, NaN without one. */
    public double seconds(int index) {
        return seconds.getOrDefault(index, Double.NaN);
    }
}
