package dev.engram.engine;

/** Entry points that are not tied to one tensor: scopes and no-grad regions. */
public final class Tensors {
    private Tensors() {}

    /**
     * Opens a scope that frees every tensor created inside it on close, except those that escape
     * through {@link Tensor#retain()} or {@link TensorScope#keep(Tensor...)}.
     */
    public static TensorScope scope() {
        return new TensorScope();
    }

    /** Disables gradient recording until closed. */
    public static Grad noGrad() {
        return Grad.disabled();
    }
}
