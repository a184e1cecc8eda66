package dev.engram.memorization.localize;

import dev.engram.memorization.data.ExampleSet;
import dev.engram.nn.models.Mlp;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Injection fine-tunes exactly the chosen units' incoming weights until the example is memorized; on the hand-built
 * model of {@link LocalizationMethodsTest}, row 1 (class 0) is relabelled 2 and injected through the constant unit h5,
 * the one live unit that feeds class 2 for it.
 */
class InjectionGroundTruthTest {
    @Test
    void onlyTheChosenUnitsIncomingWeightsChangeAndTheExampleIsMemorized() {
        Mlp model = LocalizationMethodsTest.model();
        ExampleSet d = LocalizationMethodsTest.data();
        int[] labels = d.labels().clone();
        labels[1] = 2;
        ExampleSet data = new ExampleSet(d.x(), labels, d.ids(), d.noisy(), 1, 2, 2, 3);
        MaskedModel m = new MaskedModel(model, null, data);
        assertEquals(0, MaskedModel.argmax(m.evaluate(new int[] {1}, null, null).logits()[0]));
        Map<String, float[]> start = new LinkedHashMap<>();
        model.namedParameters().forEach((n, p) -> start.put(n, p.toFloatArray()));
        Map<String, String[]> incoming = InjectionGroundTruth.incomingWeights(m);
        assertArrayEquals(new String[] {"1.weight", "1.bias"}, incoming.get("2.out"));
        boolean[] set = new boolean[m.units()];
        set[5] = true;
        int steps = InjectionGroundTruth.inject(m, 1, set, incoming, 2000, 0.5, new int[] {2, 3, 5, 6}); // kept: inputs 2, 3
        assertTrue(steps > 0 && steps < 2000, "memorized within the budget after " + steps + " steps");
        double[] p = MaskedModel.softmax(m.evaluate(new int[] {1}, null, null).logits()[0]);
        assertTrue(p[2] >= 0.9, "p(new label) " + p[2]);
        for (var e : model.namedParameters().entrySet()) {
            float[] now = e.getValue().toFloatArray(), was = start.get(e.getKey());
            int per = e.getKey().equals("1.weight") ? 4 : 1;
            for (int k = 0; k < now.length; k++) {
                boolean chosen = e.getKey().startsWith("1.") && k / per == 5;
                if (!chosen) assertEquals(was[k], now[k], 0f, e.getKey() + "[" + k + "] is frozen");
            }
            assertTrue(e.getValue().requiresGrad(), "trainability restored");
        }
        assertNotEquals(start.get("1.bias")[5], model.namedParameters().get("1.bias").toFloatArray()[5], "the chosen unit moved");
    }
}
