/**
 * The example-tied dropout experiment (docs/methods.md §6.3 and §6.4): a model trained on noisy labels with
 * example-tied dropout inserted at its activation taps, the standard-dropout and fixed sparse-mask baselines, and the
 * accuracy on clean and noisy training examples and on the test set before and after the memorization units are
 * dropped.
 */
package dev.engram.memorization.etd;
