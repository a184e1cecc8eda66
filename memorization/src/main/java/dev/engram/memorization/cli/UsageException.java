package dev.engram.memorization.cli;

import java.util.function.Supplier;

/**
 * A bad value, or combination, of the options the user gave: the command line's usage error (exit code
 * {@link EngramCli#EXIT_USAGE}), reported as {@code engram <command>: error: <message>}. Commands throw it where they
 * validate their options, before any work starts; an {@link IllegalArgumentException} thrown later, while a command
 * runs (a bug, a data problem), stays a failure (exit code {@link EngramCli#EXIT_FAILURE}).
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A usage error with {@code message}, which names the option concerned. */
    public UsageException(String message) {
        super(message);
    }

    /** A usage error with {@code message} found by the validation that threw {@code cause}. */
    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The user's option values converted by {@code conversion} (e.g. into an analysis' options record, whose
     * constructor validates them): an {@link IllegalArgumentException} it throws is about those values, so it is
     * rethrown as a usage error with the same message. Wrap only the conversion of option values, never work on the run.
     */
    public static <T> T validate(Supplier<T> conversion) {
        try {
            return conversion.get();
        } catch (UsageException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /**
     * As {@link #validate(Supplier)} for the value of one option: the message is prefixed with {@code option} unless
     * it names that option already.
     */
    public static <T> T validate(String option, Supplier<T> conversion) {
        try {
            return conversion.get();
        } catch (UsageException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new UsageException(m.contains(option) ? m : option + ": " + m, e);
        }
    }
}
