/**
 * Localization of memorization (docs/methods.md §11): methods that score every unit of a
 * {@link dev.engram.memorization.localize.MaskedModel} for a target example (greedy flipping, zero-out, first-order
 * attribution, integrated gradients, activation outliers, slimming, Hard Concrete gates, a random baseline), their
 * side-by-side comparison, and the benchmarks against example-tied dropout and injection ground truth.
 */
package dev.engram.memorization.localize;
