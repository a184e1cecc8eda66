/**
 * The pure-Java reference backend, {@link dev.engram.engine.cpu.CpuBackend}: multi-threaded kernels whose work
 * splitting does not depend on scheduling ({@link dev.engram.engine.cpu.CpuParallel}), a blocked SGEMM with Vector API
 * micro-kernels where the JVM has {@code jdk.incubator.vector}, im2col and Winograd convolutions, and host storage
 * whose arrays are recycled.
 */
package dev.engram.engine.cpu;
