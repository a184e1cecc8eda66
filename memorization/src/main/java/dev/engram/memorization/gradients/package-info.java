/**
 * Gradient accounting (docs/methods.md §2): per layer group and epoch, the norms of the clean and the noisy examples' summed
 * gradients and their cosine, plus per-example gradient norms, measured during training
 * ({@link dev.engram.memorization.gradients.GradientAccountingListener}) or from saved checkpoints
 * ({@link dev.engram.memorization.gradients.GradientAccounting#run}).
 */
package dev.engram.memorization.gradients;
