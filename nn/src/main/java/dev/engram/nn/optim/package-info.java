/**
 * Optimizers with PyTorch semantics ({@link dev.engram.nn.optim.Sgd}, {@link dev.engram.nn.optim.AdamW})
 * and learning-rate schedules stepped once per iteration ({@link dev.engram.nn.optim.LrSchedule}).
 */
package dev.engram.nn.optim;
