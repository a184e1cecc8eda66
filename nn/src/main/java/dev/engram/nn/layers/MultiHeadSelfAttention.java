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
 * {@code j}. Blocked scores get {@link #MASK_VALUE} added, which makes their softmax weight
 * exactly 0 (a fully blocked row becomes uniform, as with PyTorch's {@code masked_fill}).
 */
public class MultiHeadSelfAttention extends Module {
    /** Added to blocked scores; far below any real score but finite, so sums never overflow. */
    public static final float MASK_VALUE = -1e30f;

    private final int dim, heads, dimHead;
    private final boolean locality;
    private final Tensor temperature;
    private final Linear toQkv;
    private final Sequential toOut;
    private Tensor diagonalBias; // cached LSA bias for the last sequence length and device (kept alive across scopes)

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
        Tensor bias = maskBias(mask, b, t, x.device());
        if (bias != null) {
            scores = bias.rank() == 2 ? scores.add(bias)
                    : scores.reshape(b, heads, t, t).add(bias.reshape(b, 1, t, t)).reshape(bh, t, t);
        }
        Tensor attn = Functional.softmax(scores, -1);
        Tensor out = attn.matmul(v).reshape(b, heads, t, dimHead).permute(0, 2, 1, 3).reshape(b, t, heads * dimHead);
        return toOut.forward(out);
    }

    /** The additive bias for the diagonal (LSA) and the caller's mask, or null when neither applies. */
    private Tensor maskBias(Tensor mask, int b, int t, Device device) {
        if (mask == null) {
            if (!locality) return null;
            Tensor cached = diagonalBias;
            if (cached == null || cached.dim(0) != t || !cached.device().equals(device)) {
                // the previous one is not freed: a graph still waiting for backward may refer to it
                cached = Tensor.of(device, diagonal(t), t, t).retain();
                diagonalBias = cached;
            }
            return cached;
        }
        float[] diag = locality ? diagonal(t) : null;
        int[] ms = mask.shape();
        boolean shared = ms.length == 2 && ms[0] == t && ms[1] == t;
        boolean perExample = ms.length == 3 && ms[0] == b && ms[1] == t && ms[2] == t;
        if (!shared && !perExample) {
            throw new IllegalArgumentException("MultiHeadSelfAttention '" + path() + "': attention mask " + Arrays.toString(ms)
                    + " must be [" + t + ", " + t + "] or [" + b + ", " + t + ", " + t + "]");
        }
        float[] m = mask.toFloatArray();
        float[] add = new float[m.length];
        for (int i = 0; i < m.length; i++) {
            boolean blocked = m[i] == 0f || (diag != null && diag[i % (t * t)] != 0f);
            add[i] = blocked ? MASK_VALUE : 0f;
        }
        return shared ? Tensor.of(device, add, t, t) : Tensor.of(device, add, b, t, t);
    }

    private static float[] diagonal(int t) {
        float[] d = new float[t * t];
        for (int i = 0; i < t; i++) d[i * t + i] = MASK_VALUE;
        return d;
    }

    /** The learnable log-scale (LSA), or null. */
    public Tensor temperature() {
        return temperature;
    }

    public Linear toQkv() {
        return toQkv;
    }

    public int heads() {
        return heads;
    }

    public int dimHead() {
        return dimHead;
    }

    public boolean locality() {
        return locality;
    }
}
