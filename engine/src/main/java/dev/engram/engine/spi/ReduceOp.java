package dev.engram.engine.spi;

/** Reductions over the middle axis of an {@code [outer, r, inner]} view. */
public enum ReduceOp {
    SUM, MAX, MIN, SUM_SQUARES
}
