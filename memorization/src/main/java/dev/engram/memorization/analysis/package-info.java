/**
 * The analysis framework: the {@link dev.engram.memorization.analysis.Analysis} contract (typed options in, a typed
 * result out, files in the run's {@code analyses/<kind>/}), the runner
 * {@link dev.engram.memorization.analysis.Analyses} that every caller shares, shards of per-example work, progress
 * reporting and the headline summary rows.
 */
package dev.engram.memorization.analysis;
