// Engram's own CUDA kernels: everything the CUDA backend does not delegate to cuBLAS / cuDNN.
//
// The reference is dev.engram.engine.cpu.CpuBackend. Kernels reproduce its arithmetic: the same
// float/double types in the same order of evaluation (Java's left-to-right, float*float stays
// float, float op double widens), and the file is compiled with -fmad=false so no
// multiply-add is fused behind our back. Where the CPU reduces sequentially and a kernel
// reduces with a tree, results differ by rounding only; every tree has a fixed shape (no
// atomics), so results are deterministic run to run.
//
// Compiled by engine-cuda/build-kernels.sh into src/main/resources/dev/engram/engine/cuda/kernels.fatbin.

#include <cstdint>

#define EXPORT extern "C" __global__

// ---- helpers -------------------------------------------------------------------------------

#define GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// Java's Math.max / Math.min for floats: NaN wins, and -0.0 < +0.0.
__device__ __forceinline__ float java_max(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? b : a;
    return a >= b ? a : b;
}

__device__ __forceinline__ float java_min(float a, float b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? a : b;
    return a <= b ? a : b;
}

// Numerical Recipes' erfc, as dev.engram.engine.cpu.Erf.
__device__ __forceinline__ double nr_erfc(double x) {
    double z = fabs(x);
    double t = 1.0 / (1.0 + 0.5 * z);
    double r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? r : 2.0 - r;
}

__device__ __forceinline__ double phi(double x) {
    return 0.5 * nr_erfc(-x / sqrt(2.0));
}

// Block-wide sum of one double per thread with a fixed tree; blockDim.x must be a power of
// two <= 1024. Every thread gets the total.
__device__ double block_sum(double v, double* shared) {
    int t = threadIdx.x;
    shared[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) shared[t] += shared[t + s];
        __syncthreads();
    }
    double total = shared[0];
    __syncthreads();
    return total;
}

// ---- memory --------------------------------------------------------------------------------

EXPORT void int_to_float(const int* src, float* dst, long long n) {
    GRID_STRIDE(i, n) dst[i] = (float)src[i];
}

// ---- element-wise --------------------------------------------------------------------------

// Op codes: the ordinals of dev.engram.engine.spi.UnaryOp.
enum { U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_ABS, U_RELU, U_GELU, U_TANH, U_SIGMOID, U_SQUARE,
       U_SCALE, U_ADD_SCALAR, U_POW, U_RECIPROCAL };

EXPORT void unary_forward(int op, float alpha, const float* x, float* y, long long n) {
    GRID_STRIDE(k, n) {
        float v = x[k], r;
        switch (op) {
            case U_NEG: r = -v; break;
            case U_EXP: r = (float)exp((double)v); break;
            case U_LOG: r = (float)log((double)v); break;
            case U_SQRT: r = (float)sqrt((double)v); break;
            case U_RSQRT: r = (float)(1.0 / sqrt((double)v)); break;
            case U_ABS: r = fabsf(v); break;
            case U_RELU: r = v <= 0.0f ? 0.0f : v; break;  // NaN passes, as on the CPU
            case U_GELU: r = (float)(v * phi((double)v)); break;
            case U_TANH: r = (float)tanh((double)v); break;
            case U_SIGMOID: r = (float)(1.0 / (1.0 + exp(-(double)v))); break;
            case U_SQUARE: r = v * v; break;
            case U_SCALE: r = v * alpha; break;
            case U_ADD_SCALAR: r = v + alpha; break;
            case U_POW: r = (float)pow((double)v, (double)alpha); break;
            default: r = 1.0f / v; break;  // U_RECIPROCAL
        }
        y[k] = r;
    }
}

