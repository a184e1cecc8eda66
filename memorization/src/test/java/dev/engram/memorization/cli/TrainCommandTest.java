package dev.engram.memorization.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Command-line checks of {@code train --resume} and {@code grad-accounting} that need no dataset. */
class TrainCommandTest {
    @TempDir
    Path tmp;

    private String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = EngramCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void classesWithoutATrainingExampleAreNamed() {
        dev.engram.datasets.Dataset all = new dev.engram.datasets.Dataset("own", 1, 2, 2, 4, new byte[16], new int[] {0, 1, 0, 1});
        assertThat(TrainCommand.emptyClasses(all)).isEqualTo("2 of the 4 classes have no training example: [2, 3] (the model"
                + " has an output for each class 0..3; check the labels if that is not intended)");
        dev.engram.datasets.Dataset full = new dev.engram.datasets.Dataset("own", 1, 2, 2, 2, new byte[8], new int[] {0, 1});
        assertThat(TrainCommand.emptyClasses(full)).isNull();
    }

    @Test
    void reproCpuPresetIsSelectable() {
        TrainCommand c = new TrainCommand();
        new picocli.CommandLine(c).parseArgs("--run", tmp.toString(), "--preset", "repro-cpu");
        assertThat(c.config().model()).isEqualTo("resnet9-w0.25");
        assertThat(c.config().trainSubset()).isEqualTo(10_000);
        assertThat(run("train", "--help")[1]).contains("repro-cpu");
    }

    @Test
    void trainingMethodOptionsGoIntoTheConfig() {
        TrainCommand c = new TrainCommand();
        new picocli.CommandLine(c).parseArgs("--run", tmp.toString(), "--preset", "demo", "--noise", "0.2", "--jocor",
                "--sam", "0.1", "--asam", "--dropout", "0.3", "--reinit", "fc1,fc2", "--reinit-order", "bottom-up",
                "--optimizer", "AdamW");
        var m = c.config().methods();
        assertThat(m.jocor()).isTrue();
        assertThat(m.jocorForgetRate()).isEqualTo(0.2); // the noise fraction
        assertThat(m.samRho()).isEqualTo(0.1);
        assertThat(m.samAdaptive()).isTrue();
        assertThat(m.dropout()).isEqualTo(0.3);
        assertThat(m.reinitGroups()).containsExactly("fc1", "fc2");
        assertThat(m.reinitOrder()).isEqualTo("bottom-up");
        assertThat(c.config().optimizer()).isEqualTo("adamw");
        TrainCommand sce = new TrainCommand();
        new picocli.CommandLine(sce).parseArgs("--run", tmp.toString(), "--preset", "demo", "--loss", "sce", "--sce-alpha", "0.5");
        assertThat(sce.config().methods().sce()).isTrue();
        assertThat(sce.config().methods().sceAlpha()).isEqualTo(0.5);
        assertThat(run("train", "--run", tmp.resolve("x").toString(), "--preset", "demo", "--asam")[2]).contains("--asam needs --sam");
    }

    @Test
    void resumeRefusesConfigurationOptions() {
        String[] r = run("train", "--run", tmp.toString(), "--resume", "--epochs", "3", "--lr", "0.1");
        assertThat(r[0]).isEqualTo(Integer.toString(EngramCli.EXIT_USAGE));
        assertThat(r[2]).contains("--resume continues the run with its own config.json").contains("--epochs")
                .contains("--lr");
    }

    @Test
    void resumeAndAccountingOfAMissingRunNameTheFolder() {
        Path missing = tmp.resolve("nope");
        String[] r = run("train", "--run", missing.toString(), "--resume");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains(missing.toString()).contains("does not exist");
        r = run("grad-accounting", "--run", missing.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("engram grad-accounting: error:").contains(missing.toString());
    }

    @Test
    void helpDescribesTheNewOptions() {
        assertThat(run("train", "--help")[1]).contains("--resume").contains("--grad-accounting");
        assertThat(run("grad-accounting", "--help")[1]).contains("--checkpoints").contains("--batch-size");
        assertThat(run("demo", "--help")[1]).contains("--no-grad-accounting").contains("(10% label");
    }
}
