/**
 * Layers: each a {@link dev.engram.nn.Module} whose forward is written with
 * {@link dev.engram.engine.Functional} and {@link dev.engram.engine.Tensor} ops, with PyTorch's
 * parameter names and default initialization (seeded through {@link dev.engram.nn.init.Seeds}).
 */
package dev.engram.nn.layers;
