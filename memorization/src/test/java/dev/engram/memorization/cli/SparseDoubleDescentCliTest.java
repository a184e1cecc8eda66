package dev.engram.memorization.cli;

import dev.engram.memorization.analysis.Analyses;
import dev.engram.memorization.data.DataSource;
import dev.engram.memorization.data.RunData;
import dev.engram.memorization.io.CsvTable;
import dev.engram.memorization.prune.SparseDoubleDescent;
import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code engram sparse-double-descent} end to end on a tiny generated dataset: the levels, their files, refusals of bad
 * options and of existing results, and an interrupted analysis continued from its last finished level with the same
 * numbers as an uninterrupted one.
 */
class SparseDoubleDescentCliTest extends CliTestBase {
    @TempDir
    Path tmp;

    private Path train(Path data, String name) {
        Path run = tmp.resolve(name);
        assertThat(engram("train", "--run", run.toString(), "--dataset", "npy:" + data, "--model", "mlp", "--epochs", "3",
                "--batch-size", "8", "--noise", "0.2", "--lr", "0.05", "--threads", "1")).as(err.toString()).isZero();
        return run;
    }

    private static final String[] OPTIONS = {"--sparsities", "0.5,0.8,0.95", "--retrain-epochs", "2", "--threads", "1"};

    private String[] command(Path run, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("sparse-double-descent", "--run", run.toString()));
        a.addAll(List.of(OPTIONS));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void prunesRetrainsWritesAndContinuesAnInterruptedRun() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 60, 6, 3);
        Path run = train(data, "run");

        assertThat(engram(command(run, "--rewind", "epoch:9"))).isNotZero();
        assertThat(err.toString()).contains("epoch:9 is beyond the run's 3 epochs");
        assertThat(engram("sparse-double-descent", "--run", run.toString(), "--sparsities", "0.8,0.5")).isNotZero();
        assertThat(err.toString()).contains("sparsities must increase");
        assertThat(engram("sparse-double-descent", "--run", run.toString(), "--sparsities", "0.5", "--rounds", "3")).isNotZero();
        assertThat(err.toString()).contains("either --sparsities or --prune-fraction/--rounds");

        assertThat(engram(command(run))).as(err.toString()).isZero();
        assertThat(out.toString()).contains("level 3, sparsity 0.95", "(100%), elapsed", "recovered peak", "sparse-double-descent");
        Path dir = run.resolve("analyses").resolve("sparse-double-descent");
        for (String f : List.of("results.json", "levels.csv", "sparse-double-descent.png")) assertThat(dir.resolve(f)).isRegularFile();
        assertThat(run.resolve("analyses").resolve(SparseDoubleDescent.LEVELS)).as("levels removed once written").doesNotExist();
        CsvTable t = CsvTable.read(dir.resolve("levels.csv"));
        assertThat(t.rows()).hasSize(4);
        // the MLP's prunable weights: round(s * total) pruned at each level
        long total = Long.parseLong(t.rows().get(0).get(3));
        for (int i = 1; i <= 3; i++) {
            double target = Double.parseDouble(t.rows().get(i).get(1));
            long kept = Long.parseLong(t.rows().get(i).get(3));
            assertThat(kept).isEqualTo(total - Math.round(target * total));
            assertThat(Double.parseDouble(t.rows().get(i).get(7))).as("learning distance").isPositive();
        }
        // level 0's learning distance by hand from the checkpoint files (the MLP's state is its parameters)
        var init = dev.engram.nn.io.SafeTensors.load(run.resolve("checkpoints").resolve("epoch-000.safetensors"));
        var last = dev.engram.nn.io.SafeTensors.load(run.resolve("checkpoints").resolve("epoch-003.safetensors"));
        double ss = 0;
        for (var e : init.entrySet()) {
            float[] a = e.getValue().toFloatArray(), b = last.get(e.getKey()).toFloatArray();
            for (int i = 0; i < a.length; i++) ss += ((double) b[i] - a[i]) * ((double) b[i] - a[i]);
        }
        assertThat(Double.parseDouble(t.rows().get(0).get(7))).isCloseTo(Math.sqrt(ss), org.assertj.core.api.Assertions.within(1e-9));
        assertThat(engram(command(run))).as("results are not replaced silently").isNotZero();
        assertThat(err.toString()).contains("--force");
        for (String rewind : List.of("none", "epoch:1")) { // the other starting points, one level each
            assertThat(engram("sparse-double-descent", "--run", run.toString(), "--sparsities", "0.9", "--retrain-epochs", "1",
                    "--rewind", rewind, "--force", "--threads", "1")).as(err.toString()).isZero();
            assertThat(Files.readString(dir.resolve("results.json"))).contains("\"rewind\": \"" + rewind + "\"");
            assertThat(CsvTable.read(dir.resolve("levels.csv")).rows()).hasSize(2);
        }

        // the same run again, interrupted after level 1, then continued from the command line
        Path again = train(data, "again");
        RunData rd = RunData.open(again, DataSource.catalog(AnalysisCommand.fetchOptions(true, new java.io.PrintWriter(out))));
        var o = new SparseDoubleDescent.Options(List.of(0.5, 0.8, 0.95), 2, 0, 1000);
        assertThatThrownBy(() -> Analyses.execute(new SparseDoubleDescent(), rd, o, line -> {
            if (line.contains("level 1,")) throw new IllegalStateException("interrupted");
        }, false)).hasMessage("interrupted");
        assertThat(again.resolve("analyses").resolve(SparseDoubleDescent.LEVELS).resolve("level-001.json")).isRegularFile();
        assertThat(RunFolder.open(again).hasResults("sparse-double-descent")).isFalse();
        assertThat(engram(command(again, "--rewind", "none"))).as("other options than the unfinished levels'").isNotZero();
        assertThat(err.toString()).contains("other options");
        assertThat(engram(command(again))).as(err.toString()).isZero();
        assertThat(out.toString()).contains("continuing after level 1").doesNotContain("level 1,");
        CsvTable u = CsvTable.read(again.resolve("analyses").resolve("sparse-double-descent").resolve("levels.csv"));
        for (int i = 0; i < 4; i++) {
            assertThat(u.rows().get(i).subList(0, 9)).as("level " + i + " as in the uninterrupted run")
                    .isEqualTo(t.rows().get(i).subList(0, 9));
        }
    }
    /** {@link ImportCommandTest.TinyNet} with its first layer frozen (fixed random features); only fc2 trains. */
    public static class FrozenFirstLayerNet extends ImportCommandTest.TinyNet {
        public FrozenFirstLayerNet(int channels, int imageSize, int classes, long seed) {
            super(channels, imageSize, classes, seed);
            namedParameters().forEach((n, t) -> {
                if (n.startsWith("fc1.")) t.requiresGrad(false);
            });
        }
    }

    @Test
    void frozenWeightsArePrunedGloballyWithTheOthersAndStayAtZero() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 40, 6, 2);
        Path run = tmp.resolve("frozen");
        assertThat(engram("train", "--run", run.toString(), "--dataset", "npy:" + data, "--model",
                "class:" + FrozenFirstLayerNet.class.getName(), "--epochs", "2", "--batch-size", "8", "--noise", "0.2",
                "--lr", "0.05", "--threads", "1")).as(err.toString()).isZero();
        assertThat(engram("sparse-double-descent", "--run", run.toString(), "--sparsities", "0.5,0.8", "--retrain-epochs", "1",
                "--threads", "1")).as(err.toString()).isZero();
        CsvTable t = CsvTable.read(run.resolve("analyses").resolve("sparse-double-descent").resolve("levels.csv"));
        long total = 6 * 16 + 16 * 2; // fc1.weight (frozen) and fc2.weight
        assertThat(t.rows()).extracting(r -> Long.parseLong(r.get(3)))
                .containsExactly(total, total - Math.round(0.5 * total), total - Math.round(0.8 * total));
    }
}
