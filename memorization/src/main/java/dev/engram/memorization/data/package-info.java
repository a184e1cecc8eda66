/**
 * A run's data as the analyses see it: {@link dev.engram.memorization.data.RunData}, the one way into a run folder,
 * with in-memory example sets, batched evaluation, the flat parameter vector, per-example losses, input corruptions and
 * the run's training recipe.
 */
package dev.engram.memorization.data;
