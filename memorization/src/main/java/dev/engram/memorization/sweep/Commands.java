package dev.engram.memorization.sweep;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;

/**
 * The Engram commands a sweep task runs (training and the analyses), as the command line knows them; implemented by
 * the CLI, so that a sweep runs exactly what a researcher would type.
 */
public interface Commands {
    /** Runs {@code engram ARGS} in this process and returns its exit code. */
    int run(List<String> args, PrintWriter out, PrintWriter err);

    /**
     * The folder under {@code analyses/} that the analysis command line {@code args} (command name first, without
     * {@code --run}) writes, e.g. {@code flipping} for {@code flip --noisy 10} or {@code flipping.shard-1-of-4} for
     * {@code flip --shard 1/4}; empty when {@code args} is not an
     * analysis command.
     */
    Optional<String> resultFolder(List<String> args);

    /** Whether the analysis command {@code name} takes {@code --shard i/n} (and {@code merge --analysis name}). */
    boolean shardable(String name);

    /**
     * Checks the analysis command line {@code args} (command name first, without {@code --run}) as the command will
     * parse it when the sweep runs it, without running it: its options exist and their values have the right type.
     *
     * @throws IllegalArgumentException with the parser's message (e.g. {@code Invalid value for option '--noisy':
     *                                  'abc' is not an int}) when the command would refuse {@code args}
     */
    void check(List<String> args);

    /**
     * A form of the analysis command line {@code args} in which two lines that the command parses to the same option
     * values are equal ({@code --noisy=50} and {@code --noisy 50}, another option order, a default given explicitly);
     * {@code args} itself where it cannot be parsed.
     */
    default List<String> canonical(List<String> args) {
        return args;
    }
}
