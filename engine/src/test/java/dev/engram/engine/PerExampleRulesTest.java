package dev.engram.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static dev.engram.engine.PerExampleFixtures.all;
import static dev.engram.engine.PerExampleFixtures.assertClose;
import static dev.engram.engine.PerExampleFixtures.batchOfOne;
import static dev.engram.engine.PerExampleFixtures.rows;
import static org.assertj.core.api.Assertions.assertThat;

/** A new op registers its own per-example rule and is then handled without the fallback. */
class PerExampleRulesTest {

    /** {@code y[b, c] = x[b, c] * s[c]}: a tiny parametric op defined outside the engine's op files. */
    static final class ChannelScaleNode extends Node {
        ChannelScaleNode(Tensor x, Tensor s) {
            super(x, s);
        }

        static Tensor apply(Tensor x, Tensor s) {
            Tensor y;
            try (Grad g = Grad.disabled()) {
                y = x.detach().mul(s.detach());
            }
            return Tensor.record(y, new ChannelScaleNode(x, s));
        }

        @Override
        protected Tensor[] backward(Tensor dy) {
            Tensor dx = needsGrad(0) ? dy.mul(inputs[1].detach()) : null;
            Tensor ds = needsGrad(1) ? dy.mul(inputs[0].detach()).sum(0, false) : null;
            return new Tensor[] {dx, ds};
        }

        @Override
        public String name() {
            return "channel_scale";
        }
    }

    static final PerExampleRule RULE = new PerExampleRule() {
        @Override
        public boolean covers(Node node, int inputIndex) {
            return inputIndex == 1;
        }

        @Override
        public void apply(Node node, Tensor dy, PerExampleSink sink) {
            Tensor x = node.input(0), s = node.input(1);
            if (sink.wants(s)) sink.add(s, dy.mul(x.detach()), x.dim(0), "channel_scale");
        }
    };

    @AfterEach
    void unregister() {
        PerExampleRules.unregister(ChannelScaleNode.class);
    }

    @Test
    void registeredRuleIsUsedInsteadOfTheFallback() {
        Gen g = new Gen(31);
        int b = 4;
        Tensor x = Tensor.of(g.values(b * 3, -1, 1), b, 3);
        Tensor s = g.param(3), w = g.param(2, 3);
        int[] y = g.labels(b, 2);
        Function<int[], Tensor> terms = idx -> Functional.crossEntropyPerExample(
                Functional.linear(ChannelScaleNode.apply(rows(x, idx), s).tanh(), w, null),
                PerExampleGradientsTest.labels(y, idx));
        float[][] ref = batchOfOne(List.of(s, w), terms, b, 1f / b);

        assertThat(PerExampleRules.find(ChannelScaleNode.class)).isNull();
        PerExampleRules.register(ChannelScaleNode.class, RULE);
        assertThat(PerExampleRules.find(ChannelScaleNode.class)).isSameAs(RULE);
        PerExampleGradients pe;
        try (PerExampleGradients open = PerExample.collect(List.of(s, w), PerExample.Mode.GRADIENTS)) { // no closure needed
            pe = open;
            terms.apply(all(b)).mean().backward();
        }
        assertClose(pe.gradients(s).toFloatArray(), ref[0], 2e-3, "registered rule");
        assertClose(pe.gradients(w).toFloatArray(), ref[1], 2e-3, "linear rule");
    }
}