EXPORT void unary_backward(int op, float alpha, const float* x, const float* y, const float* dy, float* dx,
                           long long n) {
    GRID_STRIDE(k, n) {
        float g = dy[k], r;
        switch (op) {
            case U_NEG: r = -g; break;
            case U_EXP: r = g * y[k]; break;
            case U_LOG: r = g / x[k]; break;
            case U_SQRT: r = g * 0.5f / y[k]; break;
            case U_RSQRT: r = -0.5f * g * y[k] * y[k] * y[k]; break;
            case U_ABS: r = g * (x[k] > 0.0f ? 1.0f : x[k] < 0.0f ? -1.0f : 0.0f); break;  // sign(NaN) = 0
            case U_RELU: r = x[k] <= 0.0f ? 0.0f : g; break;
            case U_GELU: {
                double v = x[k];
                r = (float)(g * (phi(v) + v * exp(-0.5 * v * v) * 0.3989422804014327));
                break;
            }
            case U_TANH: r = g * (1 - y[k] * y[k]); break;
            case U_SIGMOID: r = g * y[k] * (1 - y[k]); break;
            case U_SQUARE: r = 2 * g * x[k]; break;
            case U_SCALE: r = g * alpha; break;
            case U_ADD_SCALAR: r = g; break;
            case U_POW: r = (float)((double)(g * alpha) * pow((double)x[k], (double)(alpha - 1))); break;
            default: r = -g * y[k] * y[k]; break;  // U_RECIPROCAL
        }
        dx[k] = r;
    }
}

// Op codes: the ordinals of dev.engram.engine.spi.BinaryOp.
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_EQ, B_GT };

__device__ __forceinline__ float apply_binary(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MAX: return java_max(a, b);
        case B_MIN: return java_min(a, b);
        case B_EQ: return a == b ? 1.0f : 0.0f;
        default: return a > b ? 1.0f : 0.0f;  // B_GT
    }
}

EXPORT void binary_same_shape(int op, const float* a, const float* b, float* out, long long n) {
    GRID_STRIDE(k, n) out[k] = apply_binary(op, a[k], b[k]);
}

#define MAX_RANK 8

// Output shape and the element strides of a and b (0 along broadcast axes), right-aligned.
struct BroadcastIndex {
    int rank;
    int shape[MAX_RANK];
    int strideA[MAX_RANK];
    int strideB[MAX_RANK];
};

EXPORT void binary_broadcast(int op, const float* a, const float* b, float* out, long long n, BroadcastIndex ix) {
    GRID_STRIDE(k, n) {
        long long rem = k, offA = 0, offB = 0;
        for (int d = ix.rank - 1; d >= 0; d--) {
            int idx = (int)(rem % ix.shape[d]);
            rem /= ix.shape[d];
            offA += (long long)idx * ix.strideA[d];
            offB += (long long)idx * ix.strideB[d];
        }
        out[k] = apply_binary(op, a[offA], b[offB]);
    }
}

EXPORT void where_select(const float* cond, const float* a, const float* b, float* out, long long n) {
    GRID_STRIDE(k, n) out[k] = cond[k] != 0 ? a[k] : b[k];
}

// ---- reductions ----------------------------------------------------------------------------

// Op codes: the ordinals of dev.engram.engine.spi.ReduceOp.
enum { R_SUM, R_MAX, R_MIN, R_SUM_SQUARES };

// One thread per output, sequential over r in the CPU's order (bit-identical for all ops).
EXPORT void reduce_sequential(int op, const float* x, float* out, int outer, int r, int inner) {
    GRID_STRIDE(t, (long long)outer * inner) {
        long long o = t / inner, q = t % inner;
        const float* p = x + o * (long long)r * inner + q;
        if (op == R_SUM || op == R_SUM_SQUARES) {
            double acc = 0.0;
            for (int j = 0; j < r; j++) {
                double v = p[(long long)j * inner];
                acc += op == R_SUM_SQUARES ? v * v : v;
            }
            out[t] = (float)acc;
        } else {
            float best = p[0];
            for (int j = 1; j < r; j++) {
                float v = p[(long long)j * inner];
                best = op == R_MAX ? java_max(best, v) : java_min(best, v);
            }
            out[t] = best;
        }
    }
}

