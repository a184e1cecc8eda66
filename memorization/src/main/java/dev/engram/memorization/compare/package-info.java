/**
 * Analyses that train fresh models of a run and compare them: the fitting curves of Zhang et al. (ICLR 2017;
 * docs/methods.md §8.10) and the training methods against memorization side by side (§10.7).
 */
package dev.engram.memorization.compare;
