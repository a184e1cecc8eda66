package dev.engram.engine;

import dev.engram.engine.spi.Backend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.Distribution;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import dev.engram.engine.spi.UnaryOp;

import java.util.Arrays;
import java.util.Locale;

/**
 * A contiguous, row-major n-dimensional array on one device, recorded by autograd when it
 * requires a gradient. Tensors are immutable views of storage: ops return new tensors, and
 * only {@code reshape}/{@code narrow} along the first axis share storage.
 *
 * <p>Factories use the default device ({@link Backends#defaultDevice()}) unless given one.
 */
public final class Tensor {
    private final int[] shape;
    private final DType dtype;
    private final Storage storage;
    private final long offset;
    private final Backend backend;
    private boolean requiresGrad;
    private Tensor grad;
    /** A cleared gradient whose storage the next accumulation reuses ({@link #recycleGrad()}), or null. */
    private Tensor spareGrad;
    Node gradFn;
    private String name;

    /**
     * In-place writes through {@link #fill} and {@link #copyFrom} so far, shared by every tensor over the same storage
     * (views, {@link #detach()}): backward refuses to use values that changed after an op recorded them.
     */
    final int[] version;

    Tensor(Backend backend, Storage storage, long offset, int[] shape) {
        this(backend, storage, offset, shape, new int[1]);
    }

    private Tensor(Backend backend, Storage storage, long offset, int[] shape, int[] version) {
        this.backend = backend;
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.dtype = storage.dtype();
        this.version = version;
    }

    // ---- creation ----------------------------------------------------------------------------

    /** A new uninitialized (zero on CPU) tensor owned by the current scope. */
    public static Tensor empty(Device device, DType dtype, int... shape) {
        Shapes.check(shape, "empty");
        Backend b = Backends.get(device);
        Storage s = b.allocate(dtype, Shapes.numel(shape));
        TensorScope.register(s);
        return new Tensor(b, s, 0, shape.clone());
    }

    /**
     * A new tensor owned by the current scope whose contents are unspecified (on CPU, a recycled
     * array is not cleared): only for an op output its kernel writes in full before anything reads it.
     */
    static Tensor emptyForOverwrite(Device device, DType dtype, int... shape) {
        Shapes.check(shape, "empty");
        Backend b = Backends.get(device);
        Storage s = b.allocateForOverwrite(dtype, Shapes.numel(shape));
        TensorScope.register(s);
        return new Tensor(b, s, 0, shape.clone());
    }

    static Tensor emptyLike(Tensor t) {
        return empty(t.device(), t.dtype, t.shape);
    }

    static Tensor emptyOn(Tensor like, int... shape) {
        return empty(like.device(), DType.FLOAT32, shape);
    }

    /**
     * A float32 tensor of zeros on the default device, owned by the current scope; a negative dimension throws
     * {@link IllegalArgumentException}.
     */
    public static Tensor zeros(int... shape) {
        return zeros(Backends.defaultDevice(), shape);
    }

    /** A float32 tensor of zeros on {@code device}, owned by the current scope. */
    public static Tensor zeros(Device device, int... shape) {
        Tensor t = empty(device, DType.FLOAT32, shape);
        t.backend.fill(t.storage, 0, t.numel(), 0f);
        return t;
    }

    /** A float32 tensor of ones on the default device. */
    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** A float32 tensor filled with {@code value} on the default device. */
    public static Tensor full(float value, int... shape) {
        return full(Backends.defaultDevice(), value, shape);
    }

    /** A float32 tensor filled with {@code value} on {@code device}, owned by the current scope. */
    public static Tensor full(Device device, float value, int... shape) {
        Tensor t = empty(device, DType.FLOAT32, shape);
        t.backend.fill(t.storage, 0, t.numel(), value);
        return t;
    }

    /** A float32 scalar (shape {@code []}, one element) holding {@code value}, on the default device. */
    public static Tensor scalar(float value) {
        return full(value);
    }

    /** A float32 tensor holding a copy of {@code data} with the given shape. */
    public static Tensor of(float[] data, int... shape) {
        return of(Backends.defaultDevice(), data, shape);
    }

