package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.engram.nn.layers.TestValues.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parameter counts, state-dict names, layer groups and taps of the five models. */
class ModelStructureTest {

    @Test
    void mlpCountsNamesAndShapes() {
        Mlp mlp = new Mlp(1, 784, 512, 512, 10);
        // (784*512 + 512) + (512*512 + 512) + (512*10 + 10) = 401,920 + 262,656 + 5,130
        assertThat(mlp.parameterCount()).isEqualTo(669_706L);
        assertThat(mlp.namedParameters().keySet()).containsExactly("1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias");
        assertThat(mlp.forward(uniform(1, 2, 1, 28, 28)).shape()).containsExactly(2, 10);
        assertThat(mlp.layerGroups().keySet()).containsExactly("fc1", "fc2", "fc3");
        assertThat(mlp.tapNames()).containsExactly("2.out", "4.out");
    }

    @Test
    void smallCnnMatchesTheBenchmarkModel() {
        SmallCnn cnn = new SmallCnn(1);
        // conv 1*32*9+32 = 320; conv 32*64*9+64 = 18,496; fc 3136*128+128 = 401,536; fc 128*10+10 = 1,290
        assertThat(cnn.parameterCount()).isEqualTo(421_642L);
        assertThat(cnn.forward(uniform(2, 2, 1, 28, 28)).shape()).containsExactly(2, 10);
        assertThat(cnn.tapNames()).containsExactly("1.out", "4.out", "8.out");
    }

    @Test
    void resNet9HasThePapersParameterCountsAndReferenceNames() {
        ResNet9 cifar = new ResNet9(3, 10, 1);
        assertThat(cifar.parameterCount()).isEqualTo(2_274_880L);
        assertThat(new ResNet9(1, 10, 1).parameterCount()).isEqualTo(2_273_728L);
        assertThat(cifar.summary()).startsWith("ResNet9").contains("2.module.0.0.weight").contains("2,274,880");
        assertThat(cifar.stateDict().keySet()).contains("0.0.weight", "0.1.weight", "0.1.bias", "0.1.running_mean", "0.1.running_var",
                "0.1.num_batches_tracked", "1.0.weight", "2.module.0.0.weight", "2.module.1.1.bias", "5.module.1.0.weight", "6.1.weight",
                "9.weight");
        assertThat(cifar.namedParameters().keySet()).doesNotContain("9.bias");
        assertThat(cifar.namedParameters().get("1.0.weight").shape()).containsExactly(128, 64, 5, 5);
        assertThat(cifar.namedParameters().get("6.0.weight").shape()).containsExactly(128, 256, 3, 3);
        // 8 BN layers, 64+128+128+128+256+256+256+128 = 1,344 channels, two running statistics each
        assertThat(ModelSupport.bufferElements(cifar, "running_mean") + ModelSupport.bufferElements(cifar, "running_var")).isEqualTo(2_688L);
    }

    @Test
    void resNet9DawnMatchesTheBenchmarkElementCount() {
        ResNet9Dawn dawn = new ResNet9Dawn(3, 10, 1);
        // convs 1,728 + 73,728 + 2*147,456 + 294,912 + 1,179,648 + 2*2,359,296 = 6,563,520; BN affine 4,480; linear 5,120
        assertThat(dawn.parameterCount()).isEqualTo(6_573_120L);
        long running = ModelSupport.bufferElements(dawn, "running_mean") + ModelSupport.bufferElements(dawn, "running_var");
        assertThat(running).isEqualTo(4_480L);
        assertThat(dawn.parameterCount() + running).isEqualTo(6_577_600L);
        assertPartition(dawn, dawn.layerGroups(), Set.of());
        assertThat(record(dawn, uniform(4, 1, 3, 32, 32), true).get("8.out")).containsExactly(1, 512, 4, 4);
    }

