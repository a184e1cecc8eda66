/**
 * Layer retraining (docs/methods.md §4): each layer group of the final model reset to its epoch-0 values and retrained
 * on the clean training examples only, with accuracy measured on the noisy ones.
 */
package dev.engram.memorization.retrain;
