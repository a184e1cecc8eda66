package dev.engram.memorization.sweep;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The command lines a sweep task runs: the sweep's own --offline and --threads are added once, never twice. */
class SweepTaskStepsTest {
    @TempDir
    Path tmp;

    @Test
    void optionsAnAnalysisLineGivesItselfAreNotAddedAgain() throws IOException {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, "name: n\npreset: demo\noffline: true\naxes: {seed: [1]}\n"
                + "analyses: [flip --noisy 3 --threads=2 --offline, etd --epochs 1]\n");
        Sweep s = Sweep.plan(SweepSpec.read(f), tmp.resolve("d"), SweepPlanTest.COMMANDS);
        s.write();
        List<List<String>> steps = SweepTask.steps(s, new Piece(0, Piece.ALL), 1, SweepPlanTest.COMMANDS);
        List<String> flip = steps.stream().filter(l -> l.get(0).equals("flip")).findFirst().orElseThrow();
        assertThat(flip.stream().filter(w -> w.startsWith("--threads"))).containsExactly("--threads=2");
        assertThat(flip.stream().filter(w -> w.equals("--offline"))).hasSize(1);
        List<String> etd = steps.stream().filter(l -> l.get(0).equals("etd")).findFirst().orElseThrow();
        assertThat(etd).containsSubsequence("--offline", "--threads", "1");
        assertThat(steps.get(0)).as("training first").startsWith("train").contains("--offline");
    }
}
