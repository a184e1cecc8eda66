package dev.engram.engine.spi;

/**
 * Element-wise unary functions. {@code alpha} is the scalar argument where one is used
 * (scale, add, pow, leaky slope); others ignore it.
 */
public enum UnaryOp {
    /** -x */
    NEG,
    /** e ^ x */
    EXP,
    /** natural logarithm */
    LOG,
    /** square root */
    SQRT,
    /** 1 / sqrt(x) */
    RSQRT,
    /** |x|; backward sign(x), 0 at 0 and NaN */
    ABS,
    /** {@code x <= 0 ? +0 : x}; NaN propagates */
    RELU,
    /** exact GELU, x times the standard normal CDF of x */
    GELU,
    /** hyperbolic tangent */
    TANH,
    /** 1 / (1 + e ^ -x) */
    SIGMOID,
    /** x * x */
    SQUARE,
    /** x * alpha */
    SCALE,
    /** x + alpha */
    ADD_SCALAR,
    /** x ^ alpha */
    POW,
    /** 1 / x */
    RECIPROCAL
}
