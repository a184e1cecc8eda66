package dev.engram.datasets;

import java.util.Objects;

/**
 * A training split and its test split.
 *
 * @param train training set (example indices = position in the official training file order)
 * @param test  test set
 */
public record TrainTest(Dataset train, Dataset test) {
    /** Rejects nulls. */
    public TrainTest {
        Objects.requireNonNull(train);
        Objects.requireNonNull(test);
    }
}
