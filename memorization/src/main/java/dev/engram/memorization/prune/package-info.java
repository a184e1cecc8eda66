/**
 * Pruning experiments: global magnitude pruning ({@link dev.engram.memorization.prune.MagnitudePruning}) and sparse
 * double descent (He et al., ICML 2022; docs/methods.md §10.8), {@link dev.engram.memorization.prune.SparseDoubleDescent}.
 */
package dev.engram.memorization.prune;
