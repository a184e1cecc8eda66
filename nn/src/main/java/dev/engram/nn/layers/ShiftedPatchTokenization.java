package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;

/**
 * Shifted patch tokenization (SPT) of "Vision Transformer for Small-Size Datasets": the image is
 * concatenated along channels with four copies shifted by one pixel (right, left, down, up; zero
 * filled), giving {@code 5C} channels; then {@code to_patch_tokens = Sequential(Patchify(p),
 * LayerNorm(5*C*p*p), Linear(5*C*p*p, dim))}. Parameter names: {@code to_patch_tokens.1.*} (norm)
 * and {@code to_patch_tokens.2.*} (projection), as the reference code.
 */
public class ShiftedPatchTokenization extends Module {
    private final Sequential toPatchTokens;

    /**
     * SPT of {@code channels}-channel images into {@code patch x patch} patches projected to {@code dim}; the
     * projection's weight and bias take the next seeds of {@code seeds}.
     */
    public ShiftedPatchTokenization(int channels, int patch, int dim, Seeds seeds) {
        int patchDim = patch * patch * 5 * channels;
        toPatchTokens = registerModule("to_patch_tokens",
                new Sequential(new Patchify(patch), new LayerNorm(patchDim), new Linear(patchDim, dim, true, seeds)));
    }

    @Override
    public Tensor forward(Tensor x) {
        return toPatchTokens.forward(withShifts(x));
    }

    /**
     * {@code cat(x, right, left, down, up)} along channels, each copy moved one pixel with zeros
     * shifted in (PyTorch's {@code F.pad} with pads (1,-1,0,0), (-1,1,0,0), (0,0,1,-1), (0,0,-1,1)).
     */
    public static Tensor withShifts(Tensor x) {
        int[] s = x.shape();
        if (s.length != 4 || s[2] < 2 || s[3] < 2) {
            throw new IllegalArgumentException("shifted patch tokenization: expected [B, C, H, W] with H, W >= 2, got "
                    + java.util.Arrays.toString(s));
        }
        int b = s[0], c = s[1], h = s[2], w = s[3];
        Tensor zCol = Tensor.zeros(x.device(), b, c, h, 1);
        Tensor zRow = Tensor.zeros(x.device(), b, c, 1, w);
        Tensor right = Functional.cat(3, zCol, x.slice(3, 0, w - 1));
        Tensor left = Functional.cat(3, x.slice(3, 1, w), zCol);
        Tensor down = Functional.cat(2, zRow, x.slice(2, 0, h - 1));
        Tensor up = Functional.cat(2, x.slice(2, 1, h), zRow);
        return Functional.cat(1, x, right, left, down, up);
    }

    /** The {@code to_patch_tokens} sequence: Patchify, LayerNorm, Linear. */
    public Sequential toPatchTokens() {
        return toPatchTokens;
    }
}
