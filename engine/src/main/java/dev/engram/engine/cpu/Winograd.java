package dev.engram.engine.cpu;

import dev.engram.engine.spi.ConvGeometry;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * 3×3, stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", CVPR 2016): each 2×2 block of outputs of one
 * (output channel, input channel) pair costs 16 multiplications instead of 36, so the GEMM work
 * is 2.25 times smaller; the price is a transform of each 4×4 input patch, each 2×2 output block
 * and the filter, additions only.
 *
 * <p>With the 1-D matrices
 * <pre>
 * Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 -1 -1]
 * </pre>
 * the output block of input patch d under filter g is {@code Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A}, summed
 * over input channels. The element-wise product summed over channels is, for each of the 16
 * positions ξν of the 4×4 transformed tile, a GEMM {@code M_ξν[K×P] = U_ξν[K×C] · V_ξν[C×P]} over the
 * P tiles of a chunk of examples. The 16 matrices of each operand are interleaved by rows
 * ({@code [channel][ξν][tile]}, row stride 16·P or 16·C), so that a transform writes or reads the 16
 * values of a tile close together. The filter gradient runs the same algebra backwards:
 * {@code dg = Gᵀ [Σ_tiles (A dY Aᵀ) ⊙ (Bᵀ d B)] G}, 16 GEMMs {@code dU_ξν = dM_ξν · V_ξνᵀ}.
 *
 * <p>Chunks of examples are fixed by the geometry. With enough of them, each thread takes whole
 * chunks (transforms and GEMMs on one core, its buffers in its caches; {@link ConvKernels#forTiles});
 * otherwise the chunks run in order, parallel inside. The filter gradient accumulates the chunks of each of a fixed number of
 * groups in order and adds the groups' sums in order. Each GEMM's result does not depend on the
 * threads that run it and every transform is element-wise: results are bit-identical whatever the
 * number of threads. They differ from the direct convolution by rounding only (the
 * transforms are exact up to float additions and halvings), for finite operands: an infinity
 * would meet itself with opposite signs in the transforms and turn ±inf results into NaN, so
 * {@link #forward} and {@link #backwardFilter} report a value that is not finite (the filter before any
 * work, each output plane as it is written, the summed dU before the final transform) and
 * {@link ConvKernels} then recomputes the result by im2col.
 */
final class Winograd {
    /**
     * Fewest input and output channels: below, the GEMMs are too shallow or narrow for the saved
     * multiply-adds to pay for the transforms (with its 32 → 64 convolution by Winograd, the MNIST
     * CNN's training step took 1.7x as long as with im2col + GEMM).
     */
    static final int MIN_CHANNELS = 64;

    /** The vector loop that tells whether a run of floats is finite. */
    private static final RowSums FINITE = RowSums.get();

    /**
     * Aim for this many 2×2 tiles (GEMM columns) per chunk of examples: the transformed inputs of a chunk (16 floats per
     * tile and input channel, 1 MiB at 128 channels) then stay in L2 between their transform and their GEMMs. Steps of
     * the paper's ResNet-9 ran about 6% faster than with 512 (same JVM, steps alternating between the two).
     */
    static final int TARGET_TILES = 128;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private Winograd() {}

    /** Buffer {@code slot} of the calling thread: 0 transformed filter, 1 transformed inputs, 2 transformed outputs. */
    private static float[] scratch(int slot, long size) {
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("Winograd buffer too large: " + size + " floats");
        float[][] holder = SCRATCH.get();
        if (holder[slot].length < size) holder[slot] = new float[(int) size];
        return holder[slot];
    }

    /** True for 3×3 kernels at stride 1, dilation 1, padding at most 2, with enough channels each way. */
    static boolean applies(ConvGeometry g) {
        return g.r() == 3 && g.s() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.dilH() == 1 && g.dilW() == 1
                && g.padH() <= 2 && g.padW() <= 2 && g.c() >= MIN_CHANNELS && g.k() >= MIN_CHANNELS;
    }

    private static int tilesH(ConvGeometry g) {
        return (g.outH() + 1) / 2;
    }

    private static int tilesW(ConvGeometry g) {
        return (g.outW() + 1) / 2;
    }

    /** Examples per chunk (depends only on the geometry). */
    static int chunk(ConvGeometry g) {
        int perExample = tilesH(g) * tilesW(g);
        int most = Math.max(1, Math.min(g.n(), TARGET_TILES / perExample));
        int chunks = (g.n() + most - 1) / most;
        return Math.max(1, (g.n() + chunks - 1) / chunks);
    }

    /**
     * {@code y = conv(x, w)} for a geometry that {@link #applies}; writes every element of y. Returns false when an
     * output is not finite (then y must be recomputed by the direct method, see the class comment).
     */
    static boolean forward(float[] x, float[] w, float[] y, ConvGeometry g) {
        // a non-finite filter (a diverged checkpoint) makes outputs non-finite: known before any work, at k·c·9 reads
        if (!finite(w, g.k() * g.c() * 9)) return false;
        int k = g.k(), c = g.c(), th = tilesH(g), tw = tilesW(g), tpe = th * tw;
        int xStride = c * g.h() * g.w(), yStride = k * g.outH() * g.outW();
        float[] u = scratch(0, 16L * k * c);
        transformFilter(w, k, c, u);
        int nb = chunk(g), chunks = (g.n() + nb - 1) / nb;
        AtomicBoolean nan = new AtomicBoolean();
        ConvKernels.forTiles(chunks, (c0, c1, inline) -> {
            float[] v = scratch(1, 16L * c * nb * tpe), m = scratch(2, 16L * k * nb * tpe);
            for (int ch = c0; ch < c1 && !nan.get(); ch++) { // once an output is not finite, y is recomputed anyway
                int e0 = ch * nb, cnt = Math.min(nb, g.n() - e0), p = cnt * tpe;
                transformInputs(x, e0 * xStride, cnt, g, v, p, inline);
                // M_ξν[K×P] = U_ξν[K×C] · V_ξν[C×P]
                ConvKernels.forRange(inline, 16, 1, (f0, f1) -> {
                    for (int f = f0; f < f1; f++) {
                        Sgemm.gemm(false, false, k, p, c, 1f, u, f * c, 16 * c, v, f * p, 16 * p, 0f, m, f * p, 16 * p, false);
                    }
                });
                ConvKernels.forRange(inline, cnt * k, Math.max(1, 4096 / tpe), (q0, q1) -> {
                    for (int q = q0; q < q1; q++) {
                        int e = q / k, kk = q - e * k;
                        if (outputPlane(m, kk * 16 * p + e * tpe, p, y, (e0 + e) * yStride + kk * g.outH() * g.outW(),
                                g.outH(), g.outW(), th, tw)) nan.set(true);
                    }
                });
            }
        });
        return !nan.get();
    }

    /** Fixed number of chunk groups whose filter-gradient partials are summed in order. */
    static final int FILTER_GRAD_GROUPS = 8;
    /** Upper bound on the partial sums of all groups, in floats. */
    static final long MAX_PARTIAL_FLOATS = 1L << 23;

    /**
     * {@code dw = beta·dw + sum_b dy_b ⋆ x_b}, the filter gradient, for a geometry that {@link #applies}. Returns false,
     * leaving dw untouched, when a summed transformed gradient is not finite.
     */
    static boolean backwardFilter(float[] x, float[] dy, float[] dw, ConvGeometry g, float beta) {
        int k = g.k(), c = g.c(), th = tilesH(g), tw = tilesW(g), tpe = th * tw, oh = g.outH(), ow = g.outW();
        int xStride = c * g.h() * g.w(), yStride = k * oh * ow, size = 16 * k * c;
        int nb = chunk(g), chunks = (g.n() + nb - 1) / nb;
        // the chunks fall into a fixed number of groups (depending only on the geometry), each
        // accumulating its chunks in order into its own dU; the groups' sums are added in order
        int groups = (int) Math.max(1, Math.min(Math.min(FILTER_GRAD_GROUPS, chunks), MAX_PARTIAL_FLOATS / size));
        float[] partial = scratch(0, (long) groups * size);
        if (g.n() == 0) java.util.Arrays.fill(partial, 0, size, 0f);
        ConvKernels.forTiles(groups, (g0, g1, inline) -> {
            float[] v = scratch(1, 16L * c * nb * tpe), dm = scratch(2, 16L * k * nb * tpe);
            for (int gr = g0; gr < g1; gr++) {
                int first = (int) ((long) chunks * gr / groups), last = (int) ((long) chunks * (gr + 1) / groups);
                int duOff = gr * size;
                for (int ch = first; ch < last; ch++) {
                    int e0 = ch * nb, cnt = Math.min(nb, g.n() - e0), p = cnt * tpe;
                    transformInputs(x, e0 * xStride, cnt, g, v, p, inline);
                    ConvKernels.forRange(inline, cnt * k, Math.max(1, 4096 / tpe), (q0, q1) -> {
                        for (int q = q0; q < q1; q++) {
                            int e = q / k, kk = q - e * k;
                            gradPlane(dy, (e0 + e) * yStride + kk * oh * ow, oh, ow, th, tw, dm, kk * 16 * p + e * tpe, p);
                        }
                    });
                    // dU_ξν[K×C] (+)= dM_ξν[K×P] · V_ξν[C×P]ᵀ
                    float beta0 = ch == first ? 0f : 1f;
                    ConvKernels.forRange(inline, 16, 1, (f0, f1) -> {
                        for (int f = f0; f < f1; f++) {
                            Sgemm.gemm(false, true, k, c, p, 1f, dm, f * p, 16 * p, v, f * p, 16 * p, beta0, partial,
                                    duOff + f * c, 16 * c, false);
                        }
                    });
                }
            }
        });
        boolean finite;
        if (groups > 1) { // the groups' dU summed in order into group 0's slot, in contiguous runs
            AtomicBoolean bad = new AtomicBoolean();
            CpuParallel.forRange(size, 1 << 14, (i0, i1) -> {
                boolean blockFinite = true;
                for (int b0 = i0; b0 < i1; b0 += 4096) { // blocks of group 0's sums stay in L1 across the groups
                    int b1 = Math.min(i1, b0 + 4096);
                    for (int gr = 1; gr < groups; gr++) {
                        int off = gr * size;
                        for (int i = b0; i < b1; i++) partial[i] += partial[off + i];
                    }
                    blockFinite &= FINITE.allFinite(partial, b0, b1 - b0); // the block's sums, still in L1
                }
                if (!blockFinite) bad.set(true);
            });
            finite = !bad.get();
        } else {
            finite = finite(partial, size);
        }
        if (!finite) return false; // dw untouched: the caller recomputes it by im2col
        CpuParallel.forRange(k * c, 256, (q0, q1) -> {
            float[] r = new float[12];
            for (int q = q0; q < q1; q++) {
                int kk = q / c, cc = q - kk * c;
                filterGradient(partial, kk * 16 * c + cc, c, dw, q * 9, beta, r);
            }
        });
        return true;
    }

    /** Whether {@code a[0, n)} holds only finite values. */
    private static boolean finite(float[] a, int n) {
        AtomicBoolean bad = new AtomicBoolean();
        CpuParallel.forRange(n, 1 << 16, (i0, i1) -> {
            if (!FINITE.allFinite(a, i0, i1 - i0)) bad.set(true);
        });
        return !bad.get();
    }

    /** U_ξν[k][c] = (G g Gᵀ)[ξ][ν] for each filter g = w[k][c], at {@code u[(k·16 + ξ·4 + ν)·C + c]}. */
    private static void transformFilter(float[] w, int k, int c, float[] u) {
        CpuParallel.forRange(k * c, 256, (q0, q1) -> {
            float[] a = new float[12];
            for (int q = q0; q < q1; q++) {
                int o = q * 9;
                for (int j = 0; j < 3; j++) { // G g: rows of the 4×3 result
                    float g0 = w[o + j], g1 = w[o + 3 + j], g2 = w[o + 6 + j];
                    a[j] = g0;
                    a[3 + j] = 0.5f * (g0 + g1 + g2);
                    a[6 + j] = 0.5f * (g0 - g1 + g2);
                    a[9 + j] = g2;
                }
                int kk = q / c, base = kk * 16 * c + (q - kk * c);
                for (int i = 0; i < 4; i++) { // (G g) Gᵀ
                    float a0 = a[i * 3], a1 = a[i * 3 + 1], a2 = a[i * 3 + 2];
                    int d = base + i * 4 * c;
                    u[d] = a0;
                    u[d + c] = 0.5f * (a0 + a1 + a2);
                    u[d + 2 * c] = 0.5f * (a0 - a1 + a2);
                    u[d + 3 * c] = a2;
                }
            }
        });
    }

    /**
     * {@code v[(c·16 + ξν)·P + e·tpe + t] = (Bᵀ d B)[ξ][ν]} for every tile t of the cnt examples at
     * {@code x[xo..]}: V_ξν is the C×P matrix at offset ξν·P with row stride 16·P, so the 16 values
     * of a tile go to 16 nearby rows rather than 16 far-apart matrices.
     */
    private static void transformInputs(float[] x, int xo, int cnt, ConvGeometry g, float[] v, int p, boolean inline) {
        int c = g.c(), h = g.h(), w = g.w(), th = tilesH(g), tw = tilesW(g), tpe = th * tw;
        int hp = 2 * th + 2, wp = 2 * tw + 2, padH = g.padH(), padW = g.padW();
        ConvKernels.forRange(inline, cnt * c, Math.max(1, 4096 / tpe), (q0, q1) -> {
            float[] pad = new float[hp * wp]; // one zero-padded input plane
            for (int q = q0; q < q1; q++) {
                int e = q / c, cc = q - e * c;
                java.util.Arrays.fill(pad, 0f);
                int src = xo + q * h * w;
                for (int iy = 0; iy < h; iy++) System.arraycopy(x, src + iy * w, pad, (iy + padH) * wp + padW, w);
                inputPlane(pad, wp, th, tw, v, cc * 16 * p + e * tpe, p);
            }
        });
    }

    /**
     * The 16 transformed values of each tile of one zero-padded plane, plane ξν at
     * {@code vo + ξν·stride}. The row stage {@code Bᵀ d} is computed once per padded column and
     * shared by the two tiles that overlap on it.
     */
    private static void inputPlane(float[] d, int wp, int th, int tw, float[] v, int vo, int stride) {
        for (int ty = 0, t = vo; ty < th; ty++) {
            int r0 = 2 * ty * wp, r1 = r0 + wp, r2 = r1 + wp, r3 = r2 + wp;
            // Bᵀ d of padded columns 0 and 1: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
            float a0 = d[r0] - d[r2], b0 = d[r1] + d[r2], c0 = d[r2] - d[r1], e0 = d[r1] - d[r3];
            float a1 = d[r0 + 1] - d[r2 + 1], b1 = d[r1 + 1] + d[r2 + 1], c1 = d[r2 + 1] - d[r1 + 1], e1 = d[r1 + 1] - d[r3 + 1];
            for (int tx = 0, j = 2; tx < tw; tx++, t++, j += 2) {
                float a2 = d[r0 + j] - d[r2 + j], b2 = d[r1 + j] + d[r2 + j], c2 = d[r2 + j] - d[r1 + j], e2 = d[r1 + j] - d[r3 + j];
                float a3 = d[r0 + j + 1] - d[r2 + j + 1], b3 = d[r1 + j + 1] + d[r2 + j + 1], c3 = d[r2 + j + 1] - d[r1 + j + 1],
                        e3 = d[r1 + j + 1] - d[r3 + j + 1];
                // (Bᵀ d) B
                v[t] = a0 - a2;
                v[t + stride] = a1 + a2;
                v[t + 2 * stride] = a2 - a1;
                v[t + 3 * stride] = a1 - a3;
                v[t + 4 * stride] = b0 - b2;
                v[t + 5 * stride] = b1 + b2;
                v[t + 6 * stride] = b2 - b1;
                v[t + 7 * stride] = b1 - b3;
                v[t + 8 * stride] = c0 - c2;
                v[t + 9 * stride] = c1 + c2;
                v[t + 10 * stride] = c2 - c1;
                v[t + 11 * stride] = c1 - c3;
                v[t + 12 * stride] = e0 - e2;
                v[t + 13 * stride] = e1 + e2;
                v[t + 14 * stride] = e2 - e1;
                v[t + 15 * stride] = e1 - e3;
                a0 = a2;
                b0 = b2;
                c0 = c2;
                e0 = e2;
                a1 = a3;
                b1 = b3;
                c1 = c3;
                e1 = e3;
            }
        }
    }

    /**
     * y block = Aᵀ m A for each tile of one output plane (m plane ξν at {@code mo + ξν·stride}), clipped to oh×ow;
     * returns whether a value it wrote is not finite.
     */
    private static boolean outputPlane(float[] m, int mo, int stride, float[] y, int yo, int oh, int ow, int th, int tw) {
        for (int ty = 0, t = mo; ty < th; ty++) {
            for (int tx = 0; tx < tw; tx++, t++) {
                float m0 = m[t], m1 = m[t + stride], m2 = m[t + 2 * stride], m3 = m[t + 3 * stride];
                float m4 = m[t + 4 * stride], m5 = m[t + 5 * stride], m6 = m[t + 6 * stride], m7 = m[t + 7 * stride];
                float m8 = m[t + 8 * stride], m9 = m[t + 9 * stride], m10 = m[t + 10 * stride], m11 = m[t + 11 * stride];
                float m12 = m[t + 12 * stride], m13 = m[t + 13 * stride], m14 = m[t + 14 * stride], m15 = m[t + 15 * stride];
                // Aᵀ m: two rows of four
                float s0 = m0 + m4 + m8, s1 = m1 + m5 + m9, s2 = m2 + m6 + m10, s3 = m3 + m7 + m11;
                float q0 = m4 - m8 - m12, q1 = m5 - m9 - m13, q2 = m6 - m10 - m14, q3 = m7 - m11 - m15;
                int oy = 2 * ty, ox = 2 * tx, o = yo + oy * ow + ox;
                boolean right = ox + 1 < ow, below = oy + 1 < oh;
                y[o] = s0 + s1 + s2;
                if (right) y[o + 1] = s1 - s2 - s3;
                if (below) {
                    y[o + ow] = q0 + q1 + q2;
                    if (right) y[o + ow + 1] = q1 - q2 - q3;
                }
            }
        }
        return !FINITE.allFinite(y, yo, oh * ow); // the plane just written, from L1
    }

    /** dM_ξν = (A dy Aᵀ)[ξ][ν] for each 2×2 block of one output-gradient plane (zero beyond oh×ow). */
    private static void gradPlane(float[] dy, int dyo, int oh, int ow, int th, int tw, float[] dm, int mo, int stride) {
        for (int ty = 0, t = mo; ty < th; ty++) {
            for (int tx = 0; tx < tw; tx++, t++) {
                int oy = 2 * ty, ox = 2 * tx, o = dyo + oy * ow + ox;
                boolean right = ox + 1 < ow, below = oy + 1 < oh;
                float y00 = dy[o], y01 = right ? dy[o + 1] : 0f;
                float y10 = below ? dy[o + ow] : 0f, y11 = below && right ? dy[o + ow + 1] : 0f;
                // A dy: four rows of two
                float a0 = y00, a1 = y01;
                float b0 = y00 + y10, b1 = y01 + y11;
                float c0 = y00 - y10, c1 = y01 - y11;
                float e0 = -y10, e1 = -y11;
                // (A dy) Aᵀ
                dm[t] = a0;
                dm[t + stride] = a0 + a1;
                dm[t + 2 * stride] = a0 - a1;
                dm[t + 3 * stride] = -a1;
                dm[t + 4 * stride] = b0;
                dm[t + 5 * stride] = b0 + b1;
                dm[t + 6 * stride] = b0 - b1;
                dm[t + 7 * stride] = -b1;
                dm[t + 8 * stride] = c0;
                dm[t + 9 * stride] = c0 + c1;
                dm[t + 10 * stride] = c0 - c1;
                dm[t + 11 * stride] = -c1;
                dm[t + 12 * stride] = e0;
                dm[t + 13 * stride] = e0 + e1;
                dm[t + 14 * stride] = e0 - e1;
                dm[t + 15 * stride] = -e1;
            }
        }
    }

    /**
     * {@code dw[o..o+9) = beta·dw + Gᵀ dU G} for filter q (dU plane ξν at {@code q + ξν·stride});
     * {@code r} is 12 floats of scratch.
     */
    private static void filterGradient(float[] du, int q, int stride, float[] dw, int o, float beta, float[] r) {
        for (int nu = 0; nu < 4; nu++) { // Gᵀ dU: three rows of four
            float u0 = du[q + nu * stride], u1 = du[q + (4 + nu) * stride], u2 = du[q + (8 + nu) * stride],
                    u3 = du[q + (12 + nu) * stride];
            r[nu] = u0 + 0.5f * (u1 + u2);
            r[4 + nu] = 0.5f * (u1 - u2);
            r[8 + nu] = 0.5f * (u1 + u2) + u3;
        }
        for (int i = 0; i < 3; i++) { // (Gᵀ dU) G
            float u0 = r[i * 4], u1 = r[i * 4 + 1], u2 = r[i * 4 + 2], u3 = r[i * 4 + 3];
            float g0 = u0 + 0.5f * (u1 + u2), g1 = 0.5f * (u1 - u2), g2 = 0.5f * (u1 + u2) + u3;
            int d = o + i * 3;
            dw[d] = beta == 0f ? g0 : g0 + beta * dw[d];
            dw[d + 1] = beta == 0f ? g1 : g1 + beta * dw[d + 1];
            dw[d + 2] = beta == 0f ? g2 : g2 + beta * dw[d + 2];
        }
    }
}
