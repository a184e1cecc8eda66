package dev.engram.engine.cpu;

import java.lang.System.Logger.Level;
import java.util.function.Supplier;

/**
 * Loads the Vector API implementation of a CPU kernel reflectively, so that only that class references
 * {@code jdk.incubator.vector} and the engine runs without the module: the implementation when the JVM was started
 * with {@code --add-modules jdk.incubator.vector} and it loads, else the plain-Java fallback (with a warning naming
 * why, when the module is there but the class does not load).
 */
final class VectorApi {
    private VectorApi() {}

    /** Whether {@code jdk.incubator.vector} is in the boot layer. */
    static boolean present() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * A new instance of {@code className} (a {@code type} with a no-argument constructor in this package) when the
     * module is present, else {@code fallback}'s; {@code what} names the kernel in the warning.
     */
    static <T> T loadOrElse(Class<T> type, String className, String what, Supplier<? extends T> fallback) {
        if (present()) {
            try {
                return type.cast(Class.forName("dev.engram.engine.cpu." + className).getDeclaredConstructor().newInstance());
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                System.getLogger(type.getName()).log(Level.WARNING,
                        "Vector API " + what + " unavailable (" + e + "); using the plain-Java one.");
            }
        }
        return fallback.get();
    }
}
