package dev.engram.memorization.cli;

import dev.engram.memorization.run.RunFolder;
import dev.engram.memorization.sweep.RunComparison;
import dev.engram.memorization.sweep.Sweep;
import dev.engram.memorization.sweep.SweepRun;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code engram sweep} with the local executor on tiny runs: a 2-noise x 2-seed sweep with an analysis per run,
 * its dry run, resuming after half of it was lost, determinism of the run folders between the sequential and the
 * parallel executor, status, and the aggregate report.
 */
class SweepCommandTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter(), err = new StringWriter();
    private Path sweepFile;

    private int engram(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** A sweep file of tiny MLP runs on generated arrays: noise 0.1 / 0.2 x seeds 1 / 2, flipping per run. */
    static Path writeSweep(Path dir) throws IOException {
        OwnDatasetCliTest.npyFolder(dir.resolve("arrays"), 40, 6, 3);
        Path f = dir.resolve("noise.yaml");
        Files.writeString(f, """
                preset: demo
                base:
                  dataset: npy:arrays
                  model: mlp
                  epochs: 2
                  batchSize: 8
                  trainSubset: 0
                  threads: 1
                axes:
                  noiseFraction: [0.1, 0.2]
                seeds: [1, 2]
                analyses:
                  - flip --noisy 2 --clean 2 --max-units 3 --reference 8 --eval-examples 8 --copies 2
                offline: true
                """);
        return f;
    }

    @BeforeEach
    void sweepFile() throws IOException {
        sweepFile = writeSweep(tmp);
    }

    @Test
    void dryRunListsTheRunsAndAnEstimateAndWritesNothing() {
        assertThat(engram("sweep", sweepFile.toString(), "--dry-run")).as(err.toString()).isZero();
        assertThat(out.toString()).contains("4 runs, 4 to run")
                .contains("noiseFraction=0.1_seed=1").contains("noiseFraction=0.2_seed=2")
                .contains("estimated training time of the 4 runs to do").contains("timed steps");
        assertThat(tmp.resolve("noise")).doesNotExist();
    }

    @Test
    void localSweepResumesWithoutRedoingFinishedRunsAndIsDeterministic() throws IOException {
        assertThat(engram("sweep", sweepFile.toString())).as(out + "\n" + err).isZero();
        Path dir = tmp.resolve("noise");
        Sweep sweep = Sweep.open(dir);
        assertThat(sweep.runs()).extracting(SweepRun::name).containsExactly("noiseFraction=0.1_seed=1",
                "noiseFraction=0.1_seed=2", "noiseFraction=0.2_seed=1", "noiseFraction=0.2_seed=2");
        for (SweepRun r : sweep.runs()) {
            RunFolder f = RunFolder.open(sweep.runDir(r));
            assertThat(f.config().noiseFraction()).isEqualTo(((Number) r.axes().get("noiseFraction")).doubleValue());
            assertThat(f.config().seed()).isEqualTo(((Number) r.axes().get("seed")).longValue());
            assertThat(f.hasResults("flipping")).as(r.name()).isTrue();
        }
        assertThat(engram("sweep", "status", dir.toString())).isZero();
        assertThat(out.toString()).contains("{done=4}");

        // half of the sweep lost: one run folder gone, one run's analysis gone
        SweepRun lost = sweep.run(3), partial = sweep.run(2), kept = sweep.run(0);
        RunFolder.deleteTree(sweep.runDir(lost));
        RunFolder.deleteTree(sweep.runDir(partial).resolve("analyses").resolve("flipping"));
        Path keptCheckpoint = RunFolder.open(sweep.runDir(kept)).checkpointPath(2);
        FileTime before = Files.getLastModifiedTime(keptCheckpoint);
        assertThat(engram("sweep", sweepFile.toString(), "--dry-run")).isZero();
        assertThat(out.toString()).contains("4 runs, 2 to run");
        assertThat(engram("sweep", sweepFile.toString())).as(out + "\n" + err).isZero();
        String log = out.toString();
        assertThat(log).contains("running 2 of 4 runs").contains(lost.name() + ": engram train")
                .contains(partial.name() + ": engram flip").doesNotContain(partial.name() + ": engram train")
                .doesNotContain(kept.name() + ":");
        assertThat(Files.getLastModifiedTime(keptCheckpoint)).isEqualTo(before);
        assertThat(engram("sweep", sweepFile.toString())).isZero();
        assertThat(out.toString()).contains("nothing to run");

        // seed 1 of the same sweep, two runs at a time, each in its own process: identical run folders
        Path seed1 = tmp.resolve("seed1.yaml");
        Files.writeString(seed1, "name: noise\n" + Files.readString(sweepFile).replace("seeds: [1, 2]", "seeds: [1]"));
        Path par = tmp.resolve("parallel");
        assertThat(engram("sweep", seed1.toString(), "--dir", par.toString(), "--parallel", "2",
                "--threads-per-run", "1")).as(out + "\n" + err).isZero();
        Sweep ps = Sweep.open(par);
        assertThat(ps.runs()).hasSize(2);
        List<String> diffs = new ArrayList<>();
        for (SweepRun r : ps.runs()) diffs.addAll(RunComparison.differences(sweep.runDir(sweep.run(r.name()).orElseThrow()), ps.runDir(r)));
        assertThat(diffs).as("sequential vs parallel run folders").isEmpty();
        assertThat(RunComparison.differences(sweep.runDir(sweep.run(0)), sweep.runDir(sweep.run(1))))
                .as("the comparison sees different seeds").isNotEmpty();
    }

    @Test
    void failedRunsAreReportedWithTheirLogAndRerunAlone() throws IOException {
        Path dir = tmp.resolve("noise");
        Path x = tmp.resolve("arrays").resolve("x.npy"), away = tmp.resolve("x.npy.away");
        Files.move(x, away); // every training fails: its data is gone
        Path one = tmp.resolve("one.yaml");
        Files.writeString(one, "name: noise\n" + Files.readString(sweepFile).replace("seeds: [1, 2]", "seeds: [1]"));
        assertThat(engram("sweep", one.toString())).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(out.toString()).contains("2 runs failed [0, 1]").contains("--only-failed");
        assertThat(engram("sweep", "status", dir.toString(), "--log-lines", "3")).isZero();
        assertThat(out.toString()).contains("failed").contains("exit code 1 in `engram train --run")
                .contains("| ").contains("x.npy").contains("{failed=2}");
        Files.move(away, x);
        assertThat(engram("sweep", dir.toString(), "--only-failed")).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("running 2 of 2 runs");
        assertThat(engram("sweep", "status", dir.toString())).isZero();
        assertThat(out.toString()).contains("{done=2}");
    }

    /** The sweep file of {@link #writeSweep} with noise 0.2 only, seeds {@code seeds} and flipping as {@code analysis}. */
    static Path writeSweep(Path dir, String name, String seeds, String analysis) throws IOException {
        Path base = writeSweep(dir);
        Path f = dir.resolve(name + ".yaml");
        Files.writeString(f, "name: " + name + "\n" + Files.readString(base).replace("noiseFraction: [0.1, 0.2]", "noiseFraction: [0.2]")
                .replace("seeds: [1, 2]", "seeds: " + seeds)
                .replace("  - flip --noisy 2 --clean 2 --max-units 3 --reference 8 --eval-examples 8 --copies 2", analysis));
        return f;
    }

    /** Flipping of {@link #writeSweep} cut into two shards. */
    static final String SHARDED_FLIP = "  - {name: flip, args: \"--noisy 2 --clean 2 --max-units 3 --reference 8"
            + " --eval-examples 8 --copies 2 --targets-per-batch 1\", shards: 2}";
    /** The same flipping unsharded. */
    static final String PLAIN_FLIP = "  - flip --noisy 2 --clean 2 --max-units 3 --reference 8 --eval-examples 8 --copies 2"
            + " --targets-per-batch 1";

    @Test
    void aFannedOutSweepGivesTheUnshardedResultsAndResumesPieceByPiece() throws IOException {
        Path fan = writeSweep(tmp, "fan", "[1]", SHARDED_FLIP), plain = writeSweep(tmp, "plain", "[1]", PLAIN_FLIP);
        assertThat(engram("sweep", fan.toString())).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("running 1 of 1 runs (4 tasks)").contains("[1/4] task 0\n")
                .contains("[2/4] task 0/shard-1").contains("[4/4] task 0/merge").contains("seed=1.shard-2: engram flip --run");
        assertThat(engram("sweep", plain.toString())).as(out + "\n" + err).isZero();
        Sweep a = Sweep.open(tmp.resolve("fan")), b = Sweep.open(tmp.resolve("plain"));
        Path analyses = a.runDir(a.run(0)).resolve("analyses"), unsharded = b.runDir(b.run(0)).resolve("analyses");
        assertThat(analyses.resolve("flipping.shard-2-of-2").resolve("part.json")).isRegularFile();
        assertThat(RunComparison.differences(analyses.resolve("flipping"), unsharded.resolve("flipping")))
                .as("fanned-out vs unsharded flipping").isEmpty();
        assertThat(RunComparison.differences(analyses.resolve("training"), unsharded.resolve("training"))).isEmpty();
        assertThat(engram("sweep", "status", a.dir().toString())).isZero();
        assertThat(out.toString()).contains("shards 2 done; merge done").contains("{done=1}");

        // merged results make the shards unnecessary
        Path shard1 = analyses.resolve("flipping.shard-1-of-2"), shard2 = analyses.resolve("flipping.shard-2-of-2");
        Path copy = tmp.resolve("shard-1-part.json");
        Files.copy(shard1.resolve("part.json"), copy);
        RunFolder.deleteTree(shard1);
        RunFolder.deleteTree(shard2);
        assertThat(engram("sweep", fan.toString())).isZero();
        assertThat(out.toString()).contains("nothing to run");

        // resuming: shard 1 is there, shard 2 and the merged results are not
        Files.createDirectories(shard1);
        Files.copy(copy, shard1.resolve("part.json"));
        RunFolder.deleteTree(analyses.resolve("flipping"));
        assertThat(engram("sweep", "status", a.dir().toString())).isZero();
        assertThat(out.toString()).contains("shards 1 done, 1 pending; merge pending").contains("{pending=1}");
        assertThat(engram("sweep", fan.toString())).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("running 1 of 1 runs (2 tasks)").contains("--shard 2/2")
                .doesNotContain("--shard 1/2").doesNotContain("engram train");
        assertThat(RunComparison.differences(analyses.resolve("flipping"), unsharded.resolve("flipping"))).isEmpty();

        // shards that fail (their folders' places are taken) are reported with their error; the merge is not run
        RunFolder.deleteTree(analyses.resolve("flipping"));
        for (Path p : List.of(shard1, shard2)) {
            RunFolder.deleteTree(p);
            Files.writeString(p, "in the way");
        }
        assertThat(engram("sweep", fan.toString())).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(out.toString()).contains("1 runs failed [0] (failed tasks [0/shard-1, 0/shard-2], not run [0/merge])");
        assertThat(engram("sweep", "status", a.dir().toString(), "--log-lines", "2")).isZero();
        assertThat(out.toString()).contains("shards 2 failed; merge pending")
                .containsPattern("shard-1 +failed +exit code 1 in `engram flip --run")
                .contains("| engram flip: error: ").doesNotContain("| == failed").contains("{failed=1}");

        // --only-failed: the two shards, in parallel, each in its own process, then the merge
        Files.delete(shard1);
        Files.delete(shard2);
        assertThat(engram("sweep", a.dir().toString(), "--only-failed", "--parallel", "2", "--threads-per-run", "1"))
                .as(out + "\n" + err).isZero();
        String log = out.toString();
        assertThat(log).contains("running 1 of 1 runs (3 tasks)").contains("seed=1.shard-1: started")
                .contains("seed=1.shard-2: started").contains("seed=1.merge: done").doesNotContain("seed=1: started");
        assertThat(log.indexOf("seed=1.shard-2: started")).as("both shards at once")
                .isLessThan(log.indexOf("seed=1.shard-1: done"));
        assertThat(log.indexOf("seed=1.merge: started")).as("the merge after both shards")
                .isGreaterThan(log.indexOf("seed=1.shard-1: done")).isGreaterThan(log.indexOf("seed=1.shard-2: done"));
        assertThat(RunComparison.differences(analyses.resolve("flipping"), unsharded.resolve("flipping")))
                .as("parallel shard tasks vs unsharded").isEmpty();
    }

    @Test
    void analysisOptionsAreCheckedByTheirCommandsBeforeAnythingRuns() throws IOException {
        Path f = writeSweep(tmp, "bad", "[1]", "  - flip --noisy abc");
        for (List<String> args : List.of(List.of("sweep", f.toString(), "--dry-run"), List.of("sweep", f.toString()))) {
            assertThat(engram(args.toArray(String[]::new))).as(args + "\n" + out + err).isEqualTo(EngramCli.EXIT_USAGE);
            assertThat(err.toString()).contains(f.toString()).contains("analysis 'flip --noisy abc'")
                    .contains("Invalid value for option '--noisy': 'abc' is not an int");
            assertThat(out.toString()).doesNotContain("running");
            assertThat(tmp.resolve("bad")).as("nothing is planned or trained").doesNotExist();
        }
        Files.writeString(f, Files.readString(f).replace("--noisy abc", "--nosy 3"));
        assertThat(engram("sweep", f.toString(), "--dry-run")).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("Unknown options: '--nosy', '3'");
        // an axis of analysis options: each run's command line is checked
        Files.writeString(f, Files.readString(f).replace("  - flip --nosy 3", "  - flip --clean 2")
                .replace("  noiseFraction: [0.2]", "  noiseFraction: [0.2]\n  flip.noisy: [2, lots]"));
        assertThat(engram("sweep", f.toString(), "--dry-run")).as(out + "\n" + err).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains("analysis 'flip --clean 2 --noisy lots' (run ")
                .contains("Invalid value for option '--noisy': 'lots' is not an int");
    }

    @Test
    void anOptionRefusedWhenTheRunTaskRunsIsShownByItsErrorLineInTheStatus() throws IOException {
        Path f = writeSweep(tmp, "late", "[1]", PLAIN_FLIP);
        Path dir = tmp.resolve("late");
        Sweep.plan(dev.engram.memorization.sweep.SweepSpec.read(f), dir, new CliCommands()).write();
        // a manifest planned by a version that did not check the options (or edited by hand)
        Path manifest = dir.resolve(Sweep.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("\"--noisy\",\\s*\"2\"", "\"--noisy\", \"abc\""));
        assertThat(engram("sweep", "run-task", dir.toString(), "--index", "0")).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(out.toString()).contains("failed (exit code 2): Invalid value for option '--noisy': 'abc' is not an int; log");
        assertThat(engram("sweep", "status", dir.toString())).isZero();
        List<String> shown = out.toString().lines().filter(l -> l.strip().startsWith("|")).toList();
        assertThat(shown).as(out.toString()).containsExactly("        | Invalid value for option '--noisy': 'abc' is not an int");
        // resuming the folder checks its manifest first
        assertThat(engram("sweep", dir.toString())).isEqualTo(EngramCli.EXIT_USAGE);
        assertThat(err.toString()).contains(manifest.toString()).contains("'abc' is not an int");
    }

    /**
     * run-task's --index and --stage are checked as usage errors, and errors of the sweep subcommands name them in
     * full (they read "engram run-task: error", and "engram report: error", the name of another command).
     */
    @Test
    void runTaskChecksItsIndexAndStageAndSubcommandErrorsCarryTheirFullName() throws IOException {
        Path dir = tmp.resolve("noise");
        Sweep.plan(dev.engram.memorization.sweep.SweepSpec.read(sweepFile), dir, new CliCommands()).write();
        String[][] cases = {
                {"--index", "4", "engram sweep run-task: error: --index 4: sweep " + dir + " has runs 0..3"},
                {"--index", "-1", "engram sweep run-task: error: --index -1"},
                {"--stage", "bogus", "engram sweep run-task: error: --stage: stage 'bogus' is not run"},
                {"--stage", "shard-2", "engram sweep run-task: error: --stage 'shard-2': run 0 ("}};
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("sweep", "run-task", dir.toString(), "--index", "0"));
            if (c[0].equals("--index")) args.set(4, c[1]);
            else args.addAll(List.of(c[0], c[1]));
            assertThat(engram(args.toArray(String[]::new))).as(args + "\n" + err).isEqualTo(EngramCli.EXIT_USAGE);
            assertThat(err.toString()).startsWith(c[2]).contains("(see `engram sweep run-task --help`)");
            assertThat(dir.resolve("runs")).as("nothing ran").doesNotExist();
        }
        assertThat(engram("sweep", "status", tmp.resolve("none").toString())).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).startsWith("engram sweep status: error: no sweep in");
        assertThat(engram("sweep", "report", tmp.resolve("none").toString())).isEqualTo(EngramCli.EXIT_FAILURE);
        assertThat(err.toString()).startsWith("engram sweep report: error: no sweep in");
    }

    /** A bad option of `engram sweep` itself is a usage error found before the sweep folder is written. */
    @Test
    void badExecutorOptionsAreUsageErrorsBeforeAnythingIsWritten() {
        String[][] cases = {
                {"--executor", "slrum", "unknown --executor 'slrum'"},
                {"--parallel", "0", "--parallel must be >= 1, got 0"},
                {"--threads-per-run", "-1", "--threads-per-run must be >= 0"},
                {"--max-parallel", "-1", "--max-parallel must be >= 0"},
                {"--cpus", "-3", "--cpus must be >= 0"},
                {"--gpus", "-1", "--gpus must be >= 0"},
                {"--time", "tomorrow", "--time 'tomorrow' is not a Slurm time limit"},
                {"--mem", "16 G", "--mem '16 G' contains white space"}};
        for (String[] c : cases) {
            assertThat(engram("sweep", sweepFile.toString(), c[0], c[1])).as(c[0] + " " + c[1] + "\n" + out + err)
                    .isEqualTo(EngramCli.EXIT_USAGE);
            assertThat(err.toString()).contains(c[2]);
            assertThat(out.toString()).doesNotContain("running");
            assertThat(tmp.resolve("noise")).as(c[0] + ": nothing planned, written or run").doesNotExist();
        }
    }

    @Test
    void badSweepFilesAreNamed() throws IOException {
        Path f = tmp.resolve("bad.yaml");
        // each a usage error (exit code 2, as a bad `train --config` file) whose message names the file
        String[][] cases = {
                {"axes:\n  noise: [0.1]\n", "unknown config key 'noise'"},
                {"axes:\n  noiseFraction: [0.1, abc]\n", "'noiseFraction' is \"abc\", expected a number"},
                {"axes:\n  noiseFraction: []\n", "sweep axis noiseFraction has no values"},
                {"axes:\n  noiseFraction: [0.1, 0.10]\n", "two runs are named noiseFraction=0.1"},
                {"axes:\n  etd.grid: [\"0.2:0.1\"]\n", "does not list"},
                {"analyses: [train]\n", "'train' in 'analyses' is not an analysis command"},
                {"seed: [1]\n", "unknown sweep key 'seed'"}};
        for (String[] c : cases) {
            Files.writeString(f, c[0]);
            assertThat(engram("sweep", f.toString(), "--dry-run")).as(c[0] + err).isEqualTo(EngramCli.EXIT_USAGE);
            assertThat(err.toString()).as(c[0]).contains("engram sweep: error: " + f + ": ").contains(c[1]);
        }
        assertThat(tmp.resolve("bad")).as("nothing is planned").doesNotExist();
    }
}
