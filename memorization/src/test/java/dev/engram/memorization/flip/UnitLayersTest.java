package dev.engram.memorization.flip;

import dev.engram.nn.Module;
import dev.engram.nn.models.Models;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit layers are named by the layer group they belong to or follow, numbered in forward order. */
class UnitLayersTest {
    @Test
    void mlpTapsFollowTheirLinearLayer() {
        Module m = Models.create("mlp", 1, 28, 10, 1);
        assertThat(UnitLayers.groupOf(m, "2.out")).isEqualTo("fc1");
        assertThat(UnitLayers.groupOf(m, "4.out")).isEqualTo("fc2");
        assertThat(UnitLayers.label(m, "4.out")).isEqualTo("2 fc2 (4.out)");
        assertThat(UnitLayers.forwardOrder(m, List.of("4.out", "2.out"))).containsExactly("2.out", "4.out");
    }

    @Test
    void cnnAndResNetTapsAndParameters() {
        Module cnn = Models.create("cnn", 1, 28, 10, 1);
        assertThat(UnitLayers.groupOf(cnn, "1.out")).isEqualTo("conv1");
        assertThat(UnitLayers.groupOf(cnn, "4.out")).isEqualTo("conv2");
        assertThat(UnitLayers.groupOf(cnn, "8.out")).isEqualTo("fc1");
        assertThat(UnitLayers.groupOf(cnn, "7.weight")).isEqualTo("fc1");
        Module r = Models.create("resnet9-w0.25", 3, 32, 10, 1);
        assertThat(UnitLayers.groupOf(r, "0.out")).isEqualTo("conv1");
        assertThat(UnitLayers.groupOf(r, "2.module.0.out")).isEqualTo("res1.0");
        assertThat(UnitLayers.groupOf(r, "2.out")).isEqualTo("res1.1"); // the residual sum ends with res1's last conv
        assertThat(UnitLayers.groupOf(r, "6.out")).isEqualTo("conv4");
        assertThat(UnitLayers.groupOf(r, "no.such")).isNull();
        assertThat(UnitLayers.label(r, "no.such")).isEqualTo("no.such");
    }
}
