package dev.engram.memorization.sweep;

import dev.engram.memorization.io.Results;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Sweep planning without training: axes (lists, ranges, zipped keys, analysis options), the manifest and its
 * extension, the Slurm batch script, status and resubmission choices from task states, and the aggregate report on
 * hand-written results.
 */
class SweepPlanTest {
    @TempDir
    Path tmp;

    /** The analyses a test sweep may list, with the folders they write. */
    static final Commands COMMANDS = new Commands() {
        @Override
        public int run(List<String> args, PrintWriter out, PrintWriter err) {
            throw new UnsupportedOperationException("planning runs nothing");
        }

        @Override
        public Optional<String> resultFolder(List<String> args) {
            int at = args.indexOf("--shard");
            String shard = at < 0 ? "" : ".shard-" + args.get(at + 1).replace("/", "-of-");
            return switch (args.get(0)) {
                case "flip" -> Optional.of("flipping" + shard);
                case "etd" -> Optional.of("etd");
                case "merge" -> resultFolder(List.of(args.get(args.indexOf("--analysis") + 1)));
                default -> Optional.empty();
            };
        }

        @Override
        public boolean shardable(String name) {
            return name.equals("flip");
        }

        /** Like flip's parser: --noisy takes an int. */
        @Override
        public void check(List<String> args) {
            int at = args.indexOf("--noisy");
            if (at >= 0 && !args.get(at + 1).matches("\\d+")) {
                throw new IllegalArgumentException("Invalid value for option '--noisy': '" + args.get(at + 1) + "' is not an int");
            }
        }
    };

    private Sweep plan(String yaml, Path dir) throws IOException {
        Path f = tmp.resolve("s.yaml");
        Files.writeString(f, yaml);
        return Sweep.plan(SweepSpec.read(f), dir, COMMANDS);
    }

    @Test
    void axesExpandToTheProductWithRangesZippedKeysAndAnalysisOptions() throws IOException {
        Sweep s = plan("""
                preset: demo
                axes:
                  noiseFraction: {from: 0.1, to: 0.3, step: 0.1}
                  peakLr/momentum: [[0.01, 0.9], [0.02, 0.5]]
                  etd.grid: ["0.2:0.1", "0.4:0.2"]
                seeds: [4, 5]
                analyses: [flip --noisy 3, etd --epochs 1]
                """, tmp.resolve("d"));
        assertThat(s.runs()).hasSize(3 * 2 * 2 * 2);
        SweepRun first = s.run(0), last = s.run(23);
        assertThat(first.name()).isEqualTo("noiseFraction=0.1_peakLr=0.01_momentum=0.9_etd.grid=0.2-0.1_seed=4");
        assertThat(last.config().noiseFraction()).isEqualTo(0.3); // decimal steps: 0.3, not 0.30000000000000004
        assertThat(last.config().peakLr()).isEqualTo(0.02);
        assertThat(last.config().momentum()).isEqualTo(0.5);
        assertThat(last.config().seed()).isEqualTo(5);
        assertThat(last.config().epochs()).as("from the demo preset").isEqualTo(40);
        assertThat(last.analyses()).containsExactly(List.of("flip", "--noisy", "3"),
                List.of("etd", "--epochs", "1", "--grid", "0.4:0.2"));
        s.write();
        assertThat(Sweep.open(tmp.resolve("d")).run(23).axes().keySet()).as("the manifest keeps the axes' order")
                .containsExactly("noiseFraction", "peakLr", "momentum", "etd.grid", "seed");
        assertThat(Axis.parse("k", Map.of("from", 0L, "to", 1L, "count", 5L)).points())
                .containsExactly(List.of(0.0), List.of(0.25), List.of(0.5), List.of(0.75), List.of(1.0));
        assertThat(Axis.parse("k", Map.of("from", 2L, "to", 8L, "step", 3L)).points())
                .containsExactly(List.of(2L), List.of(5L), List.of(8L));
        assertThatThrownBy(() -> Axis.parse("a/b", List.of(List.of(1L)))).hasMessageContaining("2 (one per key)");
        assertThatThrownBy(() -> Axis.parse("k", Map.of("from", 1L, "to", 2L))).hasMessageContaining("'step' and 'count'");
    }

