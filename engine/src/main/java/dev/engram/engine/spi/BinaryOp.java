package dev.engram.engine.spi;

/** Element-wise binary functions with NumPy broadcasting. Comparisons produce 1 or 0. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, EQ, GT
}
