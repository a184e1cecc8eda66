package com.example.engram;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.rewind.RewindingAnalysis;
import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.train.TrainingRun;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Engram from plain Java, as a user writes it: a dataset generated in memory, one's own model ({@link StripesNet}),
 * training with label noise, then layer rewinding and neuron flipping.
 *
 * <pre>
 * mvn -B -pl examples -am package -DskipTests
 * java --add-modules jdk.incubator.vector -cp "examples/target/classes:$(cat examples/target/classpath.txt)" \
 *      com.example.engram.OwnModelAndData /tmp/stripes-run
 * </pre>
 */
public final class OwnModelAndData {
    private OwnModelAndData() { }

    /**
     * A dataset of {@code n} 12x12 grey images in four classes: class {@code c} has a bright horizontal stripe at
     * rows {@code 3c .. 3c+2} over uniform noise.
     *
     * @param name dataset name
     * @param n    number of examples
     * @param seed pixel noise seed
     * @return the dataset
     */
    public static Dataset stripes(String name, int n, long seed) {
        int size = 12, classes = 4;
        Random r = new Random(seed);
        byte[] pixels = new byte[n * size * size];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean stripe = y >= 3 * labels[i] && y < 3 * labels[i] + 3;
                    pixels[(i * size + y) * size + x] = (byte) (stripe ? 180 + r.nextInt(70) : r.nextInt(60));
                }
            }
        }
        return new Dataset(name, 1, size, size, classes, pixels, labels);
    }

    /**
     * Trains {@link StripesNet} on {@code trainSize} stripes with 10% label noise for {@code epochs} epochs into the new
     * run folder {@code dir}, then runs rewinding and flipping on it.
     *
     * @param dir       new run folder
     * @param trainSize training examples
     * @param epochs    training epochs
     * @return the two analyses' results
     * @throws IOException when the folder cannot be written
     */
    public static Results run(Path dir, int trainSize, int epochs) throws IOException {
        TrainTest data = new TrainTest(stripes("stripes-train", trainSize, 1), stripes("stripes-test", 100, 2));
        // the dataset name of the configuration is a label here: DataSource.of hands over the data in memory
        ExperimentConfig config = ExperimentConfig.paper("mnist", "class:" + StripesNet.class.getName()).toBuilder()
                .epochs(epochs).batchSize(32).peakLr(0.05).weightDecay(0).noiseFraction(0.1).seed(4).build();
        RunFolder folder = TrainingRun.create(dir, config, data.train(), List.of("OwnModelAndData"));
        RunData run = RunData.of(folder, DataSource.of(data));
        TrainingRun.train(run, stats -> System.out.println("epoch " + stats.epoch()));

        RewindingAnalysis.Result rewound = Analyses.execute(new RewindingAnalysis(), run,
                RewindingAnalysis.Options.DEFAULTS, System.out::println, false);
        NeuronFlipping.Options search = NeuronFlipping.Options.DEFAULTS.toBuilder().maxUnits(10).noise(2, 0.01)
                .referenceSize(63).targetsPerBatch(8).remainingEvalSize(100).evalBatchSize(128).build();
        FlipAnalysis.Result flipped = Analyses.execute(new FlipAnalysis(), run,
                new FlipAnalysis.Options(-1, 8, 8, search), System.out::println, false);
        return new Results(folder, rewound, flipped);
    }

    /**
     * What {@link #run} produced.
     *
     * @param folder  the run folder
     * @param rewound layer rewinding's result
     * @param flipped neuron flipping's result
     */
    public record Results(RunFolder folder, RewindingAnalysis.Result rewound, FlipAnalysis.Result flipped) { }

    /**
     * Runs the example into the folder given as the first argument (default: a new temporary folder).
     *
     * @param args optional run folder
     * @throws IOException when the folder cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("engram-example").resolve("run");
        Results r = run(dir, 400, 8);
        System.out.printf("final model: clean %.3f, noisy %.3f, test %.3f%n", r.rewound().finalClean(),
                r.rewound().finalNoisy(), r.rewound().finalTest());
        System.out.println("results in " + r.folder().dir().resolve(RunFolder.ANALYSES));
    }
}