    @Test
    void visionTransformerParameterCounts() {
        /*
         * paper config, 3x32x32, patch 2 -> 256 patches:
         *   pos_embedding 257*512 = 131,584; cls_token 512
         *   SPT: patch vector 2*2*5*3 = 60: LayerNorm 120 + Linear 60*512+512 = 31,232
         *   per block: attn norm 1,024 + temperature 1 + to_qkv 512*1536 = 786,432 + to_out 512*512+512 = 262,656
         *              + mlp norm 1,024 + net.0 262,656 + net.3 262,656 = 1,576,449; six blocks 9,458,694
         *   head: LayerNorm 1,024 + Linear 512*10+10 = 5,130
         *   total 131,584 + 512 + 31,352 + 9,458,694 + 6,154 = 9,628,296
         */
        assertThat(new VisionTransformer(VisionTransformer.Config.paper(3, 32), 1).parameterCount()).isEqualTo(9_628_296L);
        /*
         * MNIST 1x28x28: 196 patches -> pos 197*512 = 100,864; SPT vector 20: 40 + 20*512+512 = 10,752
         *   total 100,864 + 512 + 10,792 + 9,458,694 + 6,154 = 9,577,016
         */
        assertThat(new VisionTransformer(VisionTransformer.Config.paper(1, 28), 1).parameterCount()).isEqualTo(9_577_016L);
        /*
         * tiny(3, 8, patch 2, 10 classes): dim 32, 2 blocks, 2 heads x 16, MLP 64; 16 patches
         *   pos 17*32 = 544; cls 32; SPT vector 60: 120 + 60*32+32 = 1,952 -> 2,072
         *   block: 64 + 1 + 32*96 = 3,072 + 32*32+32 = 1,056 + 64 + (32*64+64 = 2,112) + (64*32+32 = 2,080) = 8,449; two 16,898
         *   head: 64 + 330 = 394
         *   total 544 + 32 + 2,072 + 16,898 + 394 = 19,940
         */
        assertThat(new VisionTransformer(VisionTransformer.Config.tiny(3, 8, 2, 10), 1).parameterCount()).isEqualTo(19_940L);
    }

    @Test
    void layerGroupsNameExistingParametersAndMatchTheReferenceTables() {
        ResNet9 r9 = new ResNet9(3, 10, 0.125, 1);
        var g9 = r9.layerGroups();
        assertThat(g9.keySet()).containsExactly("conv1", "conv2", "res1.0", "res1.1", "conv3", "res2.0", "res2.1", "conv4", "linear");
        assertThat(g9.get("res1.0")).containsExactly("2.module.0.0.weight", "2.module.0.1.weight", "2.module.0.1.bias");
        assertThat(g9.get("linear")).containsExactly("9.weight");
        assertPartition(r9, g9, Set.of());

        VisionTransformer vit = new VisionTransformer(VisionTransformer.Config.paper(3, 32), 1);
        var gv = vit.layerGroups();
        assertThat(gv).hasSize(8);
        assertThat(gv.get("block0")).hasSize(12).contains("transformer.layers.0.0.fn.temperature", "transformer.layers.0.1.fn.net.3.bias");
        assertThat(gv.get("head")).containsExactly("mlp_head.0.weight", "mlp_head.0.bias", "mlp_head.1.weight", "mlp_head.1.bias");
        for (List<String> names : gv.values()) assertThat(vit.namedParameters().keySet()).containsAll(names);
        Set<String> grouped = new HashSet<>();
        gv.values().forEach(grouped::addAll);
        Set<String> ungrouped = new HashSet<>(vit.namedParameters().keySet());
        ungrouped.removeAll(grouped);
        assertThat(ungrouped).containsExactlyInAnyOrder("pos_embedding", "cls_token");

        for (HasLayerGroups m : List.<HasLayerGroups>of(new Mlp(1, 8, 4, 2), new SmallCnn(1))) {
            assertPartition((Module) m, m.layerGroups(), Set.of());
        }
    }

