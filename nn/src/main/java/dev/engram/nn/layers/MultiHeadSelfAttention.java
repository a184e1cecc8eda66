package dev.engram.nn.layers;

import dev.engram.engine.Device;
import dev.engram.engine.Functional;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.Sequential;
import dev.engram.nn.init.Seeds;

import java.util.Arrays;

/**
 * Multi-head self-attention over {@code [B, T, dim]}: a bias-free (by default) {@code to_qkv}
 * projection to {@code 3 * heads * dimHead}, scaled dot-product attention per head, and
 * {@code to_out = Sequential(Linear(heads*dimHead, dim), Dropout)}.
 *
 * <p>With {@code locality = true} it is the locality self-attention (LSA) of "Vision Transformer
 * for Small-Size Datasets": the scale is {@code exp(temperature)} with a learnable scalar
 * {@code temperature} initialized to {@code log(dimHead^-0.5)}, and each token's attention to
 * itself is masked out before the softmax. Otherwise the scale is the fixed {@code dimHead^-0.5}.
 *
 * <p>An optional attention mask passed to {@link #forward(Tensor, Tensor)} has shape {@code [T, T]}
 * (shared) or {@code [B, T, T]}; entry {@code (i, j)} non-zero lets query {@code i} attend to key
 * {@code j}. Blocked scores are replaced by {@link #MASK_VALUE} with PyTorch's {@code masked_fill}
 * semantics: a select ({@link Tensor#where}) whose backward sends zero gradient to the blocked positions.
 * Their softmax weight is exactly 0; a fully blocked query row (e.g. LSA's diagonal with a single
 * token, or a causal mask combined with LSA for the first token, or an all-padding query) becomes
 * uniform over its keys, so its output does not depend on q or k, and q, k and everything upstream
 * get no gradient from it, as finite differences of this forward give. (An additive bias, as before,
 * gives the same forward but sends the uniform row's softmax gradient into q and k.)
 */
public class MultiHeadSelfAttention extends Module {
    /** The value of blocked scores; far below any real score but finite, so sums never overflow. */
    public static final float MASK_VALUE = -1e30f;

    private final int dim, heads, dimHead;
    private final boolean locality;
    private final Tensor temperature;
    private final Linear toQkv;
    private final Sequential toOut;
    private Tensor diagonalKeep; // cached LSA keep-mask [B*H, T, T] for the last shape and device (kept alive across scopes)
    private Tensor diagonalFill; // cached MASK_VALUE tensor of the same shape

