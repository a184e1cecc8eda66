package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;

/**
 * Cuts {@code [B, C, H, W]} into non-overlapping {@code p x p} patches, as einops'
 * {@code 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'}: output {@code [B, (H/p)(W/p), p*p*C]} with
 * patches in row-major order and each patch vector ordered (row in patch, column in patch, channel).
 */
public class Patchify extends Module {
    private final int patch;

    /** Cuts into {@code patch x patch} patches; a non-positive size throws {@link IllegalArgumentException}. */
    public Patchify(int patch) {
        if (patch <= 0) throw new IllegalArgumentException("Patchify: patch size must be positive, got " + patch);
        this.patch = patch;
    }

    @Override
    public Tensor forward(Tensor x) {
        int[] s = x.shape();
        if (s.length != 4 || s[2] % patch != 0 || s[3] % patch != 0) {
            throw new IllegalArgumentException("Patchify(" + patch + ") '" + path() + "': input " + java.util.Arrays.toString(s)
                    + " must be [B, C, H, W] with H and W multiples of " + patch);
        }
        int b = s[0], c = s[1], h = s[2] / patch, w = s[3] / patch;
        return x.reshape(b, c, h, patch, w, patch).permute(0, 2, 4, 3, 5, 1).reshape(b, h * w, patch * patch * c);
    }

    /** Side of a patch in pixels. */
    public int patch() {
        return patch;
    }
}
