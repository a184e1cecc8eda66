package dev.engram.memorization.rewind;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.NoisyLabels;
import dev.engram.memorization.experiment.ExperimentData;
import dev.engram.memorization.experiment.TrainingRun;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.nn.Module;

import java.io.IOException;

/**
 * What the layer-level analyses (rewinding, retraining) need of a trained run: its data with the labels it was
 * trained on, the clean/noisy split, and a model of the run's architecture.
 *
 * @param run     the run folder
 * @param data    training set (original labels) and test set
 * @param labeled the training set with the run's (noisy) labels
 * @param clean   indices of the clean training examples
 * @param noisy   indices of the noisy training examples
 */
public record LayerAnalysisInputs(RunFolder run, ExperimentData data, Dataset labeled, int[] clean, int[] noisy) {

    /**
     * Checks that the run has noisy examples and loads its data (from {@code data} when given, else from the dataset
     * cache with {@code fetch}).
     *
     * @param analysis name of the analysis, for messages
     * @throws dev.engram.memorization.run.RunFolderException when the run has no noisy examples
     * @throws IllegalArgumentException when the data does not match the run's noise file
     */
    public static LayerAnalysisInputs of(RunFolder run, ExperimentData data, FetchOptions fetch, String analysis)
            throws IOException {
        run.requireNoisy(analysis);
        ExperimentConfig cfg = run.config();
        ExperimentData d = data != null ? data : ExperimentData.load(cfg, fetch);
        NoisyLabels noise = run.noise();
        if (d.train().size() != noise.size()) {
            throw new IllegalArgumentException(analysis + ": run " + run.dir() + " was trained on " + noise.size()
                    + " examples (" + run.noiseFile() + ") but the training data has " + d.train().size());
        }
        return new LayerAnalysisInputs(run, d, noise.applyTo(d.train()), noise.cleanIndices(), noise.noisyIndices());
    }

    /** A fresh model of the run's architecture (its weights are overwritten from checkpoints). */
    public Module newModel() {
        return TrainingRun.createModel(run.config(), data.train());
    }
}