// One block per output for long rows: each thread walks a fixed strided subset of r, then a
// fixed tree combines the partials. Deterministic; sums differ from the CPU by rounding.
EXPORT void reduce_block(int op, const float* x, float* out, int outer, int r, int inner) {
    __shared__ double acc[256];
    __shared__ float best[256];
    __shared__ int valid[256];
    long long t = blockIdx.x;
    long long o = t / inner, q = t % inner;
    const float* p = x + o * (long long)r * inner + q;
    int tid = threadIdx.x;
    if (op == R_SUM || op == R_SUM_SQUARES) {
        double a = 0.0;
        for (int j = tid; j < r; j += blockDim.x) {
            double v = p[(long long)j * inner];
            a += op == R_SUM_SQUARES ? v * v : v;
        }
        double total = block_sum(a, acc);
        if (tid == 0) out[t] = (float)total;
        return;
    }
    // MAX/MIN fold Java's Math.max/min (NaN propagates, -0 < +0): order-independent, so the
    // tree returns the CPU's bits.
    bool isMax = op == R_MAX;
    float b = 0.0f;
    int has = 0;
    for (int j = tid; j < r; j += blockDim.x) {
        float v = p[(long long)j * inner];
        b = !has ? v : isMax ? java_max(b, v) : java_min(b, v);
        has = 1;
    }
    best[tid] = b;
    valid[tid] = has;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s && valid[tid + s]) {
            float v = best[tid + s];
            best[tid] = !valid[tid] ? v : isMax ? java_max(best[tid], v) : java_min(best[tid], v);
            valid[tid] = 1;
        }
        __syncthreads();
    }
    if (tid == 0) out[t] = best[0];
}

// CpuBackend.argmaxBeats: v strictly above best in Math.max's order; a NaN best is never replaced.
__device__ __forceinline__ bool argmax_beats(float v, float best) {
    if (best != best) return false;
    if (v != v) return true;
    if (v == 0.0f && best == 0.0f) return signbit(best) && !signbit(v);
    return v > best;
}

// First index of the MAX reduction's value: the first NaN, the first of ties.
EXPORT void argmax_kernel(const float* x, int* out, int outer, int r, int inner) {
    GRID_STRIDE(t, (long long)outer * inner) {
        long long o = t / inner, q = t % inner;
        const float* p = x + o * (long long)r * inner + q;
        int bi = 0;
        float bv = p[0];
        for (int j = 1; j < r; j++) {
            float v = p[(long long)j * inner];
            if (argmax_beats(v, bv)) { bv = v; bi = j; }
        }
        out[t] = bi;
    }
}

// ---- softmax and cross-entropy -------------------------------------------------------------

EXPORT void softmax_forward(const float* x, float* y, int outer, int r, int inner, int logSoftmax) {
    GRID_STRIDE(t, (long long)outer * inner) {
        long long o = t / inner, q = t % inner;
        long long base = o * (long long)r * inner + q;
        float mx = -INFINITY;
        for (int j = 0; j < r; j++) mx = java_max(mx, x[base + (long long)j * inner]);
        double sum = 0.0;
        for (int j = 0; j < r; j++) sum += exp((double)(x[base + (long long)j * inner] - mx));
        if (logSoftmax) {
            double logSum = log(sum);  // (x - max) - log(sum), as on the CPU
            for (int j = 0; j < r; j++) {
                long long p = base + (long long)j * inner;
                y[p] = (float)((double)(x[p] - mx) - logSum);
            }
        } else {
            for (int j = 0; j < r; j++) {
                long long p = base + (long long)j * inner;
                y[p] = (float)(exp((double)(x[p] - mx)) / sum);
            }
        }
    }
}

EXPORT void softmax_backward(const float* y, const float* dy, float* dx, int outer, int r, int inner, int logSoftmax) {
    GRID_STRIDE(t, (long long)outer * inner) {
        long long o = t / inner, q = t % inner;
        long long base = o * (long long)r * inner + q;
        double s = 0.0;
        if (logSoftmax) {
            for (int j = 0; j < r; j++) s += dy[base + (long long)j * inner];
            for (int j = 0; j < r; j++) {
                long long p = base + (long long)j * inner;
                dx[p] = (float)(dy[p] - exp((double)y[p]) * s);
            }
        } else {
            for (int j = 0; j < r; j++) s += (double)dy[base + (long long)j * inner] * y[base + (long long)j * inner];
            for (int j = 0; j < r; j++) {
                long long p = base + (long long)j * inner;
                dx[p] = (float)(y[p] * (dy[p] - s));
            }
        }
    }
}

