package dev.engram.engine;

/** Element type of a tensor: 32-bit floats for values, 32-bit ints for labels and indices. */
public enum DType {
    /** 32-bit IEEE float: values, parameters and gradients. */
    FLOAT32(4),
    /** 32-bit signed integer: labels and indices (never differentiated). */
    INT32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Lower-case name used in error messages and checkpoints ("float32", "int32"). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
