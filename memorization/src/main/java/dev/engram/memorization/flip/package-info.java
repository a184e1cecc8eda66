/**
 * Greedy neuron flipping (Maini et al. 2023, docs/methods.md §5): units of a trained model zeroed one by one until a
 * target example's prediction flips, at the activation or the weight level, and the flipping analysis that compares
 * noisy and clean examples.
 */
package dev.engram.memorization.flip;
