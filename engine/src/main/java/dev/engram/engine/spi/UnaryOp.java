package dev.engram.engine.spi;

/**
 * Element-wise unary functions. {@code alpha} is the scalar argument where one is used
 * (scale, add, pow, leaky slope); others ignore it.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, ABS, RELU, GELU, TANH, SIGMOID, SQUARE,
    /** x * alpha */
    SCALE,
    /** x + alpha */
    ADD_SCALAR,
    /** x ^ alpha */
    POW,
    /** 1 / x */
    RECIPROCAL
}
