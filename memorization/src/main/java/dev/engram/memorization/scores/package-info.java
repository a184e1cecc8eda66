/**
 * Per-example memorization scores, from the training run's per-epoch evaluations (forgetting events, mean loss and
 * margin) or from its saved checkpoints (variance of gradients and trajectories), each with its quality as a detector
 * of the mislabeled examples.
 */
package dev.engram.memorization.scores;
