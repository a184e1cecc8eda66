/** Seeded, deterministic parameter initialization ({@link dev.engram.nn.init.Init}, {@link dev.engram.nn.init.Seeds}). */
package dev.engram.nn.init;
