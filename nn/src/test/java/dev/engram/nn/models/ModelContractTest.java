package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Linear;
import dev.engram.nn.layers.ReLU;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelContractTest {
    /** Meets the contract: flatten, fc1, relu (tap "hidden"), fc2. */
    public static class GoodNet extends Module implements HasLayerGroups, HasTaps {
        private final Linear fc1, fc2;
        private final ReLU relu = new ReLU();

        public GoodNet(int channels, int imageSize, int classes, long seed) {
            Seeds s = Seeds.of(seed);
            fc1 = registerModule("fc1", new Linear(channels * imageSize * imageSize, 8, true, s));
            fc2 = registerModule("fc2", new Linear(8, classes, true, s));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor h = tap("hidden", relu.forward(fc1.forward(x.reshape(x.shape()[0], -1))));
            return fc2.forward(h);
        }

        @Override
        public LinkedHashMap<String, List<String>> layerGroups() {
            LinkedHashMap<String, List<String>> g = new LinkedHashMap<>();
            g.put("fc1", List.of("fc1.weight", "fc1.bias"));
            g.put("fc2", List.of("fc2.weight", "fc2.bias"));
            return g;
        }

        @Override
        public List<String> tapNames() {
            return List.of("hidden");
        }
    }

    /** Lists a tap it never hits and a group naming a parameter that does not exist. */
    public static class LyingNet extends GoodNet {
        public LyingNet(int channels, int imageSize, int classes, long seed) {
            super(channels, imageSize, classes, seed);
        }

        @Override
        public LinkedHashMap<String, List<String>> layerGroups() {
            LinkedHashMap<String, List<String>> g = super.layerGroups();
            g.put("head", List.of("head.weight"));
            return g;
        }

        @Override
        public List<String> tapNames() {
            return List.of("hidden", "nowhere");
        }
    }

    /** No (int, int, int, long) constructor and no taps. */
    public static class NoConstructor extends Module implements HasLayerGroups {
        public NoConstructor(long seed) { }

        @Override public Tensor forward(Tensor x) { return x; }

        @Override public LinkedHashMap<String, List<String>> layerGroups() { return new LinkedHashMap<>(); }
    }

    /** Meets the contract's shapes but computes NaN logits. */
    public static class NanNet extends GoodNet {
        public NanNet(int channels, int imageSize, int classes, long seed) {
            super(channels, imageSize, classes, seed);
        }

        @Override
        public Tensor forward(Tensor x) {
            return super.forward(x).mul(Float.NaN);
        }
    }

    /** Its static initializer throws, which happens at the first construction. */
    public static class BrokenStaticNet extends GoodNet {
        static final int BOOM = boom();

        static int boom() {
            throw new IllegalStateException("static boom");
        }

        public BrokenStaticNet(int channels, int imageSize, int classes, long seed) {
            super(channels, imageSize, classes, seed);
        }
    }

    @Test
    void nonFiniteLogitsAndAFailingStaticInitializerAreReportedAsContractProblems() {
        assertThatThrownBy(() -> ModelContract.create(cls(NanNet.class), 1, 4, 3, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite logits");
        assertThatThrownBy(() -> ModelContract.create(cls(BrokenStaticNet.class), 1, 4, 3, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("static initializer failed")
                .hasMessageContaining("static boom");
    }

    private static String cls(Class<?> c) {
        return "class:" + c.getName();
    }

    @Test
    void aClassMeetingTheContractIsBuiltByTheFactory() {
        assertThat(Models.isKnown(cls(GoodNet.class))).isTrue();
        Module m = Models.create(cls(GoodNet.class), 1, 4, 3, 7);
        assertThat(m).isInstanceOf(GoodNet.class);
        assertThat(ModelContract.check(m, 1, 4, 3)).isEmpty();
        Module again = Models.create(" " + cls(GoodNet.class) + " ", 1, 4, 3, 7);
        assertThat(again.stateDict().get("fc1.weight").toFloatArray()).containsExactly(m.stateDict().get("fc1.weight").toFloatArray());
        assertThat(Models.canonicalName(cls(GoodNet.class))).isEqualTo(cls(GoodNet.class));
    }

    @Test
    void aMissingClassOrABrokenContractIsRefusedWithTheReason() {
        assertThat(Models.isKnown("class:com.example.Missing")).isFalse();
        assertThatThrownBy(() -> Models.create("class:com.example.Missing", 1, 4, 3, 7))
                .hasMessageContaining("com.example.Missing is not on the class path");
        assertThatThrownBy(() -> Models.create(cls(NoConstructor.class), 1, 4, 3, 7))
                .hasMessageContaining("implement dev.engram.nn.models.HasTaps")
                .hasMessageContaining("public constructor (int channels, int imageSize, int classes, long seed)");
        assertThatThrownBy(() -> Models.create("class:java.lang.String", 1, 4, 3, 7))
                .hasMessageContaining("extend dev.engram.nn.Module");
        assertThatThrownBy(() -> Models.create(cls(LyingNet.class), 1, 4, 3, 7))
                .hasMessageContaining("does not meet the model contract")
                .hasMessageContaining("'head.weight', which is not a parameter")
                .hasMessageContaining("[hidden, nowhere] differ from the taps the forward pass hits, in order: [hidden]");
        assertThatThrownBy(() -> Models.create(cls(GoodNet.class), 1, 4, 0, 7)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Models.create("class:", 1, 4, 3, 7)).hasMessageContaining("no class name");
    }

    /** Claims to start at its tap but ignores the activation: the check must catch it. */
    public static class WrongStartNet extends GoodNet {
        public WrongStartNet(int channels, int imageSize, int classes, long seed) {
            super(channels, imageSize, classes, seed);
        }

        @Override
        public Tensor forwardFrom(String tap, Tensor activation) {
            return super.forward(Tensor.zeros(activation.shape()[0], 1, 4, 4));
        }
    }

    @Test
    void theBuiltInChainsStartAtTheirTapsWithTheBitsOfAWholePass() {
        Module mlp = new Mlp(3, 16, 12, 9, 5);
        Module cnn = new SmallCnn(1, 8, 5, 4);
        for (Module m : List.of(mlp, cnn)) {
            int side = m == mlp ? 4 : 8;
            assertThat(ModelContract.check(m, 1, side, 5)).as(m.getClass().getSimpleName()).isEmpty();
            HasTaps h = (HasTaps) m;
            float[] wave = new float[2 * side * side];
            for (int i = 0; i < wave.length; i++) wave[i] = (float) Math.cos(1.3 * i);
            Tensor x = Tensor.of(wave, 2, 1, side, side);
            for (String tap : h.tapNames()) {
                Tensor[] seen = new Tensor[1];
                Tensor y;
                try (dev.engram.nn.Taps t = dev.engram.nn.Taps.intercept((name, a) -> {
                    if (name.equals(tap)) seen[0] = a;
                    return a;
                })) {
                    y = m.forward(x);
                }
                assertThat(h.forwardFrom(tap, seen[0]).toFloatArray()).as("%s from %s", m.getClass().getSimpleName(), tap)
                        .containsExactly(y.toFloatArray());
            }
            assertThatThrownBy(() -> h.forwardFrom("nowhere", x)).hasMessageContaining("'nowhere'");
        }
        assertThat(new GoodNet(1, 4, 3, 7).forwardFrom("hidden", Tensor.zeros(2, 8))).isNull();
        assertThat(ModelContract.check(new WrongStartNet(1, 4, 3, 7), 1, 4, 3))
                .containsExactly("forwardFrom(\"hidden\", the activation at that tap) gives other logits than forward");
    }
}