// Labels were range-checked on the host before launch.
EXPORT void cross_entropy_forward(const float* x, const int* labels, float* loss, float* probs, int batch, int classes) {
    GRID_STRIDE(b, (long long)batch) {
        long long base = b * (long long)classes;
        float mx = -INFINITY;
        for (int j = 0; j < classes; j++) mx = java_max(mx, x[base + j]);
        double sum = 0.0;
        for (int j = 0; j < classes; j++) sum += exp((double)(x[base + j] - mx));
        double lse = (double)mx + log(sum);
        for (int j = 0; j < classes; j++) probs[base + j] = (float)exp((double)x[base + j] - lse);
        loss[b] = (float)(lse - (double)x[base + labels[b]]);
    }
}

EXPORT void cross_entropy_backward(const float* probs, const int* labels, const float* dloss, float* dx, int batch,
                                   int classes) {
    GRID_STRIDE(k, (long long)batch * classes) {
        long long b = k / classes;
        int j = (int)(k % classes);
        dx[k] = dloss[b] * (probs[k] - (j == labels[b] ? 1.0f : 0.0f));
    }
}

// ---- convolution helpers and pooling -------------------------------------------------------

struct ConvShape {
    int c, h, w, r, s, strideH, strideW, padH, padW, dilH, dilW, outH, outW;
};

// cols[(c*R + kr)*S + ks, y*outW + x] of one example.
EXPORT void im2col_kernel(const float* x, float* cols, ConvShape g) {
    long long ohw = (long long)g.outH * g.outW;
    long long total = (long long)g.c * g.r * g.s * ohw;
    GRID_STRIDE(k, total) {
        long long row = k / ohw;
        int pos = (int)(k % ohw);
        int oy = pos / g.outW, ox = pos % g.outW;
        int ks = (int)(row % g.s);
        int kr = (int)((row / g.s) % g.r);
        int c = (int)(row / ((long long)g.s * g.r));
        int iy = oy * g.strideH - g.padH + kr * g.dilH;
        int ix = ox * g.strideW - g.padW + ks * g.dilW;
        cols[k] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? x[((long long)c * g.h + iy) * g.w + ix] : 0.0f;
    }
}

struct PoolShape {
    int nc, h, w, kh, kw, strideH, strideW, padH, padW, outH, outW;
};

EXPORT void max_pool_forward(const float* x, float* y, int* index, PoolShape g) {
    long long total = (long long)g.nc * g.outH * g.outW;
    GRID_STRIDE(k, total) {
        int ox = (int)(k % g.outW);
        int oy = (int)((k / g.outW) % g.outH);
        long long nc = k / ((long long)g.outW * g.outH);
        const float* xp = x + nc * g.h * g.w;
        float best = -INFINITY;
        int bi = -1;
        for (int ky = 0; ky < g.kh; ky++) {
            int iy = oy * g.strideH - g.padH + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (int kx = 0; kx < g.kw; kx++) {
                int ix = ox * g.strideW - g.padW + kx;
                if (ix < 0 || ix >= g.w) continue;
                float v = xp[iy * g.w + ix];
                if (v > best || bi < 0 || v != v) { best = v; bi = iy * g.w + ix; }
            }
        }
        y[k] = best;
        index[k] = bi;
    }
}

// Output windows covering input row/col i: o with o*stride - pad <= i <= o*stride - pad + k - 1.
__device__ __forceinline__ void covering(int i, int k, int stride, int pad, int outN, int* lo, int* hi) {
    int a = i + pad - k + 1;
    *lo = a <= 0 ? 0 : (a + stride - 1) / stride;
    int b = (i + pad) / stride;
    *hi = b < outN - 1 ? b : outN - 1;
}