    @Test
    void anExtendedSweepKeepsIndicesAndRefusesChangedConfigurations() throws IOException {
        Path dir = tmp.resolve("d");
        Sweep a = plan("name: n\npreset: demo\naxes:\n  noiseFraction: [0.1, 0.2]\n", dir);
        a.write();
        assertThat(Files.readString(a.configFile(a.run(1)))).contains("\"noiseFraction\": 0.2");
        Sweep b = plan("name: n\npreset: demo\naxes:\n  noiseFraction: [0.05, 0.1, 0.2]\n", dir);
        assertThat(b.runs()).extracting(SweepRun::name)
                .containsExactly("noiseFraction=0.1", "noiseFraction=0.2", "noiseFraction=0.05");
        assertThat(b.run(2).index()).isEqualTo(2);
        b.write();
        assertThat(Sweep.open(dir).runs()).extracting(SweepRun::config).isEqualTo(b.runs().stream().map(SweepRun::config).toList());
        assertThatThrownBy(() -> plan("name: n\npreset: demo\nbase: {epochs: 3}\naxes:\n  noiseFraction: [0.1]\n", dir))
                .hasMessageContaining("noiseFraction=0.1").hasMessageContaining("another configuration");
        assertThatThrownBy(() -> plan("name: other\npreset: demo\n", dir)).hasMessageContaining("holds sweep 'n'");
    }

    @Test
    void slurmScriptAsksForWhatTheSweepFileAndFlagsSay() throws IOException {
        Sweep s = plan("""
                name: grid
                preset: demo
                axes: {noiseFraction: [0.1, 0.2, 0.3, 0.4]}
                slurm: {partition: gpu, time: "01:30:00", mem: 8G, cpus: 4, gpus: 1, extra: ["--account=lab"],
                        preamble: ["module load java/17"]}
                """, tmp.resolve("d"));
        SlurmOptions o = s.slurm().overriddenBy(new SlurmOptions("", "", "", 2, 0, List.of("#SBATCH --qos=low"), List.of(),
                "", 3));
        String script = SlurmExecutor.script(s, List.of(0, 1, 3), o, Launcher.of("/shared/engram/engram"));
        assertThat(script).startsWith("#!/bin/bash\n").contains("#SBATCH --array=0-1,3%3\n")
                .contains("#SBATCH --partition=gpu\n").contains("#SBATCH --time=01:30:00\n").contains("#SBATCH --mem=8G\n")
                .contains("#SBATCH --cpus-per-task=2\n").contains("#SBATCH --gpus=1\n").contains("#SBATCH --account=lab\n")
                .contains("#SBATCH --qos=low\n").contains("module load java/17\n")
                .contains("exec /shared/engram/engram sweep run-task " + s.dir() + " --index $SLURM_ARRAY_TASK_ID --stage run"
                        + " --threads 2\n")
                .doesNotContain("--dependency");
        assertThat(script.indexOf("module load")).isGreaterThan(script.lastIndexOf("#SBATCH"));
        assertThat(SlurmExecutor.arraySpec(List.of(5, 0, 1, 2, 7, 8))).isEqualTo("0-2,5,7-8");
        assertThatThrownBy(() -> new SlurmOptions("", "tomorrow", "", 0, 0, null, null, "", 0)).hasMessageContaining("tomorrow");
    }

    @Test
    void badSlurmFieldsAreNamedByTheirSweepFileKey() {
        Object[][] cases = {
                {new Object[] {"a b", "", "", 0, 0, 0}, "partition", "slurm partition 'a b' contains white space"},
                {new Object[] {"", "", "16 G", 0, 0, 0}, "mem", "slurm mem '16 G' contains white space"},
                {new Object[] {"", "1:2:3:4", "", 0, 0, 0}, "time", "slurm time '1:2:3:4' is not a Slurm time limit"},
                {new Object[] {"", "", "", -2, 0, 0}, "cpus", "slurm cpus must be >= 0 (0 = the cluster's default), got -2"},
                {new Object[] {"", "", "", 0, -1, 0}, "gpus", "slurm gpus must be >= 0, got -1"},
                {new Object[] {"", "", "", 0, 0, -4}, "maxParallel", "slurm maxParallel must be >= 0 (0 = no limit), got -4"}};
        for (Object[] c : cases) {
            Object[] f = (Object[]) c[0];
            assertThatThrownBy(() -> new SlurmOptions((String) f[0], (String) f[1], (String) f[2], (int) f[3], (int) f[4],
                    null, null, "", (int) f[5]))
                    .isInstanceOfSatisfying(SlurmOptions.InvalidOption.class, e -> assertThat(e.key()).isEqualTo(c[1]))
                    .hasMessageStartingWith((String) c[2]);
        }
        assertThat(new SlurmOptions(" gpu ", "2-00:30", " 8G ", 0, 0, null, null, "", 0).partition()).isEqualTo("gpu");
    }

