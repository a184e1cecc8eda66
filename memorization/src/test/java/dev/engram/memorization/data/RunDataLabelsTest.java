package dev.engram.memorization.data;

import dev.engram.datasets.Dataset;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A run's data must still hold the labels its noise.csv recorded as original: otherwise the files changed. */
class RunDataLabelsTest {
    private static Dataset data(int... labels) {
        return new Dataset("own", 1, 2, 2, 10, new byte[labels.length * 4], labels);
    }

    @Test
    void labelsThatMovedSinceTrainingAreRefusedNamingTheFirstExample() {
        Path noise = Path.of("R", "noise.csv");
        assertThatCode(() -> RunData.requireSameLabels(data(3, 1, 4, 1), new int[] {3, 1, 4, 1}, noise)).doesNotThrowAnyException();
        assertThatThrownBy(() -> RunData.requireSameLabels(data(3, 1, 5, 9), new int[] {3, 1, 4, 1}, noise))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 of 4 training examples")
                .hasMessageContaining("example 2, recorded 4, now 5").hasMessageContaining(noise.toString())
                .hasMessageContaining("changed since the run was trained");
    }
}
