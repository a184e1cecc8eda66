/**
 * RHO-LOSS (Mindermann et al., ICML 2022; docs/methods.md §8.13 and §10.4): the cross-fitted irreducible loss of every
 * training example, used as a mislabel score by the detection leaderboard and for selecting the batches of a
 * training run.
 */
package dev.engram.memorization.rho;
