package dev.engram.datasets;

/**
 * Unchecked failure raised on the consumer thread when building a batch failed (typically inside a prefetch
 * worker); the original exception is the {@linkplain #getCause() cause}.
 */
public class DataLoaderException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed (epoch, batch)  @param cause the original exception */
    public DataLoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
