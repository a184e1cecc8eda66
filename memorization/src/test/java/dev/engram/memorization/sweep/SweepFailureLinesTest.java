package dev.engram.memorization.sweep;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A failed task is reported by why it failed (the command's error lines, Slurm's), not by the end of its output,
 * which after a usage error is the command's usage help; analysis options are checked when the sweep is planned.
 */
class SweepFailureLinesTest {
    @TempDir
    Path tmp;

    /** What picocli prints on standard error for an unknown option: the message, a suggestion, the usage help. */
    static final String USAGE_ERROR = """
            Unknown option: '--bogus'
            Possible solutions: --base
            Usage: engram flip [-hV] [--offline] --run=DIR [--noisy=N]
            Greedy neuron flipping.
                  --noisy=N     Noisy targets (default: 100).
                  --run=DIR     Run folder (made by `engram train`).
            """;

    private Sweep sweep(String yaml) throws IOException {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, yaml);
        Sweep s = Sweep.plan(SweepSpec.read(f), tmp.resolve("d"), SweepPlanTest.COMMANDS);
        s.write();
        return s;
    }

    /** The commands of {@link SweepPlanTest#COMMANDS} whose every step fails, printing {@code stderr}. */
    private static Commands failing(String stderr, int code) {
        return new Commands() {
            @Override
            public int run(List<String> args, PrintWriter out, PrintWriter err) {
                out.println("epoch 1/2 loss 2.3");
                err.print(stderr);
                return code;
            }

            @Override
            public Optional<String> resultFolder(List<String> args) {
                return SweepPlanTest.COMMANDS.resultFolder(args);
            }

            @Override
            public boolean shardable(String name) {
                return SweepPlanTest.COMMANDS.shardable(name);
            }

            @Override
            public void check(List<String> args) {
                SweepPlanTest.COMMANDS.check(args);
            }
        };
    }

    @Test
    void aFailedStepIsReportedByItsErrorLinesNotTheUsageHelp() throws IOException {
        Sweep s = sweep("name: f\npreset: demo\n");
        SweepRun r = s.run(0);
        StringWriter console = new StringWriter();
        assertThat(SweepTask.run(s, new Piece(0, Piece.RUN), 0, failing(USAGE_ERROR, 2), new PrintWriter(console, true)))
                .isEqualTo(2);
        assertThat(console.toString()).contains("failed (exit code 2): Unknown option: '--bogus'; Possible solutions: --base;"
                + " log ").doesNotContain("Run folder");
        assertThat(TaskState.read(s.stateFile(r)).orElseThrow().message()).as("the step's standard error")
                .isEqualTo(USAGE_ERROR.strip());
        SweepStatus.Line line = SweepStatus.of(s, SweepPlanTest.COMMANDS, Map.of(), false, 5).get(0);
        assertThat(line.state()).isEqualTo(SweepStatus.State.FAILED);
        assertThat(line.log()).containsExactly("Unknown option: '--bogus'", "Possible solutions: --base");

        // the next attempt fails otherwise: the status gives its error, not the earlier one
        SweepTask.run(s, new Piece(0, Piece.RUN), 0, failing("engram train: error: no data in /x\n(run with --stacktrace"
                + " for details)\n", 1), new PrintWriter(new StringWriter(), true));
        assertThat(SweepStatus.of(s, SweepPlanTest.COMMANDS, Map.of(), false, 5).get(0).log())
                .containsExactly("engram train: error: no data in /x");
    }

    @Test
    void slurmTasksShowTheStepsErrorAndSlurmsOwn() throws IOException {
        Sweep s = sweep("name: sl\npreset: demo\naxes: {seed: [1, 2]}\n");
        SweepRun r0 = s.run(0), r1 = s.run(1);
        Files.createDirectories(s.logFile(r0).getParent());
        // run 0: its flip step refused an option (the log has the command's output, then its standard error)
        new TaskState(TaskState.FAILED, "node7", 1, "41_0", "t0", "t1", "flip --run x --noisy abc", 2,
                "").write(s.stateFile(r0));
        Files.writeString(s.logFile(r0), "== t0 task 0/run (seed=1) on node7, Slurm 41_0\n$ engram flip --run x --noisy abc\n"
                + "Invalid value for option '--noisy': 'abc' is not an int\n" + USAGE_ERROR.substring(USAGE_ERROR.indexOf("Usage"))
                + "== failed with exit code 2\n");
        // run 1: killed by Slurm at its time limit while training
        new TaskState(TaskState.RUNNING, "node8", 1, "41_1", "t0", "", "train --run y", 0, "").write(s.stateFile(r1));
        Files.writeString(s.logFile(r1), "== t0 task 1/run (seed=2) on node8, Slurm 41_1\n$ engram train --run y\nepoch 1/40\nepoch 2/40\n");
        Files.writeString(s.dir().resolve("logs").resolve("slurm-41_1.out"), "seed=2: engram train --run y\n"
                + "slurmstepd: error: *** JOB 41 ON node8 CANCELLED AT 2024-05-01T10:00:00 DUE TO TIME LIMIT ***\n");
        Map<Piece, SlurmExecutor.SlurmTask> slurm = Map.of(new Piece(0, Piece.RUN), new SlurmExecutor.SlurmTask("41", "FAILED", ""),
                new Piece(1, Piece.RUN), new SlurmExecutor.SlurmTask("41", "TIMEOUT", ""));
        List<SweepStatus.Line> lines = SweepStatus.of(s, SweepPlanTest.COMMANDS, slurm, true, 5);
        assertThat(lines.get(0).state()).isEqualTo(SweepStatus.State.FAILED);
        assertThat(lines.get(0).log()).containsExactly("Invalid value for option '--noisy': 'abc' is not an int");
        assertThat(lines.get(1).state()).isEqualTo(SweepStatus.State.FAILED);
        assertThat(lines.get(1).log()).containsExactly(
                "slurmstepd: error: *** JOB 41 ON node8 CANCELLED AT 2024-05-01T10:00:00 DUE TO TIME LIMIT ***");
    }

    @Test
    void analysisOptionsAreCheckedForEveryRunWhenTheSweepIsPlanned() throws IOException {
        assertThatThrownBy(() -> sweep("name: a\npreset: demo\nanalyses: [flip --noisy abc]\n"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class)
                .hasMessageContaining("analysis 'flip --noisy abc'")
                .hasMessageContaining("Invalid value for option '--noisy': 'abc' is not an int");
        assertThatThrownBy(() -> sweep("name: b\npreset: demo\naxes: {flip.noisy: [3, x]}\nanalyses: [flip --clean 2]\n"))
                .isInstanceOf(Sweep.InvalidAnalysisException.class)
                .hasMessageContaining("analysis 'flip --clean 2 --noisy x' (run flip.noisy=x)")
                .hasMessageContaining("'x' is not an int");
        assertThat(tmp.resolve("d")).as("nothing planned is written").doesNotExist();
        assertThat(sweep("name: c\npreset: demo\naxes: {flip.noisy: [3, 4]}\nanalyses: [flip --clean 2]\n").runs()).hasSize(2);
    }
}