    @Test
    void statusNamesFailedRunsWithTheirLogAndOnlyFailedPicksThem() throws IOException {
        Sweep s = plan("name: st\npreset: demo\naxes: {seed: [1, 2, 3]}\n", tmp.resolve("d"));
        s.write();
        new TaskState(TaskState.FAILED, "node7", 1, "41_1", "t0", "t1", "train --run x", 1, "boom").write(s.stateFile(s.run(1)));
        Files.createDirectories(s.logFile(s.run(1)).getParent());
        Files.writeString(s.logFile(s.run(1)), "line 1\nline 2\nerror: out of memory\n");
        new TaskState(TaskState.RUNNING, "elsewhere", 1, "", "t0", "", "flip --run x", 0, "").write(s.stateFile(s.run(2)));
        List<SweepStatus.Line> lines = SweepStatus.of(s, COMMANDS, Map.of(new Piece(2, Piece.RUN), task("RUNNING")), true, 2);
        assertThat(lines.get(0).state()).isEqualTo(SweepStatus.State.PENDING);
        assertThat(lines.get(1).state()).isEqualTo(SweepStatus.State.FAILED);
        assertThat(lines.get(1).detail()).contains("exit code 1").contains("train --run x");
        assertThat(lines.get(1).log()).containsExactly("line 2", "error: out of memory");
        assertThat(lines.get(2).state()).isEqualTo(SweepStatus.State.RUNNING);
        assertThat(SweepStatus.toRun(lines, true)).containsExactly(new Piece(1, Piece.RUN));
        assertThat(SweepStatus.toRun(lines, false)).containsExactly(new Piece(0, Piece.RUN), new Piece(1, Piece.RUN));
        List<SweepStatus.Line> killed = SweepStatus.of(s, COMMANDS, Map.of(new Piece(2, Piece.RUN), task("TIMEOUT")), true, 0);
        assertThat(killed.get(2).state()).as("Slurm killed it").isEqualTo(SweepStatus.State.FAILED);
        new TaskState(TaskState.RUNNING, "elsewhere", 1, "41_2", "t0", "", "flip --run x", 0, "").write(s.stateFile(s.run(2)));
        assertThat(SweepStatus.of(s, COMMANDS, Map.of(), true, 0).get(2).state())
                .as("a Slurm task that Slurm no longer lists has ended").isEqualTo(SweepStatus.State.FAILED);
        assertThat(SweepStatus.of(s, COMMANDS, Map.of(), false, 0).get(2).state())
                .as("without a scheduler to ask, the state file is trusted").isEqualTo(SweepStatus.State.RUNNING);
    }

