package dev.engram.datasets;

import java.util.List;

/**
 * Where each example of a researcher's own dataset came from, in example order: an image file (relative to the dataset
 * folder, {@code /}-separated) or a row of an array file. Training example {@code i} of the {@link TrainTest} a reader
 * returns is {@code train().get(i)}, so an analysis' example index can be traced back to its file.
 *
 * @param train sources of the training examples
 * @param test  sources of the test examples
 */
public record ExampleSources(List<Source> train, List<Source> test) {
    /**
     * One example's origin.
     *
     * @param file the image file, or the array file ({@code x.npy}, {@code x_test.npy}, or {@code NAME.npz:x})
     * @param row  the example's row in the array file; -1 for an image file
     */
    public record Source(String file, long row) { }

    /** Copies the lists. */
    public ExampleSources {
        train = List.copyOf(train);
        test = List.copyOf(test);
    }
}
