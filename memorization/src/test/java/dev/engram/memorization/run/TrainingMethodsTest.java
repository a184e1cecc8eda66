package dev.engram.memorization.run;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The training methods of a run in config.json. */
class TrainingMethodsTest {

    @Test
    void methodsRoundTripAndOlderFilesReadAsPlainTraining() {
        TrainingMethods m = TrainingMethods.STANDARD.toBuilder().sce(0.2, 0.8).sam(0.1, true).dropout(0.3)
                .reinit("fc1,fc2", 3, 9, "bottom-up").build();
        ExperimentConfig c = ExperimentConfig.cpuDemo().toBuilder().methods(m).optimizer("adamw").build();
        String json = c.toJson();
        assertThat(json).contains("\"methods\"").contains("\"samRho\": 0.1").contains("\"optimizer\": \"adamw\"");
        assertThat(ExperimentConfig.fromJson(json, "c.json")).isEqualTo(c);
        String old = ExperimentConfig.cpuDemo().toJson().replaceAll(",\\s*\"methods\": \\{[^}]*\\}", "");
        assertThat(old).doesNotContain("methods");
        assertThat(ExperimentConfig.fromJson(old, "old.json").methods()).isEqualTo(TrainingMethods.STANDARD);
        assertThat(TrainingMethods.STANDARD.isStandard()).isTrue();
        assertThat(m.isStandard()).isFalse();
        assertThat(m.label()).contains("sce").contains("asam").contains("dropout(0.3)").contains("reinit(fc1+fc2/3ep)");
        assertThat(m.reinitGroups()).containsExactly("fc1", "fc2");
    }

    @Test
    void aPartialMethodsObjectIsCompletedAndUnknownOrBadKeysAreNamed() {
        String base = ExperimentConfig.cpuDemo().toJson().replaceAll(",\\s*\"methods\": \\{[^}]*\\}", "");
        String partial = base.replaceFirst("\\{", "{\"methods\": {\"loss\": \"sce\", \"jocor\": false},");
        ExperimentConfig c = ExperimentConfig.fromJson(partial, "p.json");
        assertThat(c.methods().sce()).isTrue();
        assertThat(c.methods().sceBeta()).isEqualTo(TrainingMethods.STANDARD.sceBeta());
        // JoCoR without a forget rate gets the run's noise fraction, as on the command line; a given one is kept
        String noisier = base.replaceFirst("\"noiseFraction\": [0-9.]+", "\"noiseFraction\": 0.3");
        assertThat(noisier).contains("\"noiseFraction\": 0.3");
        assertThat(ExperimentConfig.fromJson(noisier.replaceFirst("\\{", "{\"methods\": {\"jocor\": true},"), "p.json")
                .methods().jocorForgetRate()).isEqualTo(0.3);
        assertThat(ExperimentConfig.fromJson(base.replaceFirst("\\{", "{\"methods\": {\"jocor\": true, \"jocorForgetRate\": 0.25},"),
                "p.json").methods().jocorForgetRate()).isEqualTo(0.25);
        assertThatThrownBy(() -> ExperimentConfig.fromJson(base.replaceFirst("\\{", "{\"methods\": {\"samRo\": 0.1},"), "p.json"))
                .hasMessageContaining("p.json").hasMessageContaining("samRo");
        assertThatThrownBy(() -> ExperimentConfig.fromJson(base.replaceFirst("\\{", "{\"methods\": {\"samRho\": -1},"), "p.json"))
                .hasMessageContaining("methods.samRho").hasMessageContaining("-1");
    }

    @Test
    void invalidCombinationsAreRefused() {
        TrainingMethods s = TrainingMethods.STANDARD;
        assertThatThrownBy(() -> s.toBuilder().loss("mse").build()).hasMessageContaining("mse");
        assertThatThrownBy(() -> s.toBuilder().sce(0.1, 1).jocor(true, 0.9, 0.1, 5).build()).hasMessageContaining("jocor");
        assertThatThrownBy(() -> s.toBuilder().jocor(true, 0.9, 0.1, 5).rhoLoss(true, 10, 0).build())
                .hasMessageContaining("rhoLoss");
        assertThatThrownBy(() -> s.toBuilder().reinit("fc1", 0, 0, "together").build()).hasMessageContaining("reinitEvery");
        assertThatThrownBy(() -> s.toBuilder().reinit("fc1", 2, 0, "top-down").build()).hasMessageContaining("top-down");
        assertThatThrownBy(() -> ExperimentConfig.paper("mnist", "resnet9").toBuilder().methods(s.toBuilder().dropout(0.2).build())
                .build()).hasMessageContaining("methods.dropout").hasMessageContaining("resnet9");
        assertThatThrownBy(() -> ExperimentConfig.cpuDemo().toBuilder().optimizer("adam").build()).hasMessageContaining("adam");
    }
}
