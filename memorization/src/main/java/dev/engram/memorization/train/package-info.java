/**
 * The training run of an experiment (docs/methods.md §1.5) on the nn trainer, with the training methods against
 * memorization: per-epoch evaluation records, layer re-initialization, susceptibility to noisy labels, weight norms,
 * time estimates, and the import of runs trained elsewhere.
 */
package dev.engram.memorization.train;
