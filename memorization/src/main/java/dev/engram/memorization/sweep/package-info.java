/**
 * Sweeps: the runs of a grid described in a YAML or JSON sweep file, run on this machine or as Slurm job arrays, with
 * their status, the estimated training time left, and the aggregate report.
 */
package dev.engram.memorization.sweep;
