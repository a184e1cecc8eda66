package dev.engram.nn.layers;

import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Init;
import dev.engram.nn.init.Seeds;

/**
 * Prepends a learned class token to {@code [B, N, dim]} tokens and adds a learned position
 * embedding: parameters {@code pos_embedding [1, N+1, dim]} and {@code cls_token [1, 1, dim]}, both
 * standard normal at initialization (the reference ViT's {@code torch.randn}).
 * {@link #apply(Tensor, Tensor, Tensor)} does the same with parameters held elsewhere.
 */
public class ClassTokenEmbedding extends Module {
    private final Tensor posEmbedding, clsToken;

    /**
     * Parameters for up to {@code tokens} tokens of width {@code dim}: the position embedding, then the class token,
     * each from the next seed of {@code seeds}.
     */
    public ClassTokenEmbedding(int tokens, int dim, Seeds seeds) {
        posEmbedding = registerParameter("pos_embedding", Init.normal(seeds.next(), 1f, 1, tokens + 1, dim));
        clsToken = registerParameter("cls_token", Init.normal(seeds.next(), 1f, 1, 1, dim));
    }

    @Override
    public Tensor forward(Tensor x) {
        return apply(x, clsToken, posEmbedding);
    }

    /** {@code cat(cls, x) + pos[:, :N+1]} for tokens {@code x [B, N, dim]}. */
    public static Tensor apply(Tensor x, Tensor clsToken, Tensor posEmbedding) {
        int[] s = x.shape();
        int[] ps = posEmbedding.shape();
        if (s.length != 3 || ps[2] != s[2] || ps[1] < s[1] + 1) {
            throw new IllegalArgumentException("class token embedding: tokens " + java.util.Arrays.toString(s)
                    + " do not fit position embedding " + java.util.Arrays.toString(ps));
        }
        Tensor pos = ps[1] == s[1] + 1 ? posEmbedding : posEmbedding.slice(1, 0, s[1] + 1);
        Tensor cls = clsToken.expand(s[0], 1, s[2]);
        return Functional.cat(1, cls, x).add(pos);
    }

    /** The position embedding {@code [1, tokens + 1, dim]} (parameter {@code pos_embedding}). */
    public Tensor posEmbedding() {
        return posEmbedding;
    }

    /** The class token {@code [1, 1, dim]} (parameter {@code cls_token}). */
    public Tensor clsToken() {
        return clsToken;
    }
}
