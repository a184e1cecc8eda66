package dev.engram.memorization.cli;

import dev.engram.memorization.sweep.Piece;
import dev.engram.memorization.sweep.RunComparison;
import dev.engram.memorization.sweep.SlurmExecutor;
import dev.engram.memorization.sweep.Sweep;
import dev.engram.memorization.sweep.SweepRun;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A sweep on a real Slurm: the 2-noise x 2-seed sweep of tiny runs is submitted with {@code --executor slurm} as one
 * job array, waited for through {@code engram sweep status}, and must give every run folder complete, the same
 * aggregate table and run folders identical to {@code --executor local}; a one-run sweep whose flipping is cut into two
 * shards goes out as a run array, two shard arrays and a merge array wired with {@code aftercorr}, and must give the
 * flipping files of the unsharded analysis. Skips itself when {@code sbatch} is not
 * installed; when Slurm is installed but no cluster answers, starts the single-node cluster of
 * {@code src/test/slurm/start-cluster.sh} (root only) and stops it afterwards.
 */
class SlurmSweepIntegrationTest extends CliTestBase {
    private static final Path SCRIPTS = Path.of("src", "test", "slurm");
    private static boolean startedCluster;

    @TempDir
    Path tmp;

    private static String[] exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new String[] {Integer.toString(p.waitFor()), o};
    }

    private static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) return true;
        }
        return false;
    }

    @BeforeAll
    static void cluster() throws Exception {
        Assumptions.assumeTrue(onPath("sbatch"), "sbatch not found: Slurm is not installed (apt-get install slurm-wlm"
                + " munge), skipping the Slurm sweep test");
        if (exec("sinfo", "-h")[0].equals("0")) return; // a cluster answers
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "no Slurm cluster answers and starting"
                + " one needs root; skipping the Slurm sweep test");
        String[] r = exec("bash", SCRIPTS.resolve("start-cluster.sh").toString());
        if (!r[0].equals("0")) fail("could not start the single-node Slurm cluster:\n" + r[1]);
        startedCluster = true;
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (startedCluster) exec("bash", SCRIPTS.resolve("stop-cluster.sh").toString());
    }

    /**
     * Both sweeps are submitted before either is waited for, so that Slurm runs the tasks of one while the other's
     * wait for their dependencies.
     */
    @Test
    void slurmJobArraysMatchTheLocalExecutorAndShardsMergeToTheUnshardedResults() throws Exception {
        Path fan = SweepCommandTest.writeSweep(tmp, "fan", "[1]", SweepCommandTest.SHARDED_FLIP);
        Path plain = SweepCommandTest.writeSweep(tmp, "plain", "[1]", SweepCommandTest.PLAIN_FLIP);
        Path sweepFile = SweepCommandTest.writeSweep(tmp);
        Path slurm = tmp.resolve("on-slurm"), local = tmp.resolve("local"), dir = tmp.resolve("fan-on-slurm");
        assertThat(engram("sweep", sweepFile.toString(), "--dir", slurm.toString(), "--executor", "slurm", "--cpus", "1",
                "--time", "10", "--sbatch", "--job-name=engram-it")).as(out + "\n" + err).isZero();
        Matcher m = Pattern.compile("submitted job array (\\d+) \\(4 runs\\)").matcher(out.toString());
        assertThat(m.find()).as(out.toString()).isTrue();
        String script = Files.readString(slurm.resolve("slurm").resolve("sweep-1.sbatch"));
        assertThat(script).contains("#SBATCH --array=0-3").contains("#SBATCH --cpus-per-task=1")
                .contains("#SBATCH --time=10").contains("#SBATCH --job-name=engram-it").doesNotContain("--dependency")
                .contains("sweep run-task " + slurm.toAbsolutePath().normalize() + " --index $SLURM_ARRAY_TASK_ID");

        // the fanned-out sweep: a run array, an array per shard after it, a merge array after all of them
        assertThat(engram("sweep", fan.toString(), "--dir", dir.toString(), "--executor", "slurm", "--cpus", "1",
                "--time", "10")).as(out + "\n" + err).isZero();
        Matcher f = Pattern.compile("submitted job array (\\d+) \\(1 runs\\) from .*\n"
                + "submitted job array (\\d+) \\(shard-1 of 1 runs\\) after aftercorr:\\1 from .*\n"
                + "submitted job array (\\d+) \\(shard-2 of 1 runs\\) after aftercorr:\\1 from .*\n"
                + "submitted job array (\\d+) \\(merge of 1 runs\\) after aftercorr:\\1:\\2:\\3 from ").matcher(out.toString());
        assertThat(f.find()).as(out.toString()).isTrue();
        assertThat(out.toString()).contains(f.group(1) + " " + f.group(2) + " " + f.group(3) + " " + f.group(4) + "\n");
        assertThat(Files.readString(dir.resolve("slurm").resolve("sweep-4.merge.sbatch")))
                .contains("#SBATCH --dependency=aftercorr:" + f.group(1) + ":" + f.group(2) + ":" + f.group(3) + "\n")
                .contains("--index $SLURM_ARRAY_TASK_ID --stage merge");
        assertThat(Files.readString(dir.resolve(SlurmExecutor.JOBS))).contains("\"stage\": \"shard-2\"");

        String status = waitFor(slurm, "{done=4}");
        assertThat(status).as("status after the job array:\n" + status).contains("{done=4}").doesNotContain("failed");
        assertThat(status).contains("(slurm " + m.group(1) + "_");
        assertThat(engram("sweep", slurm.toString(), "--executor", "slurm")).isZero();
        assertThat(out.toString()).as("a finished sweep submits nothing").contains("nothing to run");
        String fanStatus = waitFor(dir, "{done=1}");
        assertThat(fanStatus).as("status after the job arrays:\n" + fanStatus).contains("{done=1}")
                .doesNotContain("failed").contains("(slurm " + f.group(1) + "_0)");

        assertThat(engram("sweep", sweepFile.toString(), "--dir", local.toString())).as(out + "\n" + err).isZero();
        Sweep a = Sweep.open(slurm), b = Sweep.open(local);
        List<String> diffs = new ArrayList<>();
        for (SweepRun r : a.runs()) diffs.addAll(RunComparison.differences(a.runDir(r), b.runDir(b.run(r.name()).orElseThrow())));
        assertThat(diffs).as("Slurm vs local run folders").isEmpty();

        assertThat(engram("sweep", "report", slurm.toString())).as(err.toString()).isZero();
        assertThat(engram("sweep", "report", local.toString())).as(err.toString()).isZero();
        Path table = Path.of("report", "summary.csv");
        assertThat(Files.readString(slurm.resolve(table))).isEqualTo(Files.readString(local.resolve(table)));
        assertThat(Files.readAllLines(slurm.resolve(table))).hasSize(3); // header + two noise rates

        Sweep fanned = Sweep.open(dir);
        Path analyses = fanned.runDir(fanned.run(0)).resolve("analyses");
        assertThat(Files.readString(fanned.stateFile(fanned.run(0), new Piece(0, "shard-2")))).contains(f.group(3) + "_0");
        assertThat(Files.readString(fanned.stateFile(fanned.run(0), new Piece(0, Piece.MERGE)))).contains(f.group(4) + "_0");
        assertThat(engram("sweep", plain.toString())).as(out + "\n" + err).isZero();
        Sweep p = Sweep.open(tmp.resolve("plain"));
        Path unsharded = p.runDir(p.run(0)).resolve("analyses");
        assertThat(RunComparison.differences(analyses.resolve("flipping"), unsharded.resolve("flipping")))
                .as("Slurm shards merged vs unsharded flipping").isEmpty();
        assertThat(RunComparison.differences(analyses.resolve("training"), unsharded.resolve("training"))).isEmpty();
    }

    /** Polls {@code engram sweep status DIR} until {@code until} or a failure shows, at most 150 s; the last status. */
    private String waitFor(Path dir, String until) throws Exception {
        long deadline = System.nanoTime() + 150_000_000_000L;
        String status = "";
        while (System.nanoTime() < deadline) {
            assertThat(engram("sweep", "status", dir.toString())).as(err.toString()).isZero();
            status = out.toString();
            if (status.contains(until) || status.contains("failed")) break;
            Thread.sleep(2000);
        }
        return status;
    }
}