// Gathers, per input cell, the gradients of the outputs whose argmax it is, in the CPU's order.
EXPORT void max_pool_backward(const float* dy, const int* index, float* dx, PoolShape g) {
    long long total = (long long)g.nc * g.h * g.w;
    GRID_STRIDE(k, total) {
        int ix = (int)(k % g.w);
        int iy = (int)((k / g.w) % g.h);
        long long nc = k / ((long long)g.w * g.h);
        int oyLo, oyHi, oxLo, oxHi;
        covering(iy, g.kh, g.strideH, g.padH, g.outH, &oyLo, &oyHi);
        covering(ix, g.kw, g.strideW, g.padW, g.outW, &oxLo, &oxHi);
        long long ob = nc * g.outH * g.outW;
        int self = iy * g.w + ix;
        float s = 0.0f;
        for (int oy = oyLo; oy <= oyHi; oy++)
            for (int ox = oxLo; ox <= oxHi; ox++) {
                long long o = ob + (long long)oy * g.outW + ox;
                if (index[o] == self) s += dy[o];
            }
        dx[k] = s;
    }
}

EXPORT void avg_pool_forward(const float* x, float* y, PoolShape g, float inv) {
    long long total = (long long)g.nc * g.outH * g.outW;
    GRID_STRIDE(k, total) {
        int ox = (int)(k % g.outW);
        int oy = (int)((k / g.outW) % g.outH);
        long long nc = k / ((long long)g.outW * g.outH);
        const float* xp = x + nc * g.h * g.w;
        float s = 0.0f;
        for (int ky = 0; ky < g.kh; ky++) {
            int iy = oy * g.strideH - g.padH + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (int kx = 0; kx < g.kw; kx++) {
                int ix = ox * g.strideW - g.padW + kx;
                if (ix >= 0 && ix < g.w) s += xp[iy * g.w + ix];
            }
        }
        y[k] = s * inv;
    }
}

EXPORT void avg_pool_backward(const float* dy, float* dx, PoolShape g, float inv) {
    long long total = (long long)g.nc * g.h * g.w;
    GRID_STRIDE(k, total) {
        int ix = (int)(k % g.w);
        int iy = (int)((k / g.w) % g.h);
        long long nc = k / ((long long)g.w * g.h);
        int oyLo, oyHi, oxLo, oxHi;
        covering(iy, g.kh, g.strideH, g.padH, g.outH, &oyLo, &oyHi);
        covering(ix, g.kw, g.strideW, g.padW, g.outW, &oxLo, &oxHi);
        long long ob = nc * g.outH * g.outW;
        float s = 0.0f;
        for (int oy = oyLo; oy <= oyHi; oy++)
            for (int ox = oxLo; ox <= oxHi; ox++) s += dy[ob + (long long)oy * g.outW + ox] * inv;
        dx[k] = s;
    }
}

// ---- normalization -------------------------------------------------------------------------

// One block per channel. Running variance uses the unbiased estimate, as the CPU (and PyTorch).
EXPORT void batch_norm_train(const float* x, const float* gamma, const float* beta, float* y, float* saveMean,
                             float* saveInvStd, float* runMean, float* runVar, int n, int c, int hw, float momentum,
                             float eps) {
    __shared__ double red[256];
    int ch = blockIdx.x, tid = threadIdx.x;
    long long count = (long long)n * hw;
    double s = 0.0;
    for (long long k = tid; k < count; k += blockDim.x) {
        long long b = k / hw, q = k % hw;
        s += x[(b * c + ch) * hw + q];
    }
    double mu = block_sum(s, red) / count;
    double ss = 0.0;
    for (long long k = tid; k < count; k += blockDim.x) {
        long long b = k / hw, q = k % hw;
        double d = x[(b * c + ch) * hw + q] - mu;
        ss += d * d;
    }
    ss = block_sum(ss, red);
    double var = ss / count;
    double is = 1.0 / sqrt(var + eps);
    float gm = gamma == nullptr ? 1.0f : gamma[ch], bt = beta == nullptr ? 0.0f : beta[ch];
    float scale = (float)(gm * is), shift = (float)(bt - mu * gm * is);
    for (long long k = tid; k < count; k += blockDim.x) {
        long long b = k / hw, q = k % hw;
        long long p = (b * c + ch) * hw + q;
        y[p] = x[p] * scale + shift;
    }
    if (tid == 0) {
        saveMean[ch] = (float)mu;
        saveInvStd[ch] = (float)is;
        if (runMean != nullptr) {
            double unbiased = count > 1 ? ss / (count - 1) : var;
            runMean[ch] = (float)((double)((1 - momentum) * runMean[ch]) + momentum * mu);
            runVar[ch] = (float)((double)((1 - momentum) * runVar[ch]) + momentum * unbiased);
        }
    }
}

