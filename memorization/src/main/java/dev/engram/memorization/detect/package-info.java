/**
 * Mislabel detection ({@code engram detect}): the leaderboard that compares every per-example score Engram computes
 * as a detector of the noisy examples, and the influence-style scores this package adds to it: Arnoldi influence,
 * TracIn self-influence, turn-over dropout self-influence and the training-free complexity gap (docs/methods.md
 * §8.13).
 */
package dev.engram.memorization.detect;
