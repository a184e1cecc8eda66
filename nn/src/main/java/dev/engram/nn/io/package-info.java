/**
 * Persistence: the {@link dev.engram.nn.io.SafeTensors} format (interchangeable with PyTorch's
 * {@code safetensors}), atomic file writes and training {@link dev.engram.nn.io.Checkpoint}s.
 */
package dev.engram.nn.io;
