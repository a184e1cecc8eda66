/**
 * The backend service-provider interface: {@link dev.engram.engine.spi.Backend}, the kernels a device implements
 * (autograd is written once, above it), the {@link dev.engram.engine.spi.Storage} buffers they work on, the
 * element-wise, reduction and random-fill op enums, and the convolution and pooling geometries.
 */
package dev.engram.engine.spi;
