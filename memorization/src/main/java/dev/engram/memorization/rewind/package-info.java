/**
 * Layer rewinding (docs/methods.md §3): each layer group of the final model replaced by its values at an earlier
 * checkpoint, and the model evaluated on the training set with the labels it was trained on.
 */
package dev.engram.memorization.rewind;
