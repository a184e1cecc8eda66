package dev.engram.nn.train;

import dev.engram.nn.Module;

/** Called after each epoch's evaluation (and checkpoint, when enabled). */
@FunctionalInterface
public interface EpochListener {
    void onEpochEnd(EpochMetrics metrics, Module model);
}