    @Test
    void shardedAnalysesBecomeShardStepsAndAMergeThatFanOutAsPieces() throws IOException {
        Path dir = tmp.resolve("d");
        Sweep s = plan("""
                name: fan
                preset: demo
                axes: {flip.clean: [1, 2]}
                analyses:
                  - etd --epochs 1
                  - {name: flip, args: "--noisy 3", shards: 3}
                """, dir);
        SweepRun r = s.run(1);
        List<String> shard2 = List.of("flip", "--noisy", "3", "--shard", "2/3", "--clean", "2");
        assertThat(r.analyses()).hasSize(5).contains(shard2).endsWith(List.of("merge", "--analysis", "flip"));
        assertThat(Piece.of(r)).containsExactly(new Piece(1, Piece.RUN), new Piece(1, "shard-1"), new Piece(1, "shard-2"),
                new Piece(1, "shard-3"), new Piece(1, Piece.MERGE));
        assertThat(new Piece(1, Piece.RUN).analyses(r)).containsExactly(List.of("etd", "--epochs", "1"));
        assertThat(new Piece(1, "shard-2").analyses(r)).containsExactly(shard2);
        assertThat(new Piece(1, Piece.MERGE).analyses(r)).containsExactly(List.of("merge", "--analysis", "flip"));
        assertThat(new Piece(1, Piece.ALL).analyses(r)).isEqualTo(r.analyses());
        assertThat(new Piece(1, "shard-2").after(new Piece(1, Piece.RUN))).isTrue();
        assertThat(new Piece(1, "shard-2").after(new Piece(0, Piece.RUN))).as("another run").isFalse();
        assertThat(new Piece(1, Piece.MERGE).after(new Piece(1, "shard-3"))).isTrue();
        assertThat(new Piece(1, "shard-2").after(new Piece(1, "shard-1"))).isFalse();
        assertThat(s.logFile(r, new Piece(1, "shard-2")).getFileName().toString()).isEqualTo(r.name() + ".shard-2.log");
        assertThat(s.stateFile(r, new Piece(1, Piece.RUN))).isEqualTo(s.stateFile(r));
        s.write();
        assertThat(Sweep.open(dir).run(1).analyses()).isEqualTo(r.analyses());
        Sweep unsharded = plan("name: one\npreset: demo\nanalyses: [{name: flip, args: [--noisy, 3]}]\n", tmp.resolve("e"));
        assertThat(unsharded.run(0).analyses()).containsExactly(List.of("flip", "--noisy", "3"));
        assertThat(Piece.of(unsharded.run(0))).containsExactly(new Piece(0, Piece.RUN));

        assertThatThrownBy(() -> plan("analyses: [{name: etd, shards: 2}]\n", tmp.resolve("x")))
                .hasMessageContaining("etd has no --shard");
        assertThatThrownBy(() -> plan("analyses: [{name: flip, shards: 0}]\n", tmp.resolve("x")))
                .hasMessageContaining("'shards' of analysis flip");
        assertThatThrownBy(() -> plan("analyses: [{name: flip, args: \"--shard 1/2\", shards: 2}]\n", tmp.resolve("x")))
                .hasMessageContaining("both 'shards' and --shard");
        assertThatThrownBy(() -> plan("analyses: [{name: flip, shard: 2}]\n", tmp.resolve("x")))
                .hasMessageContaining("unknown key 'shard'");
        assertThatThrownBy(() -> new Piece(0, "shard-0")).hasMessageContaining("shard-0");
    }

