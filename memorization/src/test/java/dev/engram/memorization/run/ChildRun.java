package dev.engram.memorization.run;

import dev.engram.datasets.Dataset;
import dev.engram.datasets.TrainTest;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.train.TrainingRun;
import dev.engram.nn.io.Checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Entry points run in a child JVM by the crash and lock tests: {@code train DIR} trains (or resumes) a small run on
 * synthetic data; {@code hold DIR} takes the run's lock, prints "locked" and sleeps until killed.
 */
public final class ChildRun {
    private ChildRun() { }

    static Dataset synthetic(String name, int n, long seed) {
        return dev.engram.memorization.rewind.LayerTestSupport.synthetic(name, n, seed);
    }

    static TrainTest data() {
        return new TrainTest(synthetic("crash-train", 400, 1), synthetic("crash-test", 100, 2));
    }

    static ExperimentConfig config() {
        return new ExperimentConfig("mnist", "mlp", 0.2, 5, 8, 20, "sgd", 0.05, 0.9, 5e-4, "warmup-cosine", 0.1,
                false, 0, "cpu", 1);
    }

    /** Trains a new run in {@code dir}, or resumes it when it has a configuration. */
    static void trainOrResume(Path dir) throws IOException {
        TrainTest d = data();
        if (!Files.exists(dir.resolve(RunFolder.CONFIG))) {
            RunFolder f = TrainingRun.create(dir, config(), d.train(), List.of("crash-test"));
            TrainingRun.train(RunData.of(f, DataSource.of(d)), TrainingRun.Listener.NONE);
        } else {
            RunData run = RunData.of(RunFolder.open(dir), DataSource.of(d));
            TrainingRun.resume(run, new TrainingRun.Options(false, dev.engram.nn.train.ProgressMode.NONE,
                    TrainingRun.Listener.NONE));
        }
    }

    /** A command line that runs this class in a new JVM with the test's class path. */
    static ProcessBuilder command(String mode, Path dir) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ChildRun.class.getName());
        cmd.add(mode);
        cmd.add(dir.toString());
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    /** {@code train DIR} or {@code hold DIR}. */
    public static void main(String[] args) throws Exception {
        dev.engram.engine.cpu.CpuParallel.setThreads(1);
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "train" -> trainOrResume(dir);
            case "hold" -> {
                try (RunLock lock = RunLock.acquire(dir, "lock-holder test")) {
                    System.out.println("locked");
                    System.out.flush();
                    TimeUnit.MINUTES.sleep(10);
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.println("done " + Checkpoint.epochs(dir.resolve(RunFolder.CHECKPOINTS)));
    }
}
