package dev.engram.memorization.sweep;

import dev.engram.memorization.io.Results;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
            return switch (args.get(0)) {
                case "flip" -> Optional.of("flipping");
                case "etd" -> Optional.of("etd");
                default -> Optional.empty();
            };
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
                .contains("exec /shared/engram/engram sweep run-task " + s.dir() + " --index $SLURM_ARRAY_TASK_ID --threads 2\n");
        assertThat(script.indexOf("module load")).isGreaterThan(script.lastIndexOf("#SBATCH"));
        assertThat(SlurmExecutor.arraySpec(List.of(5, 0, 1, 2, 7, 8))).isEqualTo("0-2,5,7-8");
        assertThatThrownBy(() -> new SlurmOptions("", "tomorrow", "", 0, 0, null, null, "", 0)).hasMessageContaining("tomorrow");
    }

    @Test
    void statusNamesFailedRunsWithTheirLogAndOnlyFailedPicksThem() throws IOException {
        Sweep s = plan("name: st\npreset: demo\naxes: {seed: [1, 2, 3]}\n", tmp.resolve("d"));
        s.write();
        new TaskState(TaskState.FAILED, "node7", 1, "41_1", "t0", "t1", "train --run x", 1, "boom").write(s.stateFile(s.run(1)));
        Files.createDirectories(s.logFile(s.run(1)).getParent());
        Files.writeString(s.logFile(s.run(1)), "line 1\nline 2\nerror: out of memory\n");
        new TaskState(TaskState.RUNNING, "elsewhere", 1, "", "t0", "", "flip --run x", 0, "").write(s.stateFile(s.run(2)));
        List<SweepStatus.Line> lines = SweepStatus.of(s, COMMANDS, Map.of(2, "RUNNING"), true, 2);
        assertThat(lines.get(0).state()).isEqualTo(SweepStatus.State.PENDING);
        assertThat(lines.get(1).state()).isEqualTo(SweepStatus.State.FAILED);
        assertThat(lines.get(1).detail()).contains("exit code 1").contains("train --run x");
        assertThat(lines.get(1).log()).containsExactly("line 2", "error: out of memory");
        assertThat(lines.get(2).state()).isEqualTo(SweepStatus.State.RUNNING);
        assertThat(SweepStatus.toRun(lines, true)).containsExactly(1);
        assertThat(SweepStatus.toRun(lines, false)).containsExactly(0, 1);
        List<SweepStatus.Line> killed = SweepStatus.of(s, COMMANDS, Map.of(2, "TIMEOUT"), true, 0);
        assertThat(killed.get(2).state()).as("Slurm killed it").isEqualTo(SweepStatus.State.FAILED);
        new TaskState(TaskState.RUNNING, "elsewhere", 1, "41_2", "t0", "", "flip --run x", 0, "").write(s.stateFile(s.run(2)));
        assertThat(SweepStatus.of(s, COMMANDS, Map.of(), true, 0).get(2).state())
                .as("a Slurm task that Slurm no longer lists has ended").isEqualTo(SweepStatus.State.FAILED);
        assertThat(SweepStatus.of(s, COMMANDS, Map.of(), false, 0).get(2).state())
                .as("without a scheduler to ask, the state file is trusted").isEqualTo(SweepStatus.State.RUNNING);
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