EXPORT void batch_norm_infer(const float* x, const float* gamma, const float* beta, const float* mean,
                             const float* var, float* y, int n, int c, int hw, float eps) {
    GRID_STRIDE(k, (long long)n * c * hw) {
        int ch = (int)((k / hw) % c);
        double is = 1.0 / sqrt((double)(var[ch] + eps));
        float gm = gamma == nullptr ? 1.0f : gamma[ch], bt = beta == nullptr ? 0.0f : beta[ch];
        float scale = (float)(gm * is), shift = (float)(bt - (double)(mean[ch] * gm) * is);
        y[k] = x[k] * scale + shift;
    }
}

EXPORT void batch_norm_backward(const float* dy, const float* x, const float* gamma, const float* mean,
                                const float* invStd, float* dx, float* dgamma, float* dbeta, int n, int c, int hw,
                                int useBatchStats) {
    __shared__ double red[256];
    int ch = blockIdx.x, tid = threadIdx.x;
    long long count = (long long)n * hw;
    float mu = mean[ch], is = invStd[ch];
    double sdy = 0.0, sdyx = 0.0;
    for (long long k = tid; k < count; k += blockDim.x) {
        long long b = k / hw, q = k % hw;
        long long p = (b * c + ch) * hw + q;
        sdy += dy[p];
        sdyx += dy[p] * (x[p] - mu) * is;
    }
    sdy = block_sum(sdy, red);
    sdyx = block_sum(sdyx, red);
    if (tid == 0) {
        if (dgamma != nullptr) dgamma[ch] = (float)sdyx;
        if (dbeta != nullptr) dbeta[ch] = (float)sdy;
    }
    if (dx == nullptr) return;
    float gm = gamma == nullptr ? 1.0f : gamma[ch];
    if (useBatchStats) {
        double mdy = sdy / count, mdyx = sdyx / count;
        for (long long k = tid; k < count; k += blockDim.x) {
            long long b = k / hw, q = k % hw;
            long long p = (b * c + ch) * hw + q;
            double xh = (x[p] - mu) * is;
            dx[p] = (float)(gm * is * (dy[p] - mdy - xh * mdyx));
        }
    } else {
        float kk = gm * is;
        for (long long k = tid; k < count; k += blockDim.x) {
            long long b = k / hw, q = k % hw;
            long long p = (b * c + ch) * hw + q;
            dx[p] = dy[p] * kk;
        }
    }
}

// One block per row.
EXPORT void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* saveMean,
                               float* saveInvStd, int rows, int cols, float eps) {
    __shared__ double red[256];
    long long row = blockIdx.x;
    int tid = threadIdx.x;
    const float* xr = x + row * cols;
    double s = 0.0;
    for (int q = tid; q < cols; q += blockDim.x) s += xr[q];
    double mu = block_sum(s, red) / cols;
    double ss = 0.0;
    for (int q = tid; q < cols; q += blockDim.x) {
        double d = xr[q] - mu;
        ss += d * d;
    }
    ss = block_sum(ss, red);
    double is = 1.0 / sqrt(ss / cols + eps);
    for (int q = tid; q < cols; q += blockDim.x) {
        float v = (float)((xr[q] - mu) * is);
        y[row * cols + q] = v * (gamma == nullptr ? 1.0f : gamma[q]) + (beta == nullptr ? 0.0f : beta[q]);
    }
    if (tid == 0) {
        saveMean[row] = (float)mu;
        saveInvStd[row] = (float)is;
    }
}

