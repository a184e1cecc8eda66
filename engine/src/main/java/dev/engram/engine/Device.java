package dev.engram.engine;

import java.util.Objects;

/**
 * Where a tensor's storage lives: the host ({@link #CPU}) or a CUDA device by ordinal.
 *
 * @param kind  "cpu" or "cuda"
 * @param index device ordinal (0 for the CPU)
 */
public record Device(String kind, int index) {
    /** The host. */
    public static final Device CPU = new Device("cpu", 0);

    /**
     * Validates: a null {@code kind} throws {@link NullPointerException}, a kind other than "cpu" or "cuda" or a
     * negative index {@link IllegalArgumentException}.
     */
    public Device {
        Objects.requireNonNull(kind, "kind");
        if (!kind.equals("cpu") && !kind.equals("cuda")) {
            throw new IllegalArgumentException("unknown device kind '" + kind + "' (expected cpu or cuda)");
        }
        if (index < 0) throw new IllegalArgumentException("device index must be >= 0, got " + index);
    }

    /** CUDA device with the given ordinal. */
    public static Device cuda(int index) {
        return new Device("cuda", index);
    }

    /** Parses "cpu", "cuda" or "cuda:N". */
    public static Device parse(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("cpu")) return CPU;
        if (t.equals("cuda") || t.equals("gpu")) return cuda(0);
        if (t.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad device '" + s + "' (expected cpu, cuda or cuda:N)");
            }
        }
        throw new IllegalArgumentException("bad device '" + s + "' (expected cpu, cuda or cuda:N)");
    }

    /** Whether this is the host. */
    public boolean isCpu() {
        return kind.equals("cpu");
    }

    @Override
    public String toString() {
        return isCpu() ? "cpu" : "cuda:" + index;
    }
}
