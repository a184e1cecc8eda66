package dev.engram.nn.train;

import dev.engram.nn.Module;

/** Called after each epoch's evaluation (and checkpoint, when enabled). */
@FunctionalInterface
public interface EpochListener {
    /** Receives the finished epoch's metrics and the model (in train mode). */
    void onEpochEnd(EpochMetrics metrics, Module model);
}
