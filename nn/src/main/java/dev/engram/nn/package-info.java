/** Modules, layers, models, optimizers, schedules, checkpoints and the training loop. */
package dev.engram.nn;
