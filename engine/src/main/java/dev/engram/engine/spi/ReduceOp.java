package dev.engram.engine.spi;

/** Reductions over the middle axis of an {@code [outer, r, inner]} view. */
public enum ReduceOp {
    /** Sum. */
    SUM,
    /** Maximum, a {@link Math#max(float, float)} fold: NaN if any element is NaN. */
    MAX,
    /** Minimum, a {@link Math#min(float, float)} fold: NaN if any element is NaN. */
    MIN,
    /** Sum of squares. */
    SUM_SQUARES
}
