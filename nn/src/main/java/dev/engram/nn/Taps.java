package dev.engram.nn;

import dev.engram.engine.Tensor;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Named activation taps: places in a model's forward pass where an activation can be observed
 * or replaced without editing the model (neuron masks, example-tied dropout, recording).
 *
 * <pre>{@code
 * try (var t = Taps.intercept((name, x) -> name.equals("layer1.relu") ? Functional.mask(x, m) : x)) {
 *     model.forward(input);
 * }
 * }</pre>
 */
public final class Taps implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Taps>> ACTIVE = ThreadLocal.withInitial(ArrayDeque::new);

    private final BiFunction<String, Tensor, Tensor> fn;

    private Taps(BiFunction<String, Tensor, Tensor> fn) {
        this.fn = fn;
        ACTIVE.get().push(this);
    }

    /** Routes every tap through {@code fn(name, activation)} until closed (innermost first). */
    public static Taps intercept(BiFunction<String, Tensor, Tensor> fn) {
        return new Taps(fn);
    }

    /** Replaces the activations of the named taps by {@code f(x)} until closed. */
    public static Taps replace(Map<String, java.util.function.Function<Tensor, Tensor>> byName) {
        return new Taps((name, x) -> {
            var f = byName.get(name);
            return f == null ? x : f.apply(x);
        });
    }

    /** Records the shape of every tap hit until closed. */
    public static Recorder record() {
        return new Recorder();
    }

    static Tensor apply(String name, Tensor x) {
        ArrayDeque<Taps> stack = ACTIVE.get();
        if (stack.isEmpty()) return x;
        Tensor out = x;
        for (Taps t : stack) out = t.fn.apply(name, out);
        return out;
    }

    @Override
    public void close() {
        ArrayDeque<Taps> stack = ACTIVE.get();
        if (stack.peek() != this) throw new IllegalStateException("taps must be closed in reverse order of opening");
        stack.pop();
    }

    /** Records tap names and activation shapes (in forward order). */
    public static final class Recorder implements AutoCloseable {
        private final Map<String, int[]> shapes = new LinkedHashMap<>();
        private final Taps taps;

        private Recorder() {
            taps = new Taps((name, x) -> {
                shapes.put(name, x.shape());
                return x;
            });
        }

        /** Tap name to activation shape. */
        public Map<String, int[]> shapes() {
            return shapes;
        }

        @Override
        public void close() {
            taps.close();
        }
    }
}
