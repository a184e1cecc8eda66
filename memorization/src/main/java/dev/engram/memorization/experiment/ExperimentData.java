package dev.engram.memorization.experiment;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.Datasets;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.run.ExperimentConfig;

import java.io.IOException;

/**
 * The data of an experiment: the training set (its first {@code trainSubset} examples when the config asks for a
 * subset, so example indices stay file positions) with its original labels, and the test set.
 *
 * @param train training examples, original labels
 * @param test  test examples (never corrupted)
 */
public record ExperimentData(Dataset train, Dataset test) {

    /** Loads (fetching into the cache if needed) the dataset named in {@code config}. */
    public static ExperimentData load(ExperimentConfig config, FetchOptions options) throws IOException {
        TrainTest tt = switch (config.dataset()) {
            case "mnist" -> Datasets.mnist(options);
            case "fashion-mnist" -> Datasets.fashionMnist(options);
            case "cifar10" -> Datasets.cifar10(options);
            case "svhn" -> Datasets.svhn(options);
            default -> throw new IllegalArgumentException("unknown dataset " + config.dataset());
        };
        return of(config, tt.train(), tt.test());
    }

    /** Applies the config's training subset to already loaded data. */
    public static ExperimentData of(ExperimentConfig config, Dataset train, Dataset test) {
        int n = config.trainSubset();
        if (n > train.size()) {
            throw new IllegalArgumentException("config asks for the first " + n + " training examples but "
                    + train.name() + " has " + train.size());
        }
        if (n > 0 && n < train.size()) {
            int[] first = new int[n];
            for (int i = 0; i < n; i++) first[i] = i;
            train = train.subset(first);
        }
        return new ExperimentData(train, test);
    }
}