    /** Every parameter outside {@code exempt} is in exactly one group, and groups name only parameters. */
    static void assertPartition(Module m, Map<String, List<String>> groups, Set<String> exempt) {
        List<String> all = new ArrayList<>();
        groups.values().forEach(all::addAll);
        assertThat(all).doesNotHaveDuplicates();
        Set<String> expected = new HashSet<>(m.namedParameters().keySet());
        expected.removeAll(exempt);
        assertThat(new HashSet<>(all)).isEqualTo(expected);
    }

    @Test
    void recordedTapsAreTheDocumentedOnes() {
        record(new Mlp(1, 12, 6, 5, 3), uniform(1, 2, 12));
        record(new SmallCnn(1, 8, 10, 1), uniform(2, 2, 1, 8, 8));
        ResNet9 r9 = new ResNet9(3, 10, 0.125, 1);
        Map<String, int[]> shapes = record(r9, uniform(3, 2, 3, 32, 32));
        assertThat(r9.tapNames()).containsAll(ResNet9.ETD_TAPS);
        assertThat(ResNet9.ETD_POSITIONS.keySet()).containsExactly("conv1", "conv2", "res1", "conv3", "res2", "conv4");
        assertThat(List.copyOf(ResNet9.ETD_POSITIONS.values())).isEqualTo(ResNet9.ETD_TAPS);
        assertThat(shapes.get("2.out")).containsExactly(2, 16, 16, 16);   // res1 output
        assertThat(shapes.get("0.out")).containsExactly(2, 8, 32, 32);
        assertThat(shapes.get("3.out")).containsExactly(2, 32, 16, 16);   // conv3, before the max-pool
        assertThat(shapes.get("6.out")).containsExactly(2, 16, 6, 6);     // conv4, before the global max-pool
        VisionTransformer vit = new VisionTransformer(VisionTransformer.Config.tiny(1, 4, 2, 10), 1);
        Map<String, int[]> vs = record(vit, uniform(6, 2, 1, 4, 4));
        assertThat(vs.get("transformer.layers.1.1.fn.hidden")).containsExactly(2, 5, 64);
    }

    private static Map<String, int[]> record(Module m, Tensor x) {
        return record(m, x, false);
    }

    static Map<String, int[]> record(Module m, Tensor x, boolean eval) {
        if (eval) m.eval();
        try (Taps.Recorder rec = Taps.record()) {
            m.forward(x);
            assertThat(List.copyOf(rec.shapes().keySet())).as(m.getClass().getSimpleName()).isEqualTo(((HasTaps) m).tapNames());
            return rec.shapes();
        }
    }

    @Test
    void replacingATapByZerosChangesTheOutput() {
        List<Module> models = List.of(new Mlp(1, 12, 6, 3), new ResNet9(3, 10, 0.125, 1),
                new VisionTransformer(VisionTransformer.Config.tiny(1, 4, 2, 10), 1));
        List<Tensor> inputs = List.of(uniform(1, 2, 12), uniform(2, 2, 3, 16, 16), uniform(3, 2, 1, 4, 4));
        for (int i = 0; i < models.size(); i++) {
            Module m = models.get(i).eval();
            float[] plain = m.forward(inputs.get(i)).toFloatArray();
            for (String tap : ((HasTaps) m).tapNames()) {
                Function<Tensor, Tensor> zero = t -> t.mul(0f);
                try (Taps t = Taps.replace(Map.of(tap, zero))) {
                    assertThat(m.forward(inputs.get(i)).toFloatArray()).as(tap).isNotEqualTo(plain);
                }
            }
            assertThat(m.forward(inputs.get(i)).toFloatArray()).isEqualTo(plain);
        }
    }

