package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/** {@code fn(LayerNorm(x))}; children {@code norm} and {@code fn} as in the reference ViT code. */
public class PreNorm extends Module {
    private final LayerNorm norm;
    private final Module fn;

    /** Puts a {@code LayerNorm(dim)} (eps 1e-5) in front of {@code fn}. */
    public PreNorm(int dim, Module fn) {
        this.norm = registerModule("norm", new LayerNorm(dim));
        this.fn = registerModule("fn", fn);
    }

    @Override
    public Tensor forward(Tensor x) {
        return fn.forward(norm.forward(x));
    }

    /** The layer norm applied first (child {@code norm}). */
    public LayerNorm norm() {
        return norm;
    }

    /** The wrapped module (child {@code fn}). */
    public Module fn() {
        return fn;
    }
}
