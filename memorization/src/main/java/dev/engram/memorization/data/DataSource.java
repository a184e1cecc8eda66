package dev.engram.memorization.data;

import dev.engram.datasets.Datasets;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.run.ExperimentConfig;

import java.io.IOException;

/**
 * Where the examples of a run come from: given the dataset name of a run's configuration, its training set (original
 * labels, file order) and test set. {@link #catalog} reads the built-in datasets from the cache (fetching when
 * allowed); {@link #of} hands over data already in memory (tests, embedding programs, a researcher's own files read
 * with the dataset readers).
 */
@FunctionalInterface
public interface DataSource {
    /**
     * The training and test sets of {@code dataset}.
     *
     * @throws IllegalArgumentException for a dataset this source does not provide
     */
    TrainTest load(String dataset) throws IOException;

    /** The built-in datasets of {@link ExperimentConfig#DATASETS}, read from the cache or fetched as {@code options} allow. */
    static DataSource catalog(FetchOptions options) {
        return name -> switch (name) {
            case "mnist" -> Datasets.mnist(options);
            case "fashion-mnist" -> Datasets.fashionMnist(options);
            case "cifar10" -> Datasets.cifar10(options);
            case "svhn" -> Datasets.svhn(options);
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; known: "
                    + ExperimentConfig.DATASETS);
        };
    }

    /** Data already loaded; any dataset name of a configuration gets {@code data}. */
    static DataSource of(TrainTest data) {
        if (data == null) throw new IllegalArgumentException("DataSource.of: data is null");
        return name -> data;
    }
}
