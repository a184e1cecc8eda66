package dev.engram.nn.models;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static dev.engram.nn.layers.TestValues.labels;
import static dev.engram.nn.layers.TestValues.uniform;
import static dev.engram.nn.models.ModelStructureTest.assertPartition;
import static dev.engram.nn.models.ModelStructureTest.record;
import static dev.engram.nn.models.ModelTrainingTest.stepLowersLoss;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** ResNet-50 in one test: building 23.5M parameters is the expensive part, so it happens once. */
class ResNet50Test {

    @Test
    void torchvisionLayoutCountsGroupsTapsInitAndOneStep() {
        ResNet50 r = new ResNet50(3, 10, 1);
        /*
         * stem: conv1 3*64*49 = 9,408 + bn1 128                                           =      9,536
         * layer1: block0 4,096+36,864+16,384 + ds 16,384 + BN (64+64+256+256)*2 = 75,008;
         *         blocks 1-2: 16,384+36,864+16,384 + BN 768 = 70,400 each                 =    215,808
         * layer2: block0 32,768+147,456+65,536 + ds 131,072 + BN 2,560 = 379,392;
         *         blocks 1-3: 65,536+147,456+65,536 + BN 1,536 = 280,064 each             =  1,219,584
         * layer3: block0 131,072+589,824+262,144 + ds 524,288 + BN 5,120 = 1,512,448;
         *         blocks 1-5: 262,144+589,824+262,144 + BN 3,072 = 1,117,184 each         =  7,098,368
         * layer4: block0 524,288+2,359,296+1,048,576 + ds 2,097,152 + BN 10,240 = 6,039,552;
         *         blocks 1-2: 1,048,576+2,359,296+1,048,576 + BN 6,144 = 4,462,592 each    = 14,964,736
         * fc: 2048*10 + 10                                                                 =     20,490
         * total 23,528,522 (torchvision's 25,557,032 minus its 2,049,000-parameter fc plus ours)
         */
        assertThat(r.parameterCount()).isEqualTo(23_528_522L);
        assertThat(r.namedParameters().keySet()).contains("conv1.weight", "bn1.weight", "layer1.0.downsample.0.weight",
                "layer1.0.downsample.1.weight", "layer2.0.conv1.weight", "layer4.2.bn3.bias", "fc.weight", "fc.bias");
        assertThat(r.namedParameters().keySet()).doesNotContain("layer1.1.downsample.0.weight");
        assertThat(r.namedParameters().get("layer2.0.conv2.weight").shape()).containsExactly(128, 128, 3, 3);
        assertThat(r.namedBuffers().keySet()).contains("layer3.5.bn2.running_var", "layer1.0.downsample.1.running_mean");

        var groups = r.layerGroups();
        assertThat(groups.keySet()).containsExactly("stem", "layer1", "layer2", "layer3", "layer4", "fc");
        assertThat(groups.get("layer1")).hasSize(30).contains("layer1.0.downsample.1.bias"); // as the reference list
        assertThat(groups.get("layer3")).hasSize(57);
        assertPartition(r, groups, Set.of());

        // torchvision init: He normal with fan-out for convs, so layer4's 3x3 conv has std sqrt(2 / (512*9))
        float[] w = r.namedParameters().get("layer4.1.conv2.weight").toFloatArray();
        double ss = 0;
        for (float v : w) ss += v * v;
        assertThat(Math.sqrt(ss / w.length)).isCloseTo(Math.sqrt(2.0 / (512 * 9)), within(2e-4));

        // 32x32: stem 16x16, max-pool 8x8, layer2 4x4, layer3 2x2, layer4 1x1
        Map<String, int[]> taps = record(r, uniform(5, 1, 3, 32, 32), true);
        assertThat(taps.get("relu.out")).containsExactly(1, 64, 16, 16);
        assertThat(taps.get("layer4.2.out")).containsExactly(1, 2048, 1, 1);
        assertThat(r.forward(uniform(6, 1, 3, 32, 32)).shape()).containsExactly(1, 10);

        r.train(true);
        // the fc's curvature grows with the 2048 features, so the step must be small
        stepLowersLoss(r, uniform(7, 2, 3, 32, 32), labels(2, 10), 2e-4f);
    }

    @Test
    void stemVariants() {
        // a 3x3 stem instead of 7x7: 23,528,522 - 9,408 + 1,728
        assertThat(new ResNet50(3, 10, true, 1).parameterCount()).isEqualTo(23_520_842L);
        // 1-channel stem (MNIST): 23,528,522 - 2*64*49
        assertThat(new ResNet50(1, 10, 1).parameterCount()).isEqualTo(23_522_250L);
    }
}
