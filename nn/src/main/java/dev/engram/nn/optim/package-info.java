/**
 * Optimizers with PyTorch semantics ({@link dev.engram.nn.optim.Sgd}, {@link dev.engram.nn.optim.AdamW}), wrappers
 * around any of them ({@link dev.engram.nn.optim.Sam}; {@link dev.engram.nn.optim.MaskedOptimizer}, which holds pruned
 * weights at zero) and learning-rate schedules stepped once per iteration ({@link dev.engram.nn.optim.LrSchedule}).
 */
package dev.engram.nn.optim;