    /**
     * A float32 tensor on {@code device} holding a copy of {@code data} (row-major) with the given shape; throws
     * {@link IllegalArgumentException} when {@code data.length} is not the shape's element count or a dimension is
     * negative.
     */
    public static Tensor of(Device device, float[] data, int... shape) {
        Shapes.check(shape, "of");
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values do not fill shape "
                    + Shapes.str(shape) + " (" + Shapes.numel(shape) + " elements)");
        }
        Backend b = Backends.get(device);
        Storage s = b.fromFloats(data);
        TensorScope.register(s);
        return new Tensor(b, s, 0, shape.clone());
    }

    /** An int32 tensor (labels, indices). */
    public static Tensor ofInts(int[] data, int... shape) {
        return ofInts(Backends.defaultDevice(), data, shape);
    }

    /**
     * An int32 tensor on {@code device} holding a copy of {@code data}; throws {@link IllegalArgumentException} when
     * {@code data.length} is not the shape's element count.
     */
    public static Tensor ofInts(Device device, int[] data, int... shape) {
        Shapes.check(shape, "ofInts");
        if (Shapes.numel(shape) != data.length) {
            throw new IllegalArgumentException("Tensor.ofInts: " + data.length + " values do not fill shape "
                    + Shapes.str(shape));
        }
        Backend b = Backends.get(device);
        Storage s = b.fromInts(data);
        TensorScope.register(s);
        return new Tensor(b, s, 0, shape.clone());
    }

    /**
     * Philox random numbers: same (seed, shape) gives the same values on every backend. Parameters: uniform on
     * {@code [a, b)} with finite {@code a <= b}; normal with mean {@code a} and standard deviation {@code b >= 0}, both
     * finite; Bernoulli with probability {@code a} in [0, 1].
     *
     * @throws IllegalArgumentException for parameters outside those ranges (NaN included)
     */
    public static Tensor random(Device device, Distribution dist, float a, float b, long seed, int... shape) {
        if (dist == null) throw new IllegalArgumentException("Tensor.random: distribution must not be null");
        boolean ok = switch (dist) {
            case UNIFORM -> Float.isFinite(a) && Float.isFinite(b) && a <= b;
            case NORMAL -> Float.isFinite(a) && Float.isFinite(b) && b >= 0;
            case BERNOULLI -> a >= 0 && a <= 1;
        };
        if (!ok) {
            throw new IllegalArgumentException("Tensor.random: invalid " + dist.name().toLowerCase(java.util.Locale.ROOT)
                    + " parameters " + a + ", " + b + (dist == Distribution.UNIFORM ? " (need finite lo <= hi)"
                    : dist == Distribution.NORMAL ? " (need a finite mean and a finite standard deviation >= 0)"
                    : " (need a probability in [0, 1])"));
        }
        Tensor t = empty(device, DType.FLOAT32, shape);
        t.backend.randomFill(t.storage, t.numel(), dist, a, b, seed, 0);
        return t;
    }

    /** Standard normal values from Philox with {@code seed}. */
    public static Tensor randn(long seed, int... shape) {
        return random(Backends.defaultDevice(), Distribution.NORMAL, 0f, 1f, seed, shape);
    }

    /** Uniform values on [lo, hi) from Philox with {@code seed}. */
    public static Tensor rand(long seed, float lo, float hi, int... shape) {
        return random(Backends.defaultDevice(), Distribution.UNIFORM, lo, hi, seed, shape);
    }

    // ---- metadata ----------------------------------------------------------------------------

    /** A copy of the dimensions (empty for a scalar). */
    public int[] shape() {
        return shape.clone();
    }

    /**
     * Size of dimension {@code axis}; a negative axis counts from the end ({@code -1} is the last), and one outside the
     * rank throws {@link IllegalArgumentException}.
     */
    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length, "dim")];
    }

    /** Number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    /** Number of elements: the product of the dimensions (1 for a scalar, 0 when a dimension is 0). */
    public long numel() {
        return Shapes.numel(shape);
    }

    /** Element type: {@link DType#FLOAT32} for values, {@link DType#INT32} for labels and indices. */
    public DType dtype() {
        return dtype;
    }

    /** The device holding this tensor's storage. */
    public Device device() {
        return backend.device();
    }

    /** The backend kernels for this tensor's device (for op implementations). */
    public Backend backend() {
        return backend;
    }

    /** The underlying storage (for op implementations and backends). */
    public Storage storage() {
        checkAlive("storage");
        return storage;
    }

    /** Element offset of this view into its storage. */
    public long offset() {
        return offset;
    }

    /** Optional name used in messages (parameters are named by their module path). */
    public String name() {
        return name;
    }

    /** Sets the name used in messages ({@link #name()}); returns this tensor. */
    public Tensor setName(String name) {
        this.name = name;
        return this;
    }

    // ---- autograd ----------------------------------------------------------------------------

    /**
     * Whether autograd tracks this tensor: a leaf marked by {@link #requiresGrad(boolean)}, or the result of an op
     * recorded, with gradients enabled, on such an input.
     */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a parameter whose gradient is accumulated in {@link #grad()}. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("requiresGrad(false) on a non-leaf tensor " + describe() + "; use detach()");
        }
        if (value && dtype != DType.FLOAT32) {
            throw new IllegalArgumentException("only float32 tensors can require gradients, got " + describe());
        }
        this.requiresGrad = value;
        return this;
    }

    /** Accumulated gradient of a leaf, or null. */
    public Tensor grad() {
        return grad;
    }

    /** Clears the accumulated gradient (a reference obtained from {@link #grad()} keeps its values). */
    public void zeroGrad() {
        grad = null;
    }

    /**
     * Clears the accumulated gradient but keeps its storage for the next one, as PyTorch's
     * {@code zero_grad(set_to_none=False)} does: the next accumulation writes into the same array instead of a fresh
     * one, so a training loop does not allocate its parameters' gradients anew every step. A reference obtained from
     * {@link #grad()} before this call sees its values overwritten by the next backward pass; use {@link #zeroGrad()}
     * where such references are kept.
     */
    public void recycleGrad() {
        if (grad != null) {
            spareGrad = grad;
            grad = null;
        }
    }

    /** Replaces the accumulated gradient (optimizers, gradient surgery). */
    public void setGrad(Tensor g) {
        if (g != null) {
            Shapes.requireSame(shape, g.shape, "setGrad");
            if (g.dtype() != dtype() || !g.device().equals(device())) {
                throw new IllegalArgumentException("setGrad: gradient " + g.describe() + " does not match the dtype and device of "
                        + describe());
            }
            g.retain();
        }
        grad = g;
    }

    void accumulateGrad(Tensor g) {
        Tensor spare = spareGrad;
        spareGrad = null;
        if (grad == null && spare != null && !spare.isFreed() && spare.dtype == g.dtype
                && java.util.Arrays.equals(spare.shape, g.shape) && spare.device().equals(g.device())) {
            spare.copyFrom(g);
            grad = spare;
        } else if (grad == null) {
            Tensor own = g.copy();
            own.gradFn = null;
            own.requiresGrad = false;
            own.retain();
            grad = own;
        } else {
            backend.binary(BinaryOp.ADD, grad.storage, grad.shape, g.storage(), g.shape, grad.storage, grad.shape);
        }
    }

    /** The op that produced this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    /**
     * Whether no recorded op produced this tensor ({@link #gradFn()} is null): factory results, parameters,
     * {@link #detach()} results and op results computed without a gradient-requiring input or with gradients disabled.
     */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** Back-propagates from a scalar (one-element) tensor. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward() needs a scalar output, got shape " + Shapes.str(shape)
                    + "; pass a gradient of the same shape with backward(gradient)");
        }
        Autograd.backward(this, Tensor.full(device(), 1f, shape), false);
    }

    /** Back-propagates {@code gradient} (same shape as this tensor). */
    public void backward(Tensor gradient) {
        Autograd.backward(this, gradient, false);
    }

    /** Back-propagates and keeps the graph so that backward can run again. */
    public void backward(Tensor gradient, boolean retainGraph) {
        Autograd.backward(this, gradient, retainGraph);
    }

    /** A tensor sharing storage with this one but cut from the graph. */
    public Tensor detach() {
        Tensor t = new Tensor(backend, storage, offset, shape, version);
        t.name = name;
        return t;
    }

    /** Keeps this tensor's storage alive when enclosing scopes close. */
    public Tensor retain() {
        TensorScope.escape(storage);
        return this;
    }

    /** Frees the storage now (further use fails). */
    public void free() {
        storage.free();
    }

    /**
     * Whether the storage has been released, by {@link #free()} or when the scope that owned it closed; any later use
     * of the values throws.
     */
    public boolean isFreed() {
        return storage.isFreed();
    }

    void checkAlive(String op) {
        if (storage.isFreed()) {
            throw new IllegalStateException(op + ": use of a freed tensor " + Shapes.str(shape) + " (" + dtype.label()
                    + (name != null ? ", '" + name + "'" : "") + "); it was freed when its scope closed"
                    + " — call retain() on tensors that must outlive the scope");
        }
    }

    // ---- host access -------------------------------------------------------------------------

    /** The single value of a one-element tensor. */
    public float item() {
        checkAlive("item");
        if (numel() != 1) throw new IllegalStateException("item() needs one element, got shape " + Shapes.str(shape));
        if (dtype == DType.INT32) return toIntArray()[0];
        float[] v = new float[1];
        backend.readFloats(storage, offset, v, 0, 1);
        return v[0];
    }

    /** A copy of the values (int32 values converted). */
    public float[] toFloatArray() {
        checkAlive("toFloatArray");
        int n = Math.toIntExact(numel());
        if (dtype == DType.INT32) {
            int[] iv = toIntArray();
            float[] out = new float[n];
            for (int k = 0; k < n; k++) out[k] = iv[k];
            return out;
        }
        float[] out = new float[n];
        backend.readFloats(storage, offset, out, 0, n);
        return out;
    }

    /** A copy of the values of an int32 tensor. */
    public int[] toIntArray() {
        checkAlive("toIntArray");
        if (dtype != DType.INT32) throw new IllegalStateException("toIntArray on a " + dtype.label() + " tensor " + Shapes.str(shape));
        int n = Math.toIntExact(numel());
        int[] out = new int[n];
        backend.readInts(storage, offset, out, 0, n);
        return out;
    }

    /** A copy on another device (differentiable). */
    public Tensor to(Device device) {
        if (device.equals(device())) return this;
        return ShapeOps.toDevice(this, device);
    }

    /** A new tensor with the same values and its own storage (differentiable). */
    public Tensor copy() {
        return ShapeOps.copy(this);
    }

    /** float32 copy of an int32 tensor. */
    public Tensor toFloat() {
        if (dtype == DType.FLOAT32) return this;
        Tensor out = empty(device(), DType.FLOAT32, shape);
        if (offset == 0) backend.intToFloat(storage, out.storage, numel());
        else backend.intToFloat(copy().storage, out.storage, numel());
        return out;
    }

    /**
     * Overwrites this tensor's values with {@code src}'s (not recorded by autograd). A later backward pass through an op
     * that had already used this tensor (or a view of its storage) is refused, since its gradient would come from the
     * new values. The optimizers' fused updates count too ({@link #markWritten}); the batch-norm running statistics,
     * which no backward reads, are written untracked.
     */
    public void copyFrom(Tensor src) {
        checkAlive("copyFrom");
        Shapes.requireSame(shape, src.shape, "copyFrom");
        if (src.dtype != dtype) throw new IllegalArgumentException("copyFrom: dtype " + src.dtype.label() + " into " + dtype.label());
        Tensor s = src.device().equals(device()) ? src : src.detach().to(device());
        backend.copy(s.storage(), s.offset, storage, offset, numel());
        version[0]++;
    }

    /**
     * Records that code outside the tensor API (a fused kernel writing the storage through the backend, such as an
     * optimizer's update) changed this tensor's values in place, as {@link #fill} and {@link #copyFrom} record their
     * own writes: a later backward pass through an op that had used the old values is refused.
     */
    public void markWritten() {
        version[0]++;
    }

    /** Fills this tensor in place (not recorded; a later backward through an op that used it is refused, as for {@link #copyFrom}). */
    public void fill(float value) {
        checkAlive("fill");
        backend.fill(storage, offset, numel(), value);
        version[0]++;
    }

    // ---- element-wise ------------------------------------------------------------------------

    /**
     * Element-wise {@code this + o} with NumPy broadcasting; both must be float32 on the same device, else
     * {@link IllegalArgumentException}. Each input's gradient is summed over the axes it was broadcast along.
     */
    public Tensor add(Tensor o) { return Elementwise.binary(BinaryOp.ADD, this, o); }
    /** Element-wise {@code this - o}, broadcast and differentiated as {@link #add(Tensor)}. */
    public Tensor sub(Tensor o) { return Elementwise.binary(BinaryOp.SUB, this, o); }
    /** Element-wise {@code this * o}, broadcast and differentiated as {@link #add(Tensor)}. */
    public Tensor mul(Tensor o) { return Elementwise.binary(BinaryOp.MUL, this, o); }
    /**
     * Element-wise {@code this / o}, broadcast and differentiated as {@link #add(Tensor)}; a zero divisor gives an
     * infinity or NaN (IEEE division).
     */
    public Tensor div(Tensor o) { return Elementwise.binary(BinaryOp.DIV, this, o); }
    /**
     * Element-wise maximum, NaN if either is NaN. Gradient as PyTorch: to the larger input, half to each on a tie,
     * all of it to both where a NaN makes them incomparable.
     */
    public Tensor maximum(Tensor o) { return Elementwise.binary(BinaryOp.MAX, this, o); }
    /** Element-wise minimum; NaN and gradient as {@link #maximum}, to the smaller input. */
    public Tensor minimum(Tensor o) { return Elementwise.binary(BinaryOp.MIN, this, o); }
    /** 1 where equal, else 0 (not differentiable). */
    public Tensor eq(Tensor o) { return Elementwise.binary(BinaryOp.EQ, this, o); }
    /** 1 where greater, else 0 (not differentiable). */
    public Tensor gt(Tensor o) { return Elementwise.binary(BinaryOp.GT, this, o); }

    /** Adds {@code v} to every element. */
    public Tensor add(float v) { return Elementwise.unary(UnaryOp.ADD_SCALAR, v, this); }
    /** Subtracts {@code v} from every element (adds {@code -v}). */
    public Tensor sub(float v) { return Elementwise.unary(UnaryOp.ADD_SCALAR, -v, this); }
    /** Multiplies every element by {@code v}. */
    public Tensor mul(float v) { return Elementwise.unary(UnaryOp.SCALE, v, this); }
    /**
     * Divides every element by {@code v}, as a multiplication by the float {@code 1/v} (which may differ from a true
     * division in the last bit).
     */
    public Tensor div(float v) { return Elementwise.unary(UnaryOp.SCALE, 1f / v, this); }
    /**
     * Element-wise {@code x^p} with {@link Math#pow(double, double)} semantics (NaN for a negative base and a
     * non-integer {@code p}); gradient {@code p x^(p-1)}, and 0 everywhere for {@code p = 0}.
     */
    public Tensor pow(float p) { return Elementwise.unary(UnaryOp.POW, p, this); }
    /** Element-wise {@code -x}. */
    public Tensor neg() { return Elementwise.unary(UnaryOp.NEG, 0, this); }
    /** Element-wise {@code e^x}. */
    public Tensor exp() { return Elementwise.unary(UnaryOp.EXP, 0, this); }
    /** Element-wise natural logarithm: {@code -Infinity} at 0, NaN for negative values. */
    public Tensor log() { return Elementwise.unary(UnaryOp.LOG, 0, this); }
    /** Element-wise square root (NaN for negative values). */
    public Tensor sqrt() { return Elementwise.unary(UnaryOp.SQRT, 0, this); }
    /** Element-wise {@code 1/sqrt(x)}, evaluated in double precision and rounded once. */
    public Tensor rsqrt() { return Elementwise.unary(UnaryOp.RSQRT, 0, this); }
    /** Element-wise absolute value; gradient {@code sign(x)}, 0 at 0 and at NaN (as PyTorch). */
    public Tensor abs() { return Elementwise.unary(UnaryOp.ABS, 0, this); }
    /** Element-wise {@code x * x}. */
    public Tensor square() { return Elementwise.unary(UnaryOp.SQUARE, 0, this); }
    /** Element-wise {@code 1/x} (infinite at 0). */
    public Tensor reciprocal() { return Elementwise.unary(UnaryOp.RECIPROCAL, 0, this); }
    /** {@code x <= 0 ? +0 : x}, as in PyTorch: NaN propagates, and its gradient passes where the input is NaN. */
    public Tensor relu() { return Elementwise.unary(UnaryOp.RELU, 0, this); }
    /**
     * The exact GELU {@code x Φ(x)}, Φ the standard normal CDF (erf form, PyTorch's default
     * {@code approximate='none'}).
     */
    public Tensor gelu() { return Elementwise.unary(UnaryOp.GELU, 0, this); }
    /** Element-wise hyperbolic tangent. */
    public Tensor tanh() { return Elementwise.unary(UnaryOp.TANH, 0, this); }
    /** Element-wise logistic function {@code 1 / (1 + e^-x)}. */
    public Tensor sigmoid() { return Elementwise.unary(UnaryOp.SIGMOID, 0, this); }

    /** {@code cond != 0 ? this : other}, element-wise; {@code cond} is not differentiated. */
    public Tensor where(Tensor cond, Tensor other) {
        return Elementwise.where(cond, this, other);
    }

    // ---- reductions --------------------------------------------------------------------------

    /** Sum of all elements (a one-element tensor of shape []). */
    public Tensor sum() { return Reductions.sumAll(this); }
    /** Sum over {@code axis}; {@code keepDim} keeps it with size 1. */
    public Tensor sum(int axis, boolean keepDim) { return Reductions.reduce(ReduceOp.SUM, this, axis, keepDim); }
    /** Mean of all elements as a one-element tensor of shape {@code []} (NaN for an empty tensor). */
    public Tensor mean() { return sum().mul(1f / numel()); }
    /** Mean over {@code axis} (negative counts from the end); {@code keepDim} keeps it with size 1. */
    public Tensor mean(int axis, boolean keepDim) { return sum(axis, keepDim).mul(1f / dim(axis)); }
    /** Maximum over {@code axis} (gradient to the first maximal element). */
    public Tensor max(int axis, boolean keepDim) { return Reductions.max(this, axis, keepDim); }
    /** Index of the maximum over {@code axis} as int32 (not differentiable). */
    public Tensor argmax(int axis) { return Reductions.argmax(this, axis); }
    /** Sum of squares of all elements. */
    public Tensor sumSquares() { return square().sum(); }

    // ---- shape -------------------------------------------------------------------------------

    /** Same data, new shape (one dimension may be -1). Shares storage. */
    public Tensor reshape(int... newShape) { return ShapeOps.reshape(this, newShape); }
    /** Flattens axes from {@code startAxis} on. */
    public Tensor flatten(int startAxis) { return ShapeOps.flatten(this, startAxis); }
    /** Materialized permutation of axes. */
    public Tensor permute(int... perm) { return ShapeOps.permute(this, perm); }
    /** Swaps two axes (materialized). */
    public Tensor transpose(int a, int b) { return ShapeOps.transpose(this, a, b); }
    /** Elements {@code [start, end)} along {@code axis} (materialized unless axis 0). */
    public Tensor slice(int axis, int start, int end) { return ShapeOps.slice(this, axis, start, end); }
    /** Rows {@code idx} of the first axis (int32 indices). */
    public Tensor indexSelect(Tensor idx) { return ShapeOps.indexSelect(this, idx); }
    /** Inserts a size-1 axis. */
    public Tensor unsqueeze(int axis) { return ShapeOps.unsqueeze(this, axis); }
    /** Broadcasts to a larger shape (materialized). */
    public Tensor expand(int... newShape) { return ShapeOps.expand(this, newShape); }

    // ---- products ----------------------------------------------------------------------------

    /** Matrix product: 2-D × 2-D, or batched over leading axes (3-D × 3-D / 3-D × 2-D). */
    public Tensor matmul(Tensor o) { return MatMul.matmul(this, o); }

    // ---- printing ----------------------------------------------------------------------------

    /** Shape, dtype and device, e.g. {@code [64, 3, 32, 32] float32 cpu}. */
    public String describe() {
        return Shapes.str(shape) + " " + dtype.label() + " " + device() + (name != null ? " '" + name + "'" : "");
    }

    @Override
    public String toString() {
        if (storage.isFreed()) return "Tensor(" + describe() + ", freed)";
        StringBuilder sb = new StringBuilder("Tensor(").append(describe());
        if (requiresGrad) sb.append(", requiresGrad");
        if (gradFn != null) sb.append(", grad_fn=").append(gradFn.name());
        sb.append(")\n");
        float[] v = toFloatArray();
        int limit = 64;
        sb.append('[');
        for (int k = 0; k < Math.min(limit, v.length); k++) {
            if (k > 0) sb.append(", ");
            sb.append(dtype == DType.INT32 ? Integer.toString((int) v[k]) : String.format(Locale.ROOT, "%.4g", v[k]));
        }
        if (v.length > limit) sb.append(", ... (").append(v.length - limit).append(" more)");
        return sb.append(']').toString();
    }

    // ---- internal ----------------------------------------------------------------------------

    /** Wraps a result: records {@code node} when grad mode is on and any input requires a gradient. */
    static Tensor record(Tensor out, Node node) {
        if (node != null && Grad.isEnabled()) {
            for (Tensor in : node.inputs) {
                if (in != null && in.requiresGrad) {
                    out.requiresGrad = true;
                    out.gradFn = node;
                    node.recordOutput(out);
                    return out;
                }
            }
        }
        return out;
    }

    Tensor view(long newOffset, int[] newShape) {
        return new Tensor(backend, storage, newOffset, newShape, version);
    }

    int[] shapeRef() {
        return shape;
    }

    static String shapes(Tensor... ts) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : ts) {
            if (sb.length() > 0) sb.append(" and ");
            sb.append(t == null ? "null" : Shapes.str(t.shape));
        }
        return sb.toString();
    }

    @SuppressWarnings("unused")
    private static boolean same(int[] a, int[] b) {
        return Arrays.equals(a, b);
    }
}
