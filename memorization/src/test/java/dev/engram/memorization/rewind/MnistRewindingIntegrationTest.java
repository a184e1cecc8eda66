package dev.engram.memorization.rewind;

import dev.engram.datasets.Datasets;
import dev.engram.datasets.FetchOptions;
import dev.engram.datasets.TrainTest;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On real MNIST (skipped when it is not in the dataset cache): an MLP trained on 2,000 examples with 10% label noise
 * until the noisy labels are memorized; rewinding only its last layer (the final group) to the epoch-10 checkpoint,
 * when the model had memorized almost none of the noisy labels, does not remove memorization (docs/methods.md §3: rewinding the
 * final layer hurts little). About two minutes on two cores; run with {@code -Pintegration}.
 */
@Tag("integration")
class MnistRewindingIntegrationTest {
    /** Memorization must be essentially complete before rewinding. */
    static final double MEMORIZED = 0.95;
    /**
     * Noisy-train accuracy that must survive rewinding the last layer. At epoch 10 the model predicts under 15% of
     * the noisy labels (they are learned from about epoch 15 on), so a last layer that held the memorization would
     * bring the noisy accuracy down to that level; 0.5 is far above it and leaves room for partial damage (in our
     * 80-epoch run with this recipe it was 0.78, against 0.11 for the epoch-10 model itself).
     */
    static final double SURVIVES = 0.5;

    @TempDir
    Path tmp;

    @Test
    void rewindingTheLastLayerDoesNotRemoveMemorization() throws IOException {
        TrainTest mnist;
        try {
            mnist = Datasets.mnist(FetchOptions.defaults().withOffline(true));
        } catch (IOException e) {
            Assumptions.abort("MNIST is not in the dataset cache (" + e.getMessage() + "); run `engram doctor`"
                    + " or `engram train` once to fetch it");
            return;
        }
        ExperimentConfig cfg = new ExperimentConfig("mnist", "mlp", 0.1, 4, 60, 128, "sgd", 0.05, 0.9, 0.0,
                "warmup-cosine", 0.1, false, 2000, "cpu", 0);
        int[] firstTest = new int[1000];
        for (int i = 0; i < firstTest.length; i++) firstTest[i] = i;
        TrainTest data = new TrainTest(mnist.train(), mnist.test().subset(firstTest));
        RunFolder run = TrainingRun.create(tmp.resolve("run"), cfg, data.train(), List.of("test"));
        List<TrainingRun.EpochStats> stats = TrainingRun.train(RunData.of(run, DataSource.of(data)),
                TrainingRun.Listener.NONE);
        TrainingRun.EpochStats last = stats.get(stats.size() - 1);
        assertThat(last.noisyAccuracy()).as("noisy labels memorized").isGreaterThanOrEqualTo(MEMORIZED);
        assertThat(stats.get(10).noisyAccuracy()).as("noisy labels at epoch 10").isLessThan(0.3);

        RewindingAnalysis.Result r = LayerTestSupport.rewind(run, data, LayerTestSupport.rewindAt(List.of(10)));
        int lastGroup = r.groups().size() - 1;
        assertThat(r.groups().get(lastGroup)).isEqualTo("fc3");
        assertThat(r.noisyAccuracy()[0][lastGroup]).as("noisy accuracy after rewinding the last layer to epoch 10")
                .isGreaterThanOrEqualTo(SURVIVES);
        assertThat(r.cleanAccuracy()[0][lastGroup]).as("clean accuracy after rewinding the last layer")
                .isGreaterThan(0.9);
    }
}
