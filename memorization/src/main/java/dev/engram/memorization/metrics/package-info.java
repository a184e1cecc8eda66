/**
 * Per-example metrics: how well a score detects the noisy examples (AUROC, precision at k), learning and forgetting
 * events from a correctness matrix, and summaries of quantities tracked over epochs.
 */
package dev.engram.memorization.metrics;