EXPORT void layer_norm_backward_input(const float* dy, const float* x, const float* gamma, const float* mean,
                                      const float* invStd, float* dx, int rows, int cols) {
    __shared__ double red[256];
    long long row = blockIdx.x;
    int tid = threadIdx.x;
    long long base = row * cols;
    float mu = mean[row], is = invStd[row];
    double sg = 0.0, sgx = 0.0;
    for (int q = tid; q < cols; q += blockDim.x) {
        double g = dy[base + q] * (gamma == nullptr ? 1.0f : gamma[q]);
        sg += g;
        sgx += g * (x[base + q] - mu) * is;
    }
    sg = block_sum(sg, red) / cols;
    sgx = block_sum(sgx, red) / cols;
    for (int q = tid; q < cols; q += blockDim.x) {
        double g = dy[base + q] * (gamma == nullptr ? 1.0f : gamma[q]);
        double xh = (x[base + q] - mu) * is;
        dx[base + q] = (float)(is * (g - sg - xh * sgx));
    }
}

// One thread per column, rows in order: identical to the CPU.
EXPORT void layer_norm_backward_params(const float* dy, const float* x, const float* mean, const float* invStd,
                                       float* dgamma, float* dbeta, int rows, int cols) {
    GRID_STRIDE(q, (long long)cols) {
        double sg = 0.0, sb = 0.0;
        for (int r = 0; r < rows; r++) {
            long long p = (long long)r * cols + q;
            sb += dy[p];
            sg += dy[p] * (x[p] - mean[r]) * invStd[r];
        }
        if (dgamma != nullptr) dgamma[q] = (float)sg;
        if (dbeta != nullptr) dbeta[q] = (float)sb;
    }
}

// ---- masks and indexing --------------------------------------------------------------------

EXPORT void channel_mask(const float* x, const float* mask, float* y, int n, int c, int inner, int perExample) {
    GRID_STRIDE(k, (long long)n * c * inner) {
        long long bc = k / inner;
        y[k] = x[k] * mask[perExample ? bc : bc % c];
    }
}

// One block per channel; per example a block sum, then examples added in order (as the CPU).
EXPORT void channel_mask_grad_mask(const float* x, const float* dy, float* dmask, int n, int c, int inner,
                                   int perExample) {
    __shared__ double red[256];
    int ch = blockIdx.x, tid = threadIdx.x;
    double total = 0.0;
    for (int b = 0; b < n; b++) {
        long long base = ((long long)b * c + ch) * inner;
        double s = 0.0;
        for (int q = tid; q < inner; q += blockDim.x) s += (double)x[base + q] * dy[base + q];
        s = block_sum(s, red);
        if (perExample) {
            if (tid == 0) dmask[(long long)b * c + ch] = (float)s;
        } else {
            total += s;
        }
    }
    if (!perExample && tid == 0) dmask[ch] = (float)total;
}

// Indices were range-checked on the host before launch.
EXPORT void index_select(const float* src, int cols, const int* index, float* out, int count) {
    GRID_STRIDE(k, (long long)count * cols) {
        long long r = k / cols;
        int q = (int)(k % cols);
        out[k] = src[(long long)index[r] * cols + q];
    }
}

// One thread per column walks the index list in order: deterministic, no atomics, and the
// same summation order as the CPU.
EXPORT void index_add(const float* src, int cols, const int* index, float* dst, int count) {
    GRID_STRIDE(q, (long long)cols) {
        for (int r = 0; r < count; r++) dst[(long long)index[r] * cols + q] += src[(long long)r * cols + q];
    }
}

// 32-bit words, so it serves float32 and int32 storages alike.
EXPORT void copy_blocks(const unsigned int* src, long long srcOffset, long long srcStride, unsigned int* dst,
                        long long dstOffset, long long dstStride, int outer, int inner) {
    GRID_STRIDE(k, (long long)outer * inner) {
        long long o = k / inner, q = k % inner;
        dst[dstOffset + o * dstStride + q] = src[srcOffset + o * srcStride + q];
    }
}

struct PermuteIndex {
    int rank;
    int outShape[MAX_RANK];
    int srcStride[MAX_RANK];
};

