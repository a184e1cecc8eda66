package dev.engram.engine.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds the CUDA shared libraries without loading them. Search order:
 * <ol>
 *   <li>{@code ENGRAM_CUDA_LIB_PATH} (or the system property {@code engram.cuda.libPath}), colon-separated;</li>
 *   <li>{@code LD_LIBRARY_PATH};</li>
 *   <li>the CUDA toolkit and distribution directories ({@code /usr/local/cuda/lib64}, {@code /usr/lib/x86_64-linux-gnu}, ...);</li>
 *   <li>the {@code ldconfig -p} cache;</li>
 *   <li>NVIDIA's pip wheels: {@code site-packages/nvidia/*}{@code /lib} under the usual Python prefixes,
 *       {@code VIRTUAL_ENV} and {@code CONDA_PREFIX}.</li>
 * </ol>
 */
public final class NativeLibraryLocator {
    /** A library found on disk. */
    public record Found(String soname, Path path, String version) {
        @Override
        public String toString() {
            return soname + " at " + path + (version.isEmpty() ? "" : " (" + version + ")");
        }
    }

    private final List<Path> directories;
    private final Map<String, Path> ldcache;

    NativeLibraryLocator(List<Path> directories, Map<String, Path> ldcache) {
        this.directories = List.copyOf(directories);
        this.ldcache = Map.copyOf(ldcache);
    }

    /** A locator over this process's environment. */
    public static NativeLibraryLocator fromEnvironment() {
        List<Path> dirs = new ArrayList<>();
        String override = System.getProperty("engram.cuda.libPath", System.getenv("ENGRAM_CUDA_LIB_PATH"));
        addPathList(dirs, override);
        addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
        for (String d : new String[] {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
                "/usr/local/cuda/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib/x86_64-linux-gnu",
                "/usr/lib/wsl/lib", "/usr/local/nvidia/lib64", "/usr/lib"}) {
            dirs.add(Path.of(d));
        }
        dirs.addAll(pipWheelDirectories());
        return new NativeLibraryLocator(dedupe(dirs), readLdconfigCache());
    }

    /** Directories searched, in order (the ldconfig cache comes after them). */
    public List<Path> directories() {
        return directories;
    }

    /** Short description of the search for error messages. */
    public String searchedDescription() {
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (Path d : directories) {
            if (!Files.isDirectory(d)) continue;
            if (shown++ > 0) sb.append(':');
            sb.append(d);
        }
        if (shown == 0) sb.append("(no existing directory)");
        sb.append(" and the ldconfig cache (").append(ldcache.size()).append(" entries); set ENGRAM_CUDA_LIB_PATH to add directories");
        return sb.toString();
    }

    /** The first of the given sonames found, in search order per soname. */
    public Optional<Found> find(String soname) {
        for (Path d : directories) {
            Path p = d.resolve(soname);
            if (Files.isRegularFile(p)) return Optional.of(describe(soname, p));
        }
        Path cached = ldcache.get(soname);
        if (cached != null && Files.isRegularFile(cached)) return Optional.of(describe(soname, cached));
        return Optional.empty();
    }

    /** Whether {@code lib} sits in the same directory as a file named {@code sibling}; returns it if so. */
    public static Optional<Found> sibling(Found lib, String sibling) {
        Path p = lib.path().getParent().resolve(sibling);
        return Files.isRegularFile(p) ? Optional.of(describe(sibling, p)) : Optional.empty();
    }

    static Found describe(String soname, Path p) {
        String version = "";
        try {
            Path real = p.toRealPath();
            String name = real.getFileName().toString();
            int at = name.indexOf(".so.");
            if (at >= 0) version = name.substring(at + 4);
            return new Found(soname, real, version);
        } catch (IOException e) {
            return new Found(soname, p.toAbsolutePath(), version);
        }
    }

    private static void addPathList(List<Path> dirs, String list) {
        if (list == null || list.isBlank()) return;
        for (String s : list.split(":")) {
            if (!s.isBlank()) dirs.add(Path.of(s.trim()));
        }
    }

    private static List<Path> dedupe(List<Path> dirs) {
        Set<Path> seen = new LinkedHashSet<>();
        for (Path d : dirs) seen.add(d.toAbsolutePath().normalize());
        return new ArrayList<>(seen);
    }

    /** {@code nvidia/<package>/lib} directories of pip-installed NVIDIA wheels. */
    static List<Path> pipWheelDirectories() {
        List<Path> prefixes = new ArrayList<>();
        for (String env : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) prefixes.add(Path.of(v, "lib"));
        }
        String home = System.getProperty("user.home");
        if (home != null) prefixes.add(Path.of(home, ".local", "lib"));
        for (String p : new String[] {"/usr/local/lib", "/usr/lib", "/opt/conda/lib", "/opt/venv/lib", "/venv/lib"}) {
            prefixes.add(Path.of(p));
        }
        List<Path> out = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path python : children(prefix, "python3*")) {
                for (String packages : new String[] {"site-packages", "dist-packages"}) {
                    Path nvidia = python.resolve(packages).resolve("nvidia");
                    for (Path pkg : children(nvidia, "*")) {
                        Path lib = pkg.resolve("lib");
                        if (Files.isDirectory(lib)) out.add(lib);
                    }
                }
            }
        }
        return out;
    }

    private static List<Path> children(Path dir, String glob) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
            for (Path p : ds) if (Files.isDirectory(p)) out.add(p);
        } catch (IOException | SecurityException e) {
            return out;
        }
        out.sort(null);
        return out;
    }

    /** Parses {@code ldconfig -p}: lines like {@code libcuda.so.1 (libc6,x86-64) => /usr/lib/.../libcuda.so.1}. */
    static Map<String, Path> readLdconfigCache() {
        for (String exe : new String[] {"/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"}) {
            if (exe.startsWith("/") && !Files.isExecutable(Path.of(exe))) continue;
            try {
                Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    continue;
                }
                return parseLdconfig(new String(out, java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                // try the next location
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Map.of();
    }

    static Map<String, Path> parseLdconfig(String text) {
        Map<String, Path> map = new java.util.LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String t = line.trim();
            int arrow = t.indexOf("=>");
            int paren = t.indexOf(" (");
            if (arrow < 0 || paren < 0) continue;
            String flags = t.substring(paren, arrow).toLowerCase(Locale.ROOT);
            if (!flags.contains("x86-64")) continue;
            map.putIfAbsent(t.substring(0, paren).trim(), Path.of(t.substring(arrow + 2).trim()));
        }
        return map;
    }
}
