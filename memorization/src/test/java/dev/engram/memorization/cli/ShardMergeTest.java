package dev.engram.memorization.cli;

import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.sweep.RunComparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --shard i/n} and {@code engram merge}: the shards of {@code flip} and {@code checkpoint-scores} write separate
 * folders, and their merge gives files identical to an unsharded run's (bit for bit on the CPU, wall times aside);
 * missing shards, shards with other options and existing results are refused with a clear message.
 */
class ShardMergeTest extends CliTestBase {
    @TempDir
    Path tmp;

    private String[] with(String[] base, String... more) {
        List<String> a = new ArrayList<>(List.of(base));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void mergedShardsEqualTheUnshardedRun() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 60, 6, 3);
        Path run = tmp.resolve("run");
        assertThat(engram("train", "--run", run.toString(), "--dataset", "npy:" + data, "--model", "mlp", "--epochs", "3",
                "--batch-size", "8", "--noise", "0.2", "--lr", "0.05", "--threads", "1")).as(err.toString()).isZero();
        String r = run.toString();
        String[] flip = {"flip", "--run", r, "--noisy", "4", "--clean", "3", "--max-units", "3", "--reference", "8",
            "--eval-examples", "8", "--copies", "2", "--targets-per-batch", "2", "--threads", "1"};
        String[] scores = {"checkpoint-scores", "--run", r, "--batch-size", "8", "--threads", "1"};
        check(run, flip, "flipping", "flip");
        check(run, scores, "checkpoint-scores", "checkpoint-scores");
    }

    private void check(Path run, String[] command, String folder, String name) throws IOException {
        String r = run.toString();
        assertThat(engram(command)).as(err.toString()).isZero();
        Path whole = tmp.resolve(folder + "-unsharded");
        copy(run.resolve("analyses").resolve(folder), whole);

        assertThat(engram("merge", "--run", r, "--analysis", name)).isNotZero();
        assertThat(err.toString()).contains("no shards of " + folder);
        assertThat(engram(with(command, "--shard", "1/3"))).as(err.toString()).isZero();
        assertThat(out.toString()).contains("analyses/" + folder + ".shard-1-of-3");
        assertThat(engram(with(command, "--shard", "1/3"))).as("a shard's part is not replaced silently").isNotZero();
        assertThat(err.toString()).contains("--force");
        assertThat(engram("merge", "--run", r, "--analysis", name)).isNotZero();
        assertThat(err.toString()).contains("shards [2, 3] of 3");
        assertThat(engram(with(command, "--shard", "3/3"))).as(err.toString()).isZero();
        assertThat(engram(with(command, "--shard", "2/3"))).as(err.toString()).isZero();
        assertThat(engram("merge", "--run", r, "--analysis", name)).as("results exist").isNotZero();
        assertThat(err.toString()).contains("--force");
        assertThat(engram("merge", "--run", r, "--analysis", name, "--force")).as(err.toString()).isZero();
        assertThat(RunComparison.differences(whole, run.resolve("analyses").resolve(folder)))
                .as(folder + ": merged shards vs the unsharded run").isEmpty();
        assertThat(RunFolder.open(run).hasResults(folder)).isTrue();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path d = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(d);
                else Files.copy(p, d, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }
}