    @Test
    void sameSeedSameModelDifferentSeedDifferentModel() {
        var a = new ResNet9(3, 10, 0.125, 5).stateDict();
        var b = new ResNet9(3, 10, 0.125, 5).stateDict();
        var c = new ResNet9(3, 10, 0.125, 6).stateDict();
        for (String k : a.keySet()) assertThat(a.get(k).toFloatArray()).as(k).isEqualTo(b.get(k).toFloatArray());
        assertThat(a.get("0.0.weight").toFloatArray()).isNotEqualTo(c.get("0.0.weight").toFloatArray());
        // distinct parameters draw distinct streams
        assertThat(a.get("2.module.0.0.weight").toFloatArray()).isNotEqualTo(a.get("2.module.1.0.weight").toFloatArray());
    }

    @Test
    void modelsByName() {
        assertThat(Models.create("mlp", 1, 28, 10, 1).parameterCount()).isEqualTo(669_706L);
        assertThat(Models.create("cnn", 1, 28, 10, 1).parameterCount()).isEqualTo(421_642L);
        assertThat(Models.create("resnet9", 1, 28, 10, 1).parameterCount()).isEqualTo(2_273_728L);
        assertThat(Models.create("vit-tiny", 1, 28, 10, 1)).isInstanceOf(VisionTransformer.class);
        assertThat(((VisionTransformer) Models.create("vit-tiny", 1, 28, 10, 1)).config().patch()).isEqualTo(2);
        assertThatThrownBy(() -> Models.create("resnet18", 3, 32, 10, 1)).hasMessageContaining("unknown model 'resnet18'")
                .hasMessageContaining("resnet9, resnet9-dawn");
        assertThatThrownBy(() -> Models.create("resnet9-dawn", 1, 28, 10, 1)).hasMessageContaining("32x32");
    }

    @Test
    void reducedWidthResNet9ByNameKeepsTheLayersAndNames() {
        Module full = Models.create("resnet9", 1, 28, 10, 1);
        Module quarter = Models.create("resnet9-w0.25", 1, 28, 10, 1);
        assertThat(((ResNet9) quarter).widths()).containsExactly(16, 32, 32, 32, 64, 64, 64, 32);
        assertThat(((ResNet9) full).widths()).containsExactly(64, 128, 128, 128, 256, 256, 256, 128);
        assertThat(quarter.namedParameters().keySet()).isEqualTo(full.namedParameters().keySet());
        assertThat(Models.create("resnet9-w1", 1, 28, 10, 1).parameterCount()).isEqualTo(full.parameterCount());
        assertThat(Models.isKnown("resnet9-w0.5")).isTrue();
        assertThat(Models.isKnown("resnet9-w0")).isFalse();
        assertThat(Models.isKnown("resnet9-w2")).isFalse();
        assertThatThrownBy(() -> Models.create("resnet9-wx", 1, 28, 10, 1)).hasMessageContaining("unknown model");
        // a width outside (0, 1] is refused with the family's form named, not only the fixed names
        assertThatThrownBy(() -> Models.create("resnet9-w0", 1, 28, 10, 1)).hasMessageContaining("unknown model 'resnet9-w0'")
                .hasMessageContaining("resnet9-wF (F in (0, 1]");
    }

    @Test
    void badInputsAreRejectedWithClearMessages() {
        assertThatThrownBy(() -> new VisionTransformer(VisionTransformer.Config.tiny(3, 8, 2, 10), 1).forward(Tensor.zeros(1, 3, 6, 6)))
                .hasMessageContaining("[B, 3, 8, 8]").hasMessageContaining("[1, 3, 6, 6]");
        assertThatThrownBy(() -> VisionTransformer.Config.tiny(3, 9, 2, 10)).hasMessageContaining("multiple of patch 2");
        assertThatThrownBy(() -> new SmallCnn(1, 30, 10, 1)).hasMessageContaining("multiple of 4");
        assertThatThrownBy(() -> new Mlp(1, 10)).hasMessageContaining("at least input and output");
    }
}
