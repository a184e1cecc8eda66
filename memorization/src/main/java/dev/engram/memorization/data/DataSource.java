package dev.engram.memorization.data;

import dev.engram.datasets.Datasets;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.ImageFolderReader;
import dev.engram.datasets.NpyDatasetReader;
import dev.engram.datasets.OwnDatasets;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.run.ExperimentConfig;

import java.io.IOException;
import java.nio.file.Path;

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

    /**
     * The training and test sets of the run configured by {@code config}: its dataset read with its options
     * ({@link ExperimentConfig#imageSize()}, {@link ExperimentConfig#testFraction()}). By default the dataset name alone.
     */
    default TrainTest load(ExperimentConfig config) throws IOException {
        return load(config.dataset());
    }

    /**
     * The built-in datasets of {@link ExperimentConfig#DATASETS}, read from the cache or fetched as {@code options}
     * allow, and own datasets: {@code folder:PATH} ({@link ImageFolderReader}) and {@code npy:PATH}
     * ({@link NpyDatasetReader}), split with {@link OwnDatasets#SPLIT_SEED} when they have no test part.
     */
    static DataSource catalog(FetchOptions options) {
        return new DataSource() {
            @Override
            public TrainTest load(String dataset) throws IOException {
                return read(dataset, "", ExperimentConfig.DEFAULT_TEST_FRACTION);
            }

            @Override
            public TrainTest load(ExperimentConfig config) throws IOException {
                return read(config.dataset(), config.imageSize(), config.testFraction());
            }

            private TrainTest read(String name, String imageSize, double testFraction) throws IOException {
                if (name.startsWith(ExperimentConfig.FOLDER_PREFIX)) {
                    return ImageFolderReader.read(Path.of(name.substring(ExperimentConfig.FOLDER_PREFIX.length())),
                            OwnDatasets.parseImageSize(imageSize), testFraction, OwnDatasets.SPLIT_SEED);
                }
                if (name.startsWith(ExperimentConfig.NPY_PREFIX)) {
                    if (imageSize != null && !imageSize.isEmpty()) {
                        throw new IllegalArgumentException("--image-size applies to folder: datasets, not " + name);
                    }
                    return NpyDatasetReader.read(Path.of(name.substring(ExperimentConfig.NPY_PREFIX.length())),
                            testFraction, OwnDatasets.SPLIT_SEED);
                }
                return switch (name) {
                    case "mnist" -> Datasets.mnist(options);
                    case "fashion-mnist" -> Datasets.fashionMnist(options);
                    case "cifar10" -> Datasets.cifar10(options);
                    case "svhn" -> Datasets.svhn(options);
                    default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; known: "
                            + ExperimentConfig.DATASETS + ", folder:PATH, npy:PATH");
                };
            }
        };
    }

    /**
     * Whether {@code dataset} (a configuration's dataset name) is split by the test fraction: an own dataset without a
     * test part of its own. The built-in datasets and own ones with a test part keep their test sets.
     */
    static boolean splitsByTestFraction(String dataset) throws IOException {
        if (dataset.startsWith(ExperimentConfig.FOLDER_PREFIX)) {
            return !ImageFolderReader.hasTestPart(Path.of(dataset.substring(ExperimentConfig.FOLDER_PREFIX.length())));
        }
        if (dataset.startsWith(ExperimentConfig.NPY_PREFIX)) {
            return !NpyDatasetReader.hasTestPart(Path.of(dataset.substring(ExperimentConfig.NPY_PREFIX.length())));
        }
        return false;
    }

    /** Data already loaded; any dataset name of a configuration gets {@code data}. */
    static DataSource of(TrainTest data) {
        if (data == null) throw new IllegalArgumentException("DataSource.of: data is null");
        return name -> data;
    }
}
