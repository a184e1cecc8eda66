package dev.engram.memorization.sweep;

import dev.engram.memorization.run.ExperimentConfig;

import java.util.List;
import java.util.Map;

/**
 * One run of a sweep: a point of the product of the axes.
 *
 * @param index    its position in the manifest (the Slurm array index)
 * @param name     its folder name under {@code runs/}, made of the axis keys and values
 * @param axes     the axis values of this point, key to value
 * @param config   its training configuration
 * @param analyses its analysis command lines (axis options included), command name first, without {@code --run}
 */
public record SweepRun(int index, String name, Map<String, Object> axes, ExperimentConfig config,
                       List<List<String>> analyses) {
    /** Copies. */
    public SweepRun {
        axes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(axes));
        analyses = analyses.stream().map(List::copyOf).toList();
    }

    /** This run at another index. */
    SweepRun at(int i) {
        return new SweepRun(i, name, axes, config, analyses);
    }
}
