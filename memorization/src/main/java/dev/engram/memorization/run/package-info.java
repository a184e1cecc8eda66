/**
 * A run folder and what defines it: the experiment configuration ({@code config.json}) with its training methods, the
 * provenance, the one-writer lock, and the kinds of analyses a folder holds.
 */
package dev.engram.memorization.run;