    /**
     * @param dropout dropout after the output projection
     * @param qkvBias whether {@code to_qkv} has a bias (the reference LSA has none)
     * @param locality LSA: learnable temperature and diagonal masking
     */
    public MultiHeadSelfAttention(int dim, int heads, int dimHead, float dropout, boolean qkvBias, boolean locality, Seeds seeds) {
        if (dim <= 0 || heads <= 0 || dimHead <= 0) {
            throw new IllegalArgumentException("MultiHeadSelfAttention: dim, heads and dimHead must be positive, got " + dim + ", "
                    + heads + ", " + dimHead);
        }
        this.dim = dim;
        this.heads = heads;
        this.dimHead = dimHead;
        this.locality = locality;
        this.temperature = locality ? registerParameter("temperature", Tensor.scalar((float) Math.log(Math.pow(dimHead, -0.5)))) : null;
        int inner = heads * dimHead;
        this.toQkv = registerModule("to_qkv", new Linear(dim, 3 * inner, qkvBias, seeds));
        this.toOut = registerModule("to_out", new Sequential(new Linear(inner, dim, true, seeds), new Dropout(dropout, seeds.next())));
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /** Attention with an optional mask ({@code [T, T]} or {@code [B, T, T]}, non-zero = allowed). */
    public Tensor forward(Tensor x, Tensor mask) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] != dim) {
            throw new IllegalArgumentException("MultiHeadSelfAttention '" + path() + "': expected input [B, T, " + dim + "], got "
                    + Arrays.toString(s));
        }
        int b = s[0], t = s[1], bh = b * heads;
        // [B, T, 3*H*Dh] -> [3, B, H, T, Dh] -> q, k, v as [B*H, T, Dh]
        Tensor qkv = toQkv.forward(x).reshape(b, t, 3, heads, dimHead).permute(2, 0, 3, 1, 4).reshape(3, bh, t, dimHead);
        Tensor q = qkv.slice(0, 0, 1).reshape(bh, t, dimHead);
        Tensor k = qkv.slice(0, 1, 2).reshape(bh, t, dimHead);
        Tensor v = qkv.slice(0, 2, 3).reshape(bh, t, dimHead);
        Tensor scores = q.matmul(k.transpose(1, 2));
        scores = locality ? scores.mul(temperature.exp()) : scores.mul((float) (1.0 / Math.sqrt(dimHead)));
        Tensor[] keepFill = keepMask(mask, b, t, x.device());
        if (keepFill != null) scores = scores.where(keepFill[0], keepFill[1]);
        Tensor attn = Functional.softmax(scores, -1);
        Tensor out = attn.matmul(v).reshape(b, heads, t, dimHead).permute(0, 2, 1, 3).reshape(b, t, heads * dimHead);
        return toOut.forward(out);
    }

    /**
     * The select of the diagonal (LSA) and the caller's mask as {@code [B*H, T, T]} tensors: 1 where query i may
     * attend to key j, and the fill value {@link #MASK_VALUE}; null when nothing is masked.
     */
    private Tensor[] keepMask(Tensor mask, int b, int t, Device device) {
        int bh = b * heads;
        if (mask == null) {
            if (!locality) return null;
            Tensor cached = diagonalKeep;
            if (cached == null || cached.dim(0) != bh || cached.dim(1) != t || !cached.device().equals(device)) {
                // the previous ones are not freed: a graph still waiting for backward may refer to them
                float[] keep = new float[bh * t * t];
                java.util.Arrays.fill(keep, 1f);
                for (int h = 0; h < bh; h++) for (int i = 0; i < t; i++) keep[(h * t + i) * t + i] = 0f;
                cached = Tensor.of(device, keep, bh, t, t).retain();
                diagonalFill = Tensor.full(device, MASK_VALUE, bh, t, t).retain();
                diagonalKeep = cached;
            }
            return new Tensor[] {cached, diagonalFill};
        }
        int[] ms = mask.shape();
        boolean shared = ms.length == 2 && ms[0] == t && ms[1] == t;
        boolean perExample = ms.length == 3 && ms[0] == b && ms[1] == t && ms[2] == t;
        if (!shared && !perExample) {
            throw new IllegalArgumentException("MultiHeadSelfAttention '" + path() + "': attention mask " + Arrays.toString(ms)
                    + " must be [" + t + ", " + t + "] or [" + b + ", " + t + ", " + t + "]");
        }
        float[] m = mask.toFloatArray();
        float[] keep = new float[bh * t * t];
        for (int e = 0; e < b; e++) {
            int src = shared ? 0 : e * t * t;
            for (int h = 0; h < heads; h++) {
                int dst = (e * heads + h) * t * t;
                for (int q = 0; q < t * t; q++) {
                    boolean blocked = m[src + q] == 0f || (locality && q / t == q % t);
                    keep[dst + q] = blocked ? 0f : 1f;
                }
            }
        }
        return new Tensor[] {Tensor.of(device, keep, bh, t, t), Tensor.full(device, MASK_VALUE, bh, t, t)};
    }

    /** The learnable log-scale (LSA), or null. */
    public Tensor temperature() {
        return temperature;
    }

    /** The input projection {@code to_qkv}, {@code dim} to {@code 3 * heads * dimHead}. */
    public Linear toQkv() {
        return toQkv;
    }

    /** Number of attention heads. */
    public int heads() {
        return heads;
    }

    /** Width of each head. */
    public int dimHead() {
        return dimHead;
    }

    /** Whether this is locality self-attention (learnable temperature, each token's own position masked). */
    public boolean locality() {
        return locality;
    }
}
