package dev.engram.memorization.cli;

/**
 * A usage error found by a command itself rather than by picocli (e.g. an analysis option of a sweep file that its
 * command refuses): reported like any failure ({@code engram CMD: error: MESSAGE}) but with the usage-error exit code
 * {@link EngramCli#EXIT_USAGE}.
 */
final class UsageException extends IllegalArgumentException {
    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
