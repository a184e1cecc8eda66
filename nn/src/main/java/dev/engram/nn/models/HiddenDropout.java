package dev.engram.nn.models;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;
import dev.engram.nn.layers.Dropout;
import dev.engram.nn.layers.ReLU;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Standard dropout that a model applies after its hidden activations without registering it as a child module, so
 * that adding it changes no state-dict name or layer index. One {@link Dropout} per position, seeded from the model
 * seed and the position.
 */
final class HiddenDropout {
    private final float p;
    private final long seed;
    private static final String KEY = "hiddenDropout";
    private final Map<Integer, Dropout> layers = new HashMap<>();

    HiddenDropout(float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
    }

    float p() {
        return p;
    }

    /**
     * Stream positions of the dropout layers used so far, keyed {@code hiddenDropout<position>} (a layer not yet used
     * is at 0 and absent).
     */
    Map<String, Long> randomState() {
        Map<String, Long> out = new java.util.TreeMap<>();
        layers.forEach((pos, d) -> out.put(KEY + pos, d.counter()));
        return out;
    }

    /**
     * Restores positions saved by {@link #randomState()}.
     *
     * @throws IllegalArgumentException naming a key that is not {@code hiddenDropout<position>}
     */
    void restoreRandomState(Map<String, Long> state) {
        for (var e : state.entrySet()) {
            String k = e.getKey();
            int pos;
            try {
                if (!k.startsWith(KEY)) throw new NumberFormatException();
                pos = Integer.parseInt(k.substring(KEY.length()));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("unknown random state key '" + k + "' (expected " + KEY + "<position>)");
            }
            layer(pos).setCounter(e.getValue());
        }
    }

    private Dropout layer(int position) {
        return layers.computeIfAbsent(position, k -> new Dropout(p, Seeds.mix(seed ^ 0xD80F_0D80L, k)));
    }

    /**
     * The forward pass of a model that is the chain {@code children}, from child {@code from} on: the output of
     * every ReLU (child {@code i}) goes through the tap {@code i.out}, then this dropout.
     */
    Tensor forward(List<Module> children, int from, Tensor x, BiFunction<String, Tensor, Tensor> tap, boolean training) {
        for (int i = from; i < children.size(); i++) {
            Module m = children.get(i);
            x = m.forward(x);
            if (m instanceof ReLU) x = apply(i, tap.apply(i + ".out", x), training);
        }
        return x;
    }

    /**
     * {@link HasTaps#forwardFrom} for such a chain: {@code activation} goes through the tap {@code i.out} and this
     * dropout, then the children after {@code i} run.
     *
     * @throws IllegalArgumentException naming {@code name} if it is not one of {@code taps}
     */
    Tensor forwardFrom(List<Module> children, List<String> taps, String name, Tensor activation,
                       BiFunction<String, Tensor, Tensor> tap, boolean training) {
        if (!taps.contains(name)) throw new IllegalArgumentException("forwardFrom: no tap '" + name + "'; taps: " + taps);
        int i = Integer.parseInt(name.substring(0, name.indexOf('.')));
        return forward(children, i + 1, apply(i, tap.apply(name, activation), training), tap, training);
    }

    /** {@code x} with dropout applied in training mode (identity in evaluation mode or with p = 0). */
    Tensor apply(int position, Tensor x, boolean training) {
        if (p == 0f || !training) return x;
        return layer(position).forward(x);
    }
}
