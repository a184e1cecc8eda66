package dev.engram.nn.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Measurements of one training epoch.
 *
 * @param epoch         the epoch (1-based; equals the index of the checkpoint written after it)
 * @param trainLoss     mean loss per training example over the epoch (train mode, pre-update parameters)
 * @param trainAccuracy fraction of training examples predicted correctly during the epoch
 * @param eval          metrics of each evaluation source by name (eval mode, end of epoch)
 * @param learningRate  learning rate of the epoch's last step
 * @param globalStep    optimizer steps taken after this epoch
 * @param seconds       wall time of the epoch's training and evaluation
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, Map<String, EvalMetrics> eval,
                           double learningRate, long globalStep, double seconds) {
    /** Copies the evaluation map. */
    public EpochMetrics {
        eval = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(eval));
    }

    /** Flat form stored in checkpoint state files. */
    Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("train.loss", trainLoss);
        m.put("train.accuracy", trainAccuracy);
        eval.forEach((name, e) -> {
            m.put("eval." + name + ".loss", e.loss());
            m.put("eval." + name + ".accuracy", e.accuracy());
            m.put("eval." + name + ".examples", (double) e.examples());
        });
        m.put("lr", learningRate);
        m.put("seconds", seconds);
        return m;
    }

    /** Inverse of {@link #toMap()}. */
    static EpochMetrics fromMap(int epoch, long globalStep, Map<String, Double> m) {
        Map<String, EvalMetrics> eval = new LinkedHashMap<>();
        for (String k : m.keySet()) {
            if (k.startsWith("eval.") && k.endsWith(".loss")) {
                String name = k.substring(5, k.length() - 5);
                eval.put(name, new EvalMetrics(m.get(k), m.getOrDefault("eval." + name + ".accuracy", Double.NaN),
                        m.getOrDefault("eval." + name + ".examples", 0.0).longValue()));
            }
        }
        return new EpochMetrics(epoch, m.getOrDefault("train.loss", Double.NaN), m.getOrDefault("train.accuracy", Double.NaN),
                eval, m.getOrDefault("lr", Double.NaN), globalStep, m.getOrDefault("seconds", Double.NaN));
    }
}
