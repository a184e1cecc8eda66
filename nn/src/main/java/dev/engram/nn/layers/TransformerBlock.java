package dev.engram.nn.layers;

import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.init.Seeds;

/**
 * Pre-norm transformer block: {@code x = x + attn(LN(x)); x = x + mlp(LN(x))}. Children follow
 * the reference ViT's {@code nn.ModuleList([PreNorm(LSA), PreNorm(FeedForward)])}: {@code 0.norm},
 * {@code 0.fn.temperature}, {@code 0.fn.to_qkv}, {@code 0.fn.to_out.0}, {@code 1.norm},
 * {@code 1.fn.net.0}, {@code 1.fn.net.3}. Taps: {@code 1.fn.hidden} (MLP neurons after GELU) and
 * {@code out} (the block's output), both {@code [B, T, .]} with features on the last axis.
 */
public class TransformerBlock extends Module {
    private final PreNorm attention, mlp;

    /**
     * A block of width {@code dim}: {@code heads} attention heads of width {@code dimHead} (no qkv bias; LSA when
     * {@code locality}) and an MLP of hidden width {@code mlpDim}, with dropout {@code dropout} after the attention
     * output and in the MLP.
     */
    public TransformerBlock(int dim, int heads, int dimHead, int mlpDim, float dropout, boolean locality, Seeds seeds) {
        attention = registerModule("0", new PreNorm(dim, new MultiHeadSelfAttention(dim, heads, dimHead, dropout, false, locality, seeds)));
        mlp = registerModule("1", new PreNorm(dim, new FeedForward(dim, mlpDim, dropout, seeds)));
    }

    @Override
    public Tensor forward(Tensor x) {
        x = attention.forward(x).add(x);
        x = mlp.forward(x).add(x);
        return tap("out", x);
    }

    /** The attention module inside its pre-norm. */
    public MultiHeadSelfAttention attention() {
        return (MultiHeadSelfAttention) attention.fn();
    }

    /** The MLP inside its pre-norm. */
    public FeedForward feedForward() {
        return (FeedForward) mlp.fn();
    }
}