    @Test
    void slurmArraysOfAFannedOutSweepWaitForTheirRunsPieces() throws IOException {
        Sweep s = plan("""
                name: fan
                preset: demo
                axes: {seed: [1, 2, 3]}
                analyses: [{name: flip, args: "--noisy 3", shards: 2}]
                """, tmp.resolve("d"));
        List<Piece> all = new ArrayList<>();
        s.runs().forEach(r -> all.addAll(Piece.of(r)));
        assertThat(SlurmExecutor.plan(s, all, Map.of())).containsExactly(
                new SlurmExecutor.Batch(Piece.RUN, List.of(0, 1, 2), List.of(), List.of()),
                new SlurmExecutor.Batch("shard-1", List.of(0, 1, 2), List.of(0), List.of()),
                new SlurmExecutor.Batch("shard-2", List.of(0, 1, 2), List.of(0), List.of()),
                new SlurmExecutor.Batch(Piece.MERGE, List.of(0, 1, 2), List.of(0, 1, 2), List.of()));

        // run 0: its shard 2 failed while shard 1 is still running in job 57; run 1: trained, nothing of it queued;
        // run 2: everything again
        Map<Piece, SlurmExecutor.SlurmTask> slurm = Map.of(new Piece(0, "shard-1"), new SlurmExecutor.SlurmTask("57", "RUNNING", "None"),
                new Piece(0, "shard-2"), new SlurmExecutor.SlurmTask("58", "FAILED", "NonZeroExitCode"),
                new Piece(0, Piece.MERGE), new SlurmExecutor.SlurmTask("59", "CANCELLED", "DependencyNeverSatisfied"));
        List<Piece> todo = List.of(new Piece(0, "shard-2"), new Piece(0, Piece.MERGE), new Piece(1, "shard-1"),
                new Piece(1, "shard-2"), new Piece(1, Piece.MERGE), new Piece(2, Piece.RUN), new Piece(2, "shard-1"),
                new Piece(2, "shard-2"), new Piece(2, Piece.MERGE));
        assertThat(SlurmExecutor.plan(s, todo, slurm)).containsExactly(
                new SlurmExecutor.Batch(Piece.RUN, List.of(2), List.of(), List.of()),
                new SlurmExecutor.Batch("shard-1", List.of(1), List.of(), List.of()),
                new SlurmExecutor.Batch("shard-1", List.of(2), List.of(0), List.of()),
                new SlurmExecutor.Batch("shard-2", List.of(0, 1), List.of(), List.of()),
                new SlurmExecutor.Batch("shard-2", List.of(2), List.of(0), List.of()),
                new SlurmExecutor.Batch(Piece.MERGE, List.of(0), List.of(3), List.of("57")),
                new SlurmExecutor.Batch(Piece.MERGE, List.of(1), List.of(1, 3), List.of()),
                new SlurmExecutor.Batch(Piece.MERGE, List.of(2), List.of(0, 2, 4), List.of()));

        SlurmOptions o = new SlurmOptions("", "", "", 1, 0, List.of(), List.of(), "", 0);
        String shard = SlurmExecutor.script(s, "shard-2", List.of(0, 1, 2), "aftercorr:11", o, Launcher.of("engram"));
        assertThat(shard).contains("#SBATCH --job-name=engram-fan-shard-2\n").contains("#SBATCH --array=0-2\n")
                .contains("#SBATCH --dependency=aftercorr:11\n").contains("#SBATCH --kill-on-invalid-dep=yes\n")
                .contains("exec engram sweep run-task " + s.dir() + " --index $SLURM_ARRAY_TASK_ID --stage shard-2 --threads 1\n");
        assertThatThrownBy(() -> SlurmExecutor.plan(s, List.of(new Piece(0, Piece.ALL)), Map.of())).hasMessageContaining("all");
    }

    @Test
    void aFannedOutRunsStatusNamesItsPiecesAndOnlyFailedTakesWhatWaitsForTheFailedOnes() throws IOException {
        Sweep s = plan("name: fan\npreset: demo\naxes: {seed: [1, 2]}\nanalyses: [{name: flip, shards: 2}]\n", tmp.resolve("d"));
        s.write();
        SweepRun r0 = s.run(0);
        new TaskState(TaskState.FAILED, "node7", 1, "41_0", "t0", "t1", "train --run x", 1, "boom").write(s.stateFile(r0));
        Files.createDirectories(s.logFile(r0).getParent());
        Files.writeString(s.logFile(r0), "error: no data\n");
        Map<Piece, SlurmExecutor.SlurmTask> slurm = Map.of(
                new Piece(0, "shard-1"), new SlurmExecutor.SlurmTask("42", "CANCELLED", "DependencyNeverSatisfied"),
                new Piece(1, Piece.RUN), new SlurmExecutor.SlurmTask("41", "RUNNING", "None"),
                new Piece(1, "shard-1"), new SlurmExecutor.SlurmTask("42", "PENDING", "Dependency"));
        List<SweepStatus.Line> lines = SweepStatus.of(s, COMMANDS, slurm, true, 3);
        SweepStatus.Line l0 = lines.get(0), l1 = lines.get(1);
        assertThat(l0.state()).isEqualTo(SweepStatus.State.FAILED);
        assertThat(l0.detail()).startsWith("run failed: exit code 1 in `engram train --run x`;").contains("shards 2 pending")
                .endsWith("merge pending");
        assertThat(l0.log()).containsExactly("error: no data");
        assertThat(l0.pieces().get(1).detail()).contains("slurm 42_0 CANCELLED").contains("a task it waits for failed");
        assertThat(l1.state()).isEqualTo(SweepStatus.State.RUNNING);
        assertThat(l1.pieces().get(1).queued()).isTrue();
        assertThat(l1.pieces().get(1).detail()).contains("slurm 42_1 PENDING (Dependency)");
        assertThat(SweepStatus.toRun(lines, true)).as("the failed run piece and what waits for it").containsExactly(
                new Piece(0, Piece.RUN), new Piece(0, "shard-1"), new Piece(0, "shard-2"), new Piece(0, Piece.MERGE));
        assertThat(SweepStatus.toRun(lines, false)).as("not what Slurm holds").containsExactly(
                new Piece(0, Piece.RUN), new Piece(0, "shard-1"), new Piece(0, "shard-2"), new Piece(0, Piece.MERGE),
                new Piece(1, "shard-2"), new Piece(1, Piece.MERGE));
    }

