package dev.engram.engine.spi;

/**
 * Distributions of the counter-based random fill. Parameters {@code a, b}: UNIFORM on [a, b),
 * NORMAL with mean a and standard deviation b, BERNOULLI 1 with probability a (else 0).
 */
public enum Distribution {
    /** Uniform on {@code [a, b)}. */
    UNIFORM,
    /** Normal with mean a and standard deviation b. */
    NORMAL,
    /** 1 with probability a, else 0. */
    BERNOULLI
}
