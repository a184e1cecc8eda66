package dev.engram.memorization.run;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExperimentConfigTest {

    @Test
    void paperDefaultsFollowTheSpec() {
        ExperimentConfig c = ExperimentConfig.paper("cifar10", "resnet9");
        assertThat(c.optimizer()).isEqualTo("sgd");
        assertThat(c.momentum()).isEqualTo(0.9);
        assertThat(c.weightDecay()).isEqualTo(5e-4);
        assertThat(c.peakLr()).isEqualTo(0.01);
        assertThat(c.schedule()).isEqualTo("warmup-cosine");
        assertThat(c.warmupFraction()).isEqualTo(0.1);
        assertThat(c.batchSize()).isEqualTo(512);
        assertThat(c.noiseFraction()).isEqualTo(0.1);
        assertThat(c.seed()).isEqualTo(4);
        assertThat(c.epochs()).isEqualTo(50);
        assertThat(c.augmentation()).isFalse();
        assertThat(ExperimentConfig.paper("mnist", "resnet9").epochs()).isEqualTo(100);
        assertThat(ExperimentConfig.paper("svhn", "vit").batchSize()).isEqualTo(128);
        assertThat(ExperimentConfig.PAPER_SEEDS).containsExactly(4L, 5L, 6L);
    }

    @Test
    void demoPresetIsSmallAndNoisy() {
        ExperimentConfig d = ExperimentConfig.cpuDemo();
        assertThat(d.dataset()).isEqualTo("mnist");
        assertThat(d.device()).isEqualTo("cpu");
        assertThat(d.hasNoise()).isTrue();
        assertThat(d.trainSubset()).isBetween(1, 10_000);
    }

    @Test
    void jsonRoundTripIsExact() {
        ExperimentConfig c = ExperimentConfig.paper("svhn", "resnet50").toBuilder().seed(6).noiseFraction(0.2)
                .epochs(7).device("cuda:1", 3).build();
        String json = c.toJson();
        assertThat(json).contains("\"noiseFraction\": 0.2").contains("\"device\": \"cuda:1\"");
        assertThat(ExperimentConfig.fromJson(json, "c.json")).isEqualTo(c);
    }

    @Test
    void missingUnknownAndInvalidFieldsAreNamed() {
        String json = ExperimentConfig.cpuDemo().toJson();
        assertThatThrownBy(() -> ExperimentConfig.fromJson(json.replace("\"epochs\"", "\"epochz\""), "cfg.json"))
                .hasMessageContaining("cfg.json").hasMessageContaining("missing").hasMessageContaining("epochs");
        assertThatThrownBy(() -> ExperimentConfig.fromJson(json.replace("{", "{\"extra\": 1,"), "cfg.json"))
                .hasMessageContaining("unknown config field").hasMessageContaining("extra");
        assertThatThrownBy(() -> ExperimentConfig.fromJson(json.replace("\"noiseFraction\": 0.1", "\"noiseFraction\": 1.5"),
                "cfg.json")).hasMessageContaining("cfg.json").hasMessageContaining("noiseFraction")
                .hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> ExperimentConfig.fromJson("[]", "cfg.json")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> ExperimentConfig.fromJson("{", "cfg.json")).hasMessageContaining("not valid JSON");
    }

    @Test
    void configFilesWrittenBeforeOwnDatasetsStayReadableWithDefaults() {
        String json = ExperimentConfig.cpuDemo().toJson();
        assertThat(json).contains("\"imageSize\"").contains("\"testFraction\"");
        String old = json.replaceAll(",\\s*\"imageSize\": \"\"", "").replaceAll(",\\s*\"testFraction\": 0\\.2", "");
        assertThat(old).doesNotContain("imageSize").doesNotContain("testFraction");
        ExperimentConfig c = ExperimentConfig.fromJson(old, "old.json");
        assertThat(c).isEqualTo(ExperimentConfig.cpuDemo());
        assertThat(c.imageSize()).isEmpty();
        assertThat(c.testFraction()).isEqualTo(ExperimentConfig.DEFAULT_TEST_FRACTION);
        // an unknown field is still an error
        assertThatThrownBy(() -> ExperimentConfig.fromJson(old.replace("{", "{\"imageSise\": \"8x8\","), "old.json"))
                .hasMessageContaining("unknown config field").hasMessageContaining("imageSise");
    }

    @Test
    void ownDatasetSpecsAndTheirOptionsAreValidated() {
        ExperimentConfig own = ExperimentConfig.paper("folder:/data/pets", "cnn").toBuilder().imageSize("32x32")
                .testFraction(0.1).build();
        assertThat(own.ownDataset()).isTrue();
        assertThat(own.epochs()).isEqualTo(50);
        assertThat(ExperimentConfig.fromJson(own.toJson(), "c.json")).isEqualTo(own);
        assertThat(ExperimentConfig.paper("npy:/data/x.npz", "mlp").ownDataset()).isTrue();
        assertThat(ExperimentConfig.paper("mnist", "mlp").ownDataset()).isFalse();
        assertThatThrownBy(() -> ExperimentConfig.paper("folder:", "mlp")).hasMessageContaining("dataset");
        assertThatThrownBy(() -> ExperimentConfig.paper("pets", "mlp")).hasMessageContaining("folder:PATH");
        assertThatThrownBy(() -> ExperimentConfig.paper("npy:/d", "mlp").toBuilder().imageSize("8x8").build())
                .hasMessageContaining("imageSize");
        assertThatThrownBy(() -> own.toBuilder().imageSize("big").build()).hasMessageContaining("HxW");
        assertThatThrownBy(() -> own.toBuilder().testFraction(0).build()).hasMessageContaining("testFraction");
    }

    @Test
    void constructorValidatesEveryField() {
        ExperimentConfig ok = ExperimentConfig.cpuDemo();
        assertThatThrownBy(() -> ok.toBuilder().device("tpu", 0).build()).hasMessageContaining("device");
        assertThatThrownBy(() -> ok.toBuilder().device("cpu", -1).build()).hasMessageContaining("threads");
        assertThatThrownBy(() -> ok.toBuilder().epochs(0).build()).hasMessageContaining("epochs");
        assertThatThrownBy(() -> ExperimentConfig.paper("imagenet", "resnet9")).hasMessageContaining("dataset")
                .hasMessageContaining("mnist");
        assertThat(ok.toBuilder().noiseFraction(0).build().hasNoise()).isFalse();
        assertThatThrownBy(() -> ok.toBuilder().model("resnet-9").build()).hasMessageContaining("model")
                .hasMessageContaining("resnet9");
        // the reduced-width family is named too, so a bad width (resnet9-w0) is explained by the message
        assertThatThrownBy(() -> ok.toBuilder().model("resnet9-w0").build()).hasMessageContaining("resnet9-w0")
                .hasMessageContaining("resnet9-wF (F in (0, 1]");
        assertThat(ok.toBuilder().model("small-cnn").build().model()).isEqualTo("small-cnn");
    }

    @Test
    void reproCpuPresetIsAReducedWidthResNet9OnTenThousandMnistExamples() {
        ExperimentConfig c = ExperimentConfig.reproCpu();
        assertThat(c.dataset()).isEqualTo("mnist");
        assertThat(c.model()).isEqualTo("resnet9-w0.25");
        assertThat(c.trainSubset()).isGreaterThanOrEqualTo(10_000);
        assertThat(c.noiseFraction()).isEqualTo(0.1);
        assertThat(ExperimentConfig.fromJson(c.toJson(), "test")).isEqualTo(c);
    }

    @Test
    void trainingMethodsComeFromANestedMappingOfAConfigFile() {
        ExperimentConfig c = ExperimentConfig.cpuDemo().withValues(java.util.Map.of("methods",
                java.util.Map.of("loss", "sce", "dropout", 0.3)), "run.yaml");
        org.assertj.core.api.Assertions.assertThat(c.methods().loss()).isEqualTo("sce");
        org.assertj.core.api.Assertions.assertThat(c.methods().dropout()).isEqualTo(0.3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ExperimentConfig.cpuDemo().withValues(
                java.util.Map.of("methods", java.util.Map.of("nosuch", 1)), "run.yaml"))
                .hasMessageContaining("run.yaml").hasMessageContaining("nosuch");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ExperimentConfig.cpuDemo().withValues(
                java.util.Map.of("methods", 3), "run.yaml")).hasMessageContaining("'methods'");
    }

    @Test
    void inputCorruptionAndWeightNormTrackingRoundTripAndDefaultInOldFiles() {
        ExperimentConfig c = ExperimentConfig.cpuDemo().toBuilder().noiseFraction(1.0).inputCorruption("random-pixels")
                .trackWeightNorms(true).build();
        assertThat(c.corruptsInputs()).isTrue();
        String json = c.toJson();
        assertThat(json).contains("\"inputCorruption\": \"random-pixels\"").contains("\"trackWeightNorms\": true");
        assertThat(ExperimentConfig.fromJson(json, "c.json")).isEqualTo(c);
        String old = ExperimentConfig.cpuDemo().toJson().replaceAll(",\\s*\"inputCorruption\": \"none\"", "")
                .replaceAll(",\\s*\"trackWeightNorms\": false", "");
        assertThat(old).doesNotContain("inputCorruption").doesNotContain("trackWeightNorms");
        ExperimentConfig o = ExperimentConfig.fromJson(old, "old.json");
        assertThat(o.inputCorruption()).isEqualTo("none");
        assertThat(o.trackWeightNorms()).isFalse();
        assertThat(o.corruptsInputs()).isFalse();
        assertThatThrownBy(() -> c.toBuilder().inputCorruption("blur").build()).hasMessageContaining("inputCorruption")
                .hasMessageContaining("blur").hasMessageContaining("shuffled-pixels");
        assertThat(c.withValues(java.util.Map.of("inputCorruption", "gaussian"), "sweep").inputCorruption())
                .isEqualTo("gaussian");
    }
}
