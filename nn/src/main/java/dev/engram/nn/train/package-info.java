/**
 * The training loop: {@link dev.engram.nn.train.Trainer} over a {@link dev.engram.nn.train.BatchSource},
 * with per-iteration schedules, per-epoch evaluation and checkpoints, step hooks that see
 * pre-update gradients, divergence detection, early stopping and exact resumption.
 */
package dev.engram.nn.train;
