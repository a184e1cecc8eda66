package dev.engram.memorization.cli;

import dev.engram.memorization.flip.FlipAnalysis;
import dev.engram.memorization.flip.NeuronFlipping;
import dev.engram.memorization.gradients.GradientAccumulator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The command-line spellings of the fidelity choices (base model, reference gradient, per-example norms). */
class AnalysisOptionsParsingTest {
    @Test
    void baseModelAndReferenceGradientParseCaseInsensitively() {
        assertThat(FlipCommand.parseBase("First-Fit")).isEqualTo(FlipAnalysis.BaseModel.FIRST_FIT);
        assertThat(FlipCommand.parseBase("FINAL")).isEqualTo(FlipAnalysis.BaseModel.FINAL);
        assertThatThrownBy(() -> FlipCommand.parseBase("best")).hasMessageContaining("final or first-fit");
        assertThat(FlipCommand.parseReferenceGradient("Shared")).isEqualTo(NeuronFlipping.ReferenceGradient.SHARED);
        assertThat(FlipCommand.parseReferenceGradient("exact")).isEqualTo(NeuronFlipping.ReferenceGradient.EXACT);
        assertThat(GradientAccumulator.ExampleNorms.parse("Train-Batch")).isEqualTo(GradientAccumulator.ExampleNorms.TRAIN_BATCH);
        assertThat(GradientAccumulator.ExampleNorms.parse("eval")).isEqualTo(GradientAccumulator.ExampleNorms.EVAL);
    }
}