EXPORT void permute_kernel(const unsigned int* x, unsigned int* out, long long n, PermuteIndex ix) {
    GRID_STRIDE(k, n) {
        long long rem = k, off = 0;
        for (int d = ix.rank - 1; d >= 0; d--) {
            off += (rem % ix.outShape[d]) * (long long)ix.srcStride[d];
            rem /= ix.outShape[d];
        }
        out[k] = x[off];
    }
}

// ---- optimizers ----------------------------------------------------------------------------

EXPORT void sgd_update(float* p, const float* g, float* buf, long long n, float lr, float momentum, float dampening,
                       float weightDecay, int nesterov, int firstStep) {
    GRID_STRIDE(k, n) {
        float d = g[k] + weightDecay * p[k];
        if (momentum != 0) {
            buf[k] = firstStep ? d : momentum * buf[k] + (1 - dampening) * d;
            d = nesterov ? d + momentum * buf[k] : buf[k];
        }
        p[k] -= lr * d;
    }
}

// stepSize = lr / (1 - beta1^step) and bc2Sqrt = sqrt(1 - beta2^step) come from the host, as on the CPU.
EXPORT void adamw_update(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1, float beta2,
                         float eps, float weightDecay, float stepSize, float bc2Sqrt) {
    GRID_STRIDE(k, n) {
        float pk = p[k];
        pk -= lr * weightDecay * pk;
        float mk = beta1 * m[k] + (1 - beta1) * g[k];
        float vk = beta2 * v[k] + (1 - beta2) * g[k] * g[k];
        m[k] = mk;
        v[k] = vk;
        pk -= stepSize * mk / (sqrtf(vk) / bc2Sqrt + eps);
        p[k] = pk;
    }
}

// ---- random --------------------------------------------------------------------------------

__device__ __forceinline__ void philox_block(unsigned int c[4], unsigned int k0, unsigned int k1) {
    const unsigned int M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; round++) {
        unsigned int hi0 = __umulhi(M0, c[0]), lo0 = M0 * c[0];
        unsigned int hi1 = __umulhi(M1, c[2]), lo1 = M1 * c[2];
        unsigned int n0 = hi1 ^ c[1] ^ k0;
        unsigned int n2 = hi0 ^ c[3] ^ k1;
        c[0] = n0;
        c[1] = lo1;
        c[2] = n2;
        c[3] = lo0;
        k0 += W0;
        k1 += W1;
    }
}

__device__ __forceinline__ float to_unit(unsigned int w) {
    return (float)(w >> 8) * 0x1.0p-24f;
}

// Op codes: the ordinals of dev.engram.engine.spi.Distribution.
enum { D_UNIFORM, D_NORMAL, D_BERNOULLI };

// One thread per Philox block of four elements: element i uses word i%4 of counter
// counterOffset + i/4, as dev.engram.engine.Philox.fill.
EXPORT void random_fill(float* dst, long long n, int dist, float a, float b, unsigned long long seed,
                        unsigned long long counterOffset) {
    GRID_STRIDE(t, (n + 3) / 4) {
        unsigned long long ctr = counterOffset + (unsigned long long)t;
        unsigned int w[4] = {(unsigned int)ctr, (unsigned int)(ctr >> 32), 0u, 0u};
        philox_block(w, (unsigned int)seed, (unsigned int)(seed >> 32));
        for (int lane = 0; lane < 4; lane++) {
            long long i = t * 4 + lane;
            if (i >= n) break;
            float v;
            if (dist == D_UNIFORM) {
                v = a + (b - a) * to_unit(w[lane]);
            } else if (dist == D_BERNOULLI) {
                v = to_unit(w[lane]) < a ? 1.0f : 0.0f;
            } else {
                int pair = lane & ~1;
                double u1 = (double)((w[pair] >> 8) + 1) * 0x1.0p-24;
                double u2 = (double)(w[pair + 1] >> 8) * 0x1.0p-24;
                double r = sqrt(-2.0 * log(u1));
                double th = 2.0 * 3.141592653589793 * u2;
                v = (float)((double)a + (double)b * ((lane & 1) == 0 ? r * cos(th) : r * sin(th)));
            }
            dst[i] = v;
        }
    }
}
