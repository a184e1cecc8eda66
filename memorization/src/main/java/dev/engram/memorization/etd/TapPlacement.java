package dev.engram.memorization.etd;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Taps;
import dev.engram.nn.layers.Dropout;
import dev.engram.nn.layers.ExampleTiedDropout;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Layers inserted into a model at named activation taps ({@link Taps#intercept}) instead of editing the model: the
 * model's own parameters and state-dict names stay untouched, and the same model class serves with and without
 * the inserted layers. Each placement gets its own layer (and, for example-tied dropout, its own layer id, so that
 * equal-width layers do not share masks; docs/methods.md §9 items 20 and 22).
 *
 * <p>For ResNet-9 the taps {@code ResNet9.ETD_TAPS} are the six positions of the reference's
 * {@code ResNet9_dropout} (docs/methods.md §6.2); for an MLP the hidden ReLU outputs; for the small CNN both conv ReLUs and the
 * hidden fully connected ReLU.
 */
public final class TapPlacement {
    private final Map<String, Module> layers;

    private TapPlacement(Map<String, Module> layers) {
        this.layers = Collections.unmodifiableMap(layers);
    }

    /** One layer per tap, made by {@code factory(tapName, position)}. */
    public static TapPlacement of(List<String> taps, BiFunction<String, Integer, Module> factory) {
        if (taps.isEmpty()) throw new IllegalArgumentException("tap placement: no taps given");
        Map<String, Module> m = new LinkedHashMap<>();
        for (int i = 0; i < taps.size(); i++) {
            if (m.put(taps.get(i), factory.apply(taps.get(i), i)) != null) {
                throw new IllegalArgumentException("tap placement: tap " + taps.get(i) + " given twice");
            }
        }
        return new TapPlacement(m);
    }

    /** Example-tied dropout after every tap, layer id = position. */
    public static TapPlacement exampleTied(List<String> taps, double pGen, double pMem, long seed) {
        return of(taps, (name, i) -> new ExampleTiedDropout(pGen, pMem, i, seed));
    }

    /** Standard (inverted, fresh every forward) dropout with drop probability {@code p} after every tap. */
    public static TapPlacement standardDropout(List<String> taps, double p, long seed) {
        return of(taps, (name, i) -> new Dropout((float) p, seed * 31 + i));
    }

    /** A fixed sparse mask (keep probability {@code 1 - p}, scaled) after every tap, at training and test time. */
    public static TapPlacement fixedMask(List<String> taps, double p, long seed) {
        return of(taps, (name, i) -> new FixedSparseMask(p, seed, i));
    }

    /** Routes the taps through the layers until the returned context is closed. */
    public Taps open() {
        return Taps.intercept((name, x) -> {
            Module l = layers.get(name);
            return l == null ? x : l.forward(x);
        });
    }

    /** Runs {@code model.forward(x)} with the layers in place. */
    public Tensor forward(Module model, Tensor x) {
        try (Taps t = open()) {
            return model.forward(x);
        }
    }

    /** Training or evaluation mode for every inserted layer. */
    public void train(boolean on) {
        layers.values().forEach(l -> l.train(on));
    }

    /** Sets the evaluation mode of every example-tied dropout layer. */
    public void setEvalMode(ExampleTiedDropout.Mode mode) {
        for (Module l : layers.values()) if (l instanceof ExampleTiedDropout e) e.setEvalMode(mode);
    }

    /** The inserted layers by tap name. */
    public Map<String, Module> layers() {
        return layers;
    }
}
