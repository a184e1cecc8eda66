package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Sequential;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;

/**
 * The transformer MLP: {@code net = Sequential(Linear(dim, hidden), GELU, Dropout, Linear(hidden, dim),
 * Dropout)}, so parameters are {@code net.0.*} and {@code net.3.*}. Tap: {@code hidden} (after the
 * GELU, shape {@code [B, T, hidden]}; the neurons are on the last axis).
 */
public class FeedForward extends Module {
    private final Sequential net;

    /**
     * An MLP from {@code dim} to {@code hidden} and back, with dropout {@code dropout} after the GELU and after the
     * output projection; weights and dropout seeds from {@code seeds}.
     */
    public FeedForward(int dim, int hidden, float dropout, Seeds seeds) {
        net = registerModule("net", new Sequential(
                new Linear(dim, hidden, true, seeds),
                new GELU(),
                new Dropout(dropout, seeds.next()),
                new Linear(hidden, dim, true, seeds),
                new Dropout(dropout, seeds.next())));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = tap("hidden", net.get(1).forward(net.get(0).forward(x)));
        h = net.get(2).forward(h);
        return net.get(4).forward(net.get(3).forward(h));
    }

    /** The {@code net} sequence (children 0 to 4, as in the class comment). */
    public Sequential net() {
        return net;
    }
}
