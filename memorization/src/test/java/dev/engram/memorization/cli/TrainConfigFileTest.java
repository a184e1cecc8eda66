package dev.engram.memorization.cli;

import dev.engram.memorization.run.ExperimentConfig;
import dev.engram.memorization.run.RunFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code engram train --config FILE}: YAML and JSON files with the keys of {@code config.json}, a run's own
 * {@code config.json} as input, command-line options over file values, and errors naming the bad key.
 */
class TrainConfigFileTest extends CliTestBase {
    @TempDir
    Path tmp;

    @Test
    void yamlFileWithOverridesAndARunsConfigJsonReproduceTheRun() throws IOException {
        Path data = tmp.resolve("arrays");
        OwnDatasetCliTest.npyFolder(data, 40, 6, 3);
        Path yaml = tmp.resolve("run.yaml");
        Files.writeString(yaml, """
                # a tiny run; the dataset path is relative to this file
                dataset: npy:arrays
                model: mlp
                noiseFraction: 0.2
                epochs: 3
                batchSize: 8
                peakLr: 0.05
                seed: 9
                """);
        Path a = tmp.resolve("a");
        assertThat(engram("train", "--run", a.toString(), "--config", yaml.toString(), "--epochs", "2"))
                .as(err.toString()).isZero();
        ExperimentConfig ca = RunFolder.open(a).config();
        assertThat(ca.dataset()).isEqualTo("npy:" + data.toAbsolutePath().normalize());
        assertThat(ca.epochs()).as("--epochs overrides the file").isEqualTo(2);
        assertThat(ca.seed()).isEqualTo(9);
        assertThat(ca.noiseFraction()).isEqualTo(0.2);
        assertThat(ca.batchSize()).isEqualTo(8);
        assertThat(ca.weightDecay()).as("left out of the file: the paper preset's").isEqualTo(5e-4);

        Path b = tmp.resolve("b");
        assertThat(engram("train", "--run", b.toString(), "--config", a.resolve(RunFolder.CONFIG).toString()))
                .as(err.toString()).isZero();
        assertThat(RunFolder.open(b).config()).isEqualTo(ca);
        assertThat(Files.readAllBytes(b.resolve("checkpoints").resolve(Files.list(a.resolve("checkpoints"))
                .map(p -> p.getFileName().toString()).filter(n -> n.contains("2")).findFirst().orElseThrow())))
                .as("same config, same final checkpoint on the CPU")
                .isEqualTo(Files.readAllBytes(a.resolve("checkpoints").resolve(Files.list(a.resolve("checkpoints"))
                        .map(p -> p.getFileName().toString()).filter(n -> n.contains("2")).findFirst().orElseThrow())));
    }

    @Test
    void unknownKeysAndWrongTypesAreNamed() throws IOException {
        Path yaml = tmp.resolve("bad.yaml");
        Files.writeString(yaml, "dataset: mnist\nepoch: 3\n");
        assertThat(engram("train", "--run", tmp.resolve("x").toString(), "--config", yaml.toString())).isNotZero();
        assertThat(err.toString()).contains("unknown config key 'epoch'").contains("bad.yaml");
        assertThat(tmp.resolve("x")).doesNotExist();

        Path json = tmp.resolve("bad.json");
        Files.writeString(json, "{\"epochs\": \"many\"}");
        assertThat(engram("train", "--run", tmp.resolve("y").toString(), "--config", json.toString())).isNotZero();
        assertThat(err.toString()).contains("'epochs'").contains("many").contains("integer");

        Path txt = tmp.resolve("run.txt");
        Files.writeString(txt, "epochs: 3");
        assertThat(engram("train", "--run", tmp.resolve("z").toString(), "--config", txt.toString())).isNotZero();
        assertThat(err.toString()).contains(".yaml, .yml or .json");
    }

    @Test
    void withValuesRejectsFractionalIntegersAndValidatesRanges() {
        ExperimentConfig c = ExperimentConfig.cpuDemo();
        assertThat(c.withValues(Map.of("epochs", 3L, "peakLr", 1L), "t").epochs()).isEqualTo(3);
        assertThatThrownBy(() -> c.withValues(Map.of("epochs", 2.5), "t")).hasMessageContaining("'epochs' is 2.5");
        assertThatThrownBy(() -> c.withValues(Map.of("noiseFraction", 1.5), "t"))
                .hasMessageContaining("noiseFraction").hasMessageContaining("1.5");
    }
}