    private static SlurmExecutor.SlurmTask task(String state) {
        return new SlurmExecutor.SlurmTask("41", state, "");
    }

    @Test
    void reportAveragesEveryHeadlineNumberOverSeedsAndDrawsTheEtdHeatmap() throws IOException {
        Sweep s = plan("name: rep\npreset: demo\naxes: {noiseFraction: [0.1, 0.2]}\nseeds: [1, 2, 3]\nanalyses: [etd]\n",
                tmp.resolve("d"));
        double[][] test = {{0.90, 0.92, 0.97}, {0.80, 0.84, 0.85}};
        for (SweepRun r : s.runs()) {
            int g = r.index() / 3, k = r.index() % 3;
            Path a = s.runDir(r).resolve("analyses");
            Files.createDirectories(a.resolve("training"));
            Results.writeJson(a.resolve("training").resolve("results.json"), Map.of("finalTestAccuracy", test[g][k],
                    "finalCleanTrainAccuracy", 1.0, "finalNoisyTrainAccuracy", 0.5));
            Files.createDirectories(a.resolve("etd"));
            Map<String, Object> etd = new LinkedHashMap<>();
            etd.put("outcomes", List.of(Map.of("method", "ETD", "pGen", 0.2, "pMem", 0.1,
                    "after", Map.of("noisyTrain", 0.1 * k, "test", 0.8, "cleanTrain", 0.9))));
            etd.put("summaryRows", List.of(Map.of("label", "ETD after dropping: clean / noisy / test",
                    "value", (90 + k) + ".0% / " + (10 * k) + ".0% / 80.0%")));
            Results.writeJson(a.resolve("etd").resolve("results.json"), etd);
        }
        StringWriter out = new StringWriter();
        Path html = SweepReport.write(s, new PrintWriter(out, true));
        List<String> csv = Files.readAllLines(s.dir().resolve("report").resolve("summary.csv"));
        assertThat(csv).hasSize(3);
        List<String> header = List.of(csv.get(0).split(","));
        int mean = header.indexOf("training: finalTestAccuracy mean"), std = header.indexOf("training: finalTestAccuracy std");
        int noisy = header.indexOf("etd: ETD after dropping: clean / noisy / test [2] (%) mean");
        assertThat(mean).isPositive();
        assertThat(noisy).as(header.toString()).isPositive();
        String[] row1 = csv.get(1).split(","), row2 = csv.get(2).split(",");
        assertThat(row1[0]).isEqualTo("0.1");
        assertThat(row1[header.indexOf("runs")]).isEqualTo("3");
        assertThat(Double.parseDouble(row1[mean])).isCloseTo(0.93, within(1e-12));
        assertThat(Double.parseDouble(row1[std])).isCloseTo(Math.sqrt((0.03 * 0.03 + 0.01 * 0.01 + 0.04 * 0.04) / 2), within(1e-12));
        assertThat(Double.parseDouble(row2[mean])).isCloseTo(0.83, within(1e-12));
        assertThat(Double.parseDouble(row1[noisy])).isCloseTo(10.0, within(1e-12));
        assertThat(s.dir().resolve("report").resolve("noise-1.png")).isRegularFile();
        assertThat(s.dir().resolve("report").resolve("etd-noisyTrain.png")).isRegularFile();
        assertThat(Files.readString(html)).contains("Sweep rep").contains("0.93").contains("noise-1.png");
        assertThat(out.toString()).contains("6 runs with results in 2 groups");
    }
}
