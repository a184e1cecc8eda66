package dev.engram.memorization.run;

import dev.engram.datasets.LabelNoise;
import dev.engram.datasets.NoisyLabels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunFolderTest {
    @TempDir
    Path tmp;

    static int[] labels(int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % 10;
        return y;
    }

    static RunFolder newRun(Path dir, double noise) throws IOException {
        ExperimentConfig c = ExperimentConfig.cpuDemo().toBuilder().noiseFraction(noise).build();
        NoisyLabels nl = LabelNoise.corrupt(labels(200), 10, noise, c.seed());
        return RunFolder.create(dir, c, nl, Provenance.capture(List.of("test"), List.of(c.seed())));
    }

    @Test
    void createWritesTheFilesAndOpenReadsThemBack() throws IOException {
        Path dir = tmp.resolve("run");
        RunFolder r = newRun(dir, 0.1);
        assertThat(dir.resolve("config.json")).isRegularFile();
        assertThat(dir.resolve("provenance.json")).isRegularFile();
        assertThat(dir.resolve("noise.csv")).isRegularFile();
        assertThat(dir.resolve("checkpoints")).isDirectory();

        RunFolder o = RunFolder.open(dir);
        assertThat(o.config()).isEqualTo(r.config());
        assertThat(o.noise().noisyCount()).isEqualTo(20);
        assertThat(o.noise().noisyIndices()).containsExactly(r.noise().noisyIndices());
        assertThat(o.hasNoise()).isTrue();
        Provenance p = o.provenance().orElseThrow();
        assertThat(p.javaVersion()).isEqualTo(System.getProperty("java.version"));
        assertThat(p.cores()).isPositive();
        assertThat(p.startTime()).isNotBlank();
        assertThat(p.endTime()).isNull();
        assertThat(p.seeds()).containsExactly(4L);
        o.markFinished();
        assertThat(o.provenance().orElseThrow().endTime()).isNotNull();
    }

    @Test
    void aConfigEditedAwayFromTheNoiseFileIsRefusedNamingBoth() throws IOException {
        Path dir = tmp.resolve("edited");
        newRun(dir, 0.1);
        Path cfg = dir.resolve("config.json");
        String json = Files.readString(cfg);
        assertThat(json).contains("\"noiseFraction\": 0.1");
        Files.writeString(cfg, json.replace("\"noiseFraction\": 0.1", "\"noiseFraction\": 0.3"));
        RunFolder o = RunFolder.open(dir);
        assertThatThrownBy(o::noise).isInstanceOf(RunFolderException.class)
                .hasMessageContaining(dir.resolve("noise.csv").toString()).hasMessageContaining("noise fraction is 0.1")
                .hasMessageContaining("noiseFraction 0.3").hasMessageContaining("edited");
        Files.writeString(cfg, json);
        assertThat(RunFolder.open(dir).noise().noisyCount()).isEqualTo(20);
    }

    @Test
    void aResumeNoticesEveryEditedSettingButDeviceAndThreads() throws IOException {
        Path dir = tmp.resolve("resumable");
        RunFolder r = newRun(dir, 0.1);
        r.markFinished(); // rewrites provenance.json: the recorded configuration must survive it
        assertThat(RunFolder.open(dir).provenance().orElseThrow().endTime()).isNotNull();
        RunFolder.open(dir).requireConfigAsCreated();
        Path cfg = dir.resolve("config.json");
        String json = Files.readString(cfg);
        int epochs = r.config().epochs();
        Files.writeString(cfg, json.replace("\"threads\": 0", "\"threads\": 2"));
        RunFolder.open(dir).requireConfigAsCreated();
        String edited = json.replace("\"epochs\": " + epochs, "\"epochs\": " + (epochs + 7))
                .replace("\"peakLr\": " + r.config().peakLr(), "\"peakLr\": 0.5");
        assertThat(edited).isNotEqualTo(json);
        Files.writeString(cfg, edited);
        assertThatThrownBy(() -> RunFolder.open(dir).requireConfigAsCreated()).isInstanceOf(RunFolderException.class)
                .hasMessageContaining(cfg.toString()).hasMessageContaining("epochs " + epochs + " → " + (epochs + 7))
                .hasMessageContaining("peakLr").hasMessageContaining("0.5");
    }

    @Test
    void refusesToOverwriteANonEmptyFolder() throws IOException {
        Path dir = tmp.resolve("run");
        newRun(dir, 0.1);
        assertThatThrownBy(() -> newRun(dir, 0.1)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("not empty");
    }

    @Test
    void aCreationKilledBeforeItsConfigCanBeRepeatedButNothingElseIsOverwritten() throws IOException {
        Path dir = tmp.resolve("half-created");
        Files.createDirectories(dir.resolve(RunFolder.CHECKPOINTS));
        Files.createDirectories(dir.resolve(RunFolder.ANALYSES));
        Files.writeString(dir.resolve(RunFolder.NOISE), "partial");
        Files.writeString(dir.resolve(".provenance.json.0123abcd.tmp"), "partial");
        RunFolder run = newRun(dir, 0.1); // what an interrupted create left is replaced
        assertThat(run.noise().size()).isEqualTo(200);
        assertThat(dir.resolve(".provenance.json.0123abcd.tmp")).doesNotExist();

        Path other = tmp.resolve("someone-elses");
        Files.createDirectories(other.resolve(RunFolder.CHECKPOINTS));
        Files.writeString(other.resolve(RunFolder.CHECKPOINTS).resolve("epoch-001.safetensors"), "x");
        assertThatThrownBy(() -> newRun(other, 0.1)).isInstanceOf(RunFolderException.class).hasMessageContaining("not empty");
        Path notes = tmp.resolve("notes");
        Files.createDirectories(notes);
        Files.writeString(notes.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> newRun(notes, 0.1)).isInstanceOf(RunFolderException.class).hasMessageContaining("not empty");
        assertThat(notes.resolve("notes.txt")).hasContent("mine");
    }

    @Test
    void missingFilesAreNamedWithTheCommandThatCreatesThem() throws IOException {
        assertThatThrownBy(() -> RunFolder.open(tmp.resolve("nope"))).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("nope").hasMessageContaining("engram train");
        Path dir = tmp.resolve("run");
        newRun(dir, 0.1);
        Files.delete(dir.resolve("noise.csv"));
        RunFolder r = RunFolder.open(dir);
        assertThatThrownBy(r::noise).isInstanceOf(RunFolderException.class).hasMessageContaining("noise.csv")
                .hasMessageContaining("engram train");
        Files.delete(dir.resolve("config.json"));
        assertThatThrownBy(() -> RunFolder.open(dir)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("config.json").hasMessageContaining("engram train");
    }

    @Test
    void corruptConfigIsReportedWithItsFile() throws IOException {
        Path dir = tmp.resolve("run");
        newRun(dir, 0.1);
        Files.writeString(dir.resolve("config.json"), "{\"dataset\": \"mnist\"}");
        assertThatThrownBy(() -> RunFolder.open(dir)).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("config.json").hasMessageContaining("missing config field");
    }

    @Test
    void checkpointsAreListedInEpochOrderAndMissingOnesExplained() throws IOException {
        RunFolder r = newRun(tmp.resolve("run"), 0.1);
        assertThat(r.checkpoints()).isEmpty();
        assertThatThrownBy(r::requireFinalCheckpoint).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("epoch-040.safetensors").hasMessageContaining("no checkpoints")
                .hasMessageContaining("engram train");
        for (int e : new int[] {10, 0, 2}) Files.writeString(r.checkpointPath(e), "x");
        Files.writeString(r.checkpointsDir().resolve("notes.txt"), "ignored");
        assertThat(r.checkpoints()).extracting(RunFolder.Checkpoint::epoch).containsExactly(0, 2, 10);
        assertThat(r.checkpointPath(2).getFileName().toString()).isEqualTo("epoch-002.safetensors");
        assertThat(r.checkpointPath(1234).getFileName().toString()).isEqualTo("epoch-1234.safetensors");
        assertThat(r.requireCheckpoint(10)).isEqualTo(r.checkpointPath(10));
        assertThatThrownBy(() -> r.requireCheckpoint(5)).hasMessageContaining("epochs [0, 2, 10]");
    }

    @Test
    void runWithoutNoiseIsDetected() throws IOException {
        RunFolder r = newRun(tmp.resolve("clean"), 0.0);
        assertThat(r.hasNoise()).isFalse();
        assertThatThrownBy(() -> r.requireNoisy("gradient accounting")).isInstanceOf(RunFolderException.class)
                .hasMessageContaining("gradient accounting").hasMessageContaining("no noisy examples")
                .hasMessageContaining("--noise");
        RunFolder noisy = newRun(tmp.resolve("noisy"), 0.1);
        noisy.requireNoisy("gradient accounting");
    }

    @Test
    void analysisOutputsAreLocated() throws IOException {
        RunFolder r = newRun(tmp.resolve("run"), 0.1);
        assertThat(r.analysisNames()).isEmpty();
        assertThat(r.hasResults("rewinding")).isFalse();
        assertThatThrownBy(() -> r.readResults("rewinding")).hasMessageContaining("engram rewinding");
        r.writeResults("rewinding", Map.of("noisyAccuracy", 0.5));
        Files.writeString(r.analysisDir("rewinding").resolve("b.png"), "x");
        Files.writeString(r.analysisDir("rewinding").resolve("a.png"), "x");
        Files.writeString(r.analysisDir("rewinding").resolve("t.csv"), "x");
        r.analysisDir("etd");
        assertThat(r.analysisNames()).containsExactly("etd", "rewinding");
        assertThat(r.readResults("rewinding").get("noisyAccuracy").getAsDouble()).isEqualTo(0.5);
        assertThat(r.analysisFiles("rewinding", ".png")).extracting(p -> p.getFileName().toString())
                .containsExactly("a.png", "b.png");
        assertThatThrownBy(() -> r.analysisDir("../escape")).hasMessageContaining("bad analysis name");
    }
}
