package dev.engram.memorization.sweep;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The command that starts Engram in another process (a parallel local task or a Slurm array task): either a given
 * launcher (e.g. the {@code ./engram} script on the cluster's shared file system), or this JVM's own java
 * executable, JVM options that change results or capacity (module, stack and heap options) and class path, so that
 * the child runs exactly this build with the same vector kernels.
 *
 * @param words the command's words, without Engram's arguments
 */
public record Launcher(List<String> words) {
    /** Copies; at least one word. */
    public Launcher {
        words = List.copyOf(words);
        if (words.isEmpty()) throw new IllegalArgumentException("empty launcher command");
    }

    /** A launcher given as one shell-like string, split at white space (e.g. {@code /shared/engram/engram}). */
    public static Launcher of(String command) {
        return new Launcher(List.of(command.trim().split("\\s+")));
    }

    /** This JVM running {@code mainClass}. */
    public static Launcher thisJvm(String mainClass) {
        List<String> w = new ArrayList<>();
        w.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-modules") || a.startsWith("--enable-preview") || a.startsWith("-Xss")
                    || a.startsWith("-Xmx") || a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
                w.add(a);
            }
        }
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = 0; i + 1 < args.size(); i++) { // the two-word form "--add-modules X"
            if (args.get(i).equals("--add-modules")) w.add(w.indexOf("--add-modules") + 1, args.get(i + 1));
        }
        // under Maven Surefire the class path of the tests is in a property (java.class.path is a booter jar)
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        w.add("-cp");
        w.add(cp);
        w.add(mainClass);
        return new Launcher(w);
    }

    /** This launcher followed by {@code args}. */
    public List<String> command(List<String> args) {
        List<String> c = new ArrayList<>(words);
        c.addAll(args);
        return c;
    }

    /** The command as one line for a shell script, each word quoted where needed. */
    public String shellLine(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (String w : command(args)) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(quote(w));
        }
        return sb.toString();
    }

    /** {@code w} quoted for a POSIX shell unless it is made of safe characters; {@code $VAR} words are kept. */
    static String quote(String w) {
        if (w.matches("[A-Za-z0-9_./:=@%+,-]+") || w.matches("\"?\\$\\{?[A-Z_]+}?\"?")) return w;
        return "'" + w.replace("'", "'\\''") + "'";
    }
}
