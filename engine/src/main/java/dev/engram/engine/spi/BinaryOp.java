package dev.engram.engine.spi;

/** Element-wise binary functions with NumPy broadcasting. Comparisons produce 1 or 0. */
public enum BinaryOp {
    /** {@code a + b} */
    ADD,
    /** {@code a - b} */
    SUB,
    /** {@code a * b} */
    MUL,
    /** {@code a / b} */
    DIV,
    /** The larger of a and b as {@link Math#max(float, float)}: NaN if either is NaN. */
    MAX,
    /** The smaller of a and b as {@link Math#min(float, float)}: NaN if either is NaN. */
    MIN,
    /** 1 where {@code a == b}, else 0 (a NaN equals nothing). */
    EQ,
    /** 1 where {@code a > b}, else 0. */
    GT
}
