package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * Inverted dropout: in training mode each element is zeroed with probability {@code p} and the
 * survivors are scaled by {@code 1/(1-p)}; in evaluation mode (or with {@code p = 0}) the identity.
 *
 * <p>The random bits come from Philox under this layer's seed at a counter that advances with
 * every training forward, so a run is reproducible from the model seed and the number of
 * forwards so far ({@link #counter()}, restorable with {@link #setCounter(long)}).
 */
public class Dropout extends Module {
    private final float p;
    private final long seed;
    private long counter;
    private long calls;

    /**
     * Dropout with probability {@code p} in [0, 1) (else {@link IllegalArgumentException}), its random bits keyed by
     * {@code seed}.
     */
    public Dropout(float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: probability must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0f) return x;
        long offset = counter;
        counter += (x.numel() + 3) / 4; // one Philox block serves four elements
        calls++;
        return Functional.dropout(x, p, seed, offset);
    }

    /** Probability that an element is zeroed in training mode. */
    public float p() {
        return p;
    }

    /** The Philox key of the layer's random bits. */
    public long seed() {
        return seed;
    }

    /** Number of training forwards so far. */
    public long calls() {
        return calls;
    }

    /** Counter position (in Philox blocks) that the next training forward starts at. */
    public long counter() {
        return counter;
    }

    /** The stream position under key {@code counter}. */
    @Override
    protected java.util.Map<String, Long> ownRandomState() {
        return java.util.Map.of("counter", counter);
    }

    /** Restores the stream position from key {@code counter}. */
    @Override
    protected void restoreOwnRandomState(java.util.Map<String, Long> state) {
        for (var e : state.entrySet()) {
            if (!e.getKey().equals("counter")) {
                throw new IllegalArgumentException("Dropout: unknown random state key '" + e.getKey() + "' (expected counter)");
            }
            setCounter(e.getValue());
        }
    }

    /** Restores the random stream position (e.g. when resuming from a checkpoint). */
    public void setCounter(long counter) {
        if (counter < 0) throw new IllegalArgumentException("Dropout: counter must be >= 0, got " + counter);
        this.counter = counter;
    }
}
