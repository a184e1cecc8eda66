package dev.engram.memorization.run;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Facts about the running JVM, machine and Engram checkout, for {@link Provenance} and {@code engram doctor}. */
public final class SystemInfo {
    /** System property naming the Engram checkout (set by the {@code ./engram} launcher). */
    public static final String HOME_PROPERTY = "engram.home";

    private SystemInfo() { }

    /** Whether the Vector API incubator module is in the boot layer (the JVM got {@code --add-modules}). */
    public static boolean vectorApiActive() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** The Engram version recorded at build time, or {@code "unknown"}. */
    public static String engramVersion() {
        try (InputStream in = Provenance.class.getResourceAsStream("/engram-version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.contains("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * {@code git rev-parse HEAD} in the Engram checkout (system property {@value #HOME_PROPERTY}, else the working
     * directory), with a "-dirty" suffix when tracked files are modified; {@code "unknown"} when git or the
     * repository is unavailable.
     */
    public static String gitCommit() {
        Path dir = Path.of(System.getProperty(HOME_PROPERTY, "."));
        String head = run(dir, "git", "rev-parse", "HEAD");
        if (head == null || !head.matches("[0-9a-f]{40}")) return "unknown";
        String status = run(dir, "git", "status", "--porcelain", "--untracked-files=no");
        return status != null && !status.isEmpty() ? head + "-dirty" : head;
    }

    /** The first {@code model name} line of {@code /proc/cpuinfo}, or {@code "unknown"}. */
    public static String cpuModel() {
        Path info = Path.of("/proc/cpuinfo");
        try {
            for (String line : Files.readAllLines(info, StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    int colon = line.indexOf(':');
                    if (colon > 0) return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }

    /** Host name, or {@code "unknown"}. */
    public static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            String env = System.getenv("HOSTNAME");
            return env == null || env.isBlank() ? "unknown" : env;
        }
    }

    private static String run(Path dir, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(false).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            p.getErrorStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroy();
                return null;
            }
            return new String(out, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
