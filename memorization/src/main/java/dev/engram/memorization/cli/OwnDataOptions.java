package dev.engram.memorization.cli;

import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.run.ExperimentConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.Locale;

/**
 * How a researcher's own dataset is read: {@code --image-size HxW} and {@code --test-fraction F}, shared by the commands
 * that make a run ({@code train}, {@code import}) through {@code @Mixin}, so that an imported run can read its data as
 * the training did.
 */
public final class OwnDataOptions {
    @Option(names = "--image-size", paramLabel = "HxW", description = "Resize the images of a folder: dataset to HxW"
            + " (bilinear); default: keep the files' size (which must then all be equal).")
    String imageSize;

    @Option(names = "--test-fraction", paramLabel = "F", description = "Fraction of an own dataset held out as its"
            + " test set when it has no test part (fixed seeded split; default 0.2).")
    Double testFraction;

    /** Sets the options given on {@code c}. */
    void apply(ExperimentConfig.Builder c) {
        if (imageSize != null) c.imageSize(imageSize.trim().toLowerCase(Locale.ROOT));
        if (testFraction != null) c.testFraction(testFraction);
    }

    /** The option that set configuration field {@code field} ({@code imageSize}, {@code testFraction}), or null. */
    String optionFor(String field) {
        return switch (field) {
            case "imageSize" -> imageSize != null ? "--image-size" : null;
            case "testFraction" -> testFraction != null ? "--test-fraction" : null;
            default -> null;
        };
    }

    /** Refuses {@code --test-fraction} for a dataset it would not apply to, instead of ignoring it. */
    void check(String dataset) throws IOException {
        if (testFraction != null && !DataSource.splitsByTestFraction(dataset)) {
            throw new UsageException("--test-fraction applies to own datasets without a test part, but " + dataset
                    + (dataset.startsWith(ExperimentConfig.FOLDER_PREFIX) || dataset.startsWith(ExperimentConfig.NPY_PREFIX)
                    ? " brings its own test set" : " is a built-in dataset with its own test set") + "; leave it out");
        }
    }
}
