package dev.engram.memorization.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sweep compares an analysis' options across sweep files by their parsed values: the same options spelt another
 * way are one set of options (the check that refuses changed options under existing results must not refuse them).
 */
class CliCommandsCanonicalTest {
    private final CliCommands commands = new CliCommands();

    @Test
    void spellingOrderAndExplicitDefaultsDoNotMatter() {
        List<String> plain = commands.canonical(List.of("flip", "--noisy", "50", "--clean", "20"));
        assertThat(commands.canonical(List.of("flip", "--clean=20", "--noisy=50"))).isEqualTo(plain);
        assertThat(commands.canonical(List.of("flipping", "--noisy", "50", "--clean", "20", "--seed", "0")))
                .as("the alias and the default seed given explicitly").isEqualTo(plain);
        assertThat(commands.canonical(List.of("flip", "--noisy", "51", "--clean", "20"))).isNotEqualTo(plain);
        assertThat(commands.canonical(List.of("flip", "--noisy", "50", "--clean", "20", "--threads", "1", "--offline")))
                .as("options that leave the results as they are").isEqualTo(plain);
        assertThat(plain.get(0)).isEqualTo("flip");
        assertThat(plain).contains("--noisy=50", "--clean=20").noneMatch(o -> o.startsWith("--run="));
    }

    @Test
    void aLineTheCommandRefusesIsKeptAsWritten() {
        List<String> bad = List.of("flip", "--noisy", "many");
        assertThat(commands.canonical(bad)).isEqualTo(bad);
    }
}
