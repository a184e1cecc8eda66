package dev.engram.nn.layers;

import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;

/**
 * Plain ViT patch embedding: {@code Sequential(Patchify(p), Linear(p*p*C, dim))}, mapping
 * {@code [B, C, H, W]} to tokens {@code [B, (H/p)(W/p), dim]}.
 */
public class PatchEmbedding extends Sequential {
    /**
     * Patches of {@code patch x patch} pixels of {@code channels}-channel images, projected to {@code dim}; the
     * projection's weight and bias take the next seeds of {@code seeds}.
     */
    public PatchEmbedding(int channels, int patch, int dim, Seeds seeds) {
        super(new Patchify(patch), new Linear(patch * patch * channels, dim, true, seeds));
    }
}
