package dev.engram.memorization.analysis;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The memorization module's packages depend on each other without a cycle: every {@code import} (static or not) and
 * every fully qualified reference {@code dev.engram.memorization.x.Y} of a main source file is an edge from the file's
 * package to {@code x}.
 */
class PackageCycleTest {
    private static final String ROOT = "dev.engram.memorization";
    private static final Path SOURCES = Path.of("src", "main", "java");
    /** A same-module reference: the package path up to the first upper-case segment (the class). */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.engram\\.memorization((?:\\.[a-z_][a-z0-9_]*)*)\\.[A-Z]");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^\\s*package\\s+([\\w.]+)\\s*;");

    @Test
    void theModuleHasNoPackageCycle() throws IOException {
        Map<String, Set<String>> graph = graph();
        assertThat(graph).as("packages found under " + SOURCES.toAbsolutePath()).containsKeys(ROOT + ".analysis",
                ROOT + ".data", ROOT + ".run", ROOT + ".cli");
        List<String> cycle = findCycle(graph);
        if (cycle != null) {
            StringBuilder sb = new StringBuilder("package cycle: " + String.join(" -> ", cycle) + "\nedges:\n");
            for (int i = 0; i + 1 < cycle.size(); i++) {
                sb.append("  ").append(cycle.get(i)).append(" -> ").append(cycle.get(i + 1)).append(": ")
                        .append(evidence.get(cycle.get(i) + " -> " + cycle.get(i + 1))).append('\n');
            }
            System.out.println(sb);
            fail(sb.toString());
        }
    }

    @Test
    void theCycleFinderFindsACycle() {
        Map<String, Set<String>> g = new TreeMap<>();
        g.put("a", new TreeSet<>(List.of("b")));
        g.put("b", new TreeSet<>(List.of("c")));
        g.put("c", new TreeSet<>(List.of("a")));
        g.put("d", new TreeSet<>(List.of("a")));
        assertThat(findCycle(g)).containsExactly("a", "b", "c", "a");
        g.get("c").clear();
        assertThat(findCycle(g)).isNull();
    }

    @Test
    void referencesAreParsedFromImportsAndQualifiedNames() {
        Matcher m = REFERENCE.matcher("import dev.engram.memorization.run.RunFolder; x = new dev.engram.memorization.io.Results();"
                + " import static dev.engram.memorization.data.RunData.EVAL_BATCH;");
        List<String> found = new ArrayList<>();
        while (m.find()) found.add(m.group(1));
        assertThat(found).containsExactly(".run", ".io", ".data");
    }

    private final Map<String, String> evidence = new HashMap<>();

    /** Package → packages of the module it references. */
    private Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertThat(files).as("main sources of the memorization module").hasSizeGreaterThan(20);
        for (Path f : files) {
            String src = Files.readString(f);
            Matcher pm = PACKAGE.matcher(src);
            if (!pm.find()) continue;
            String from = pm.group(1);
            if (!from.startsWith(ROOT)) continue;
            Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
            Matcher m = REFERENCE.matcher(stripComments(src));
            while (m.find()) {
                String target = ROOT + m.group(1);
                if (target.equals(from)) continue;
                to.add(target);
                evidence.putIfAbsent(from + " -> " + target, SOURCES.relativize(f).toString());
                graph.computeIfAbsent(target, k -> new TreeSet<>());
            }
        }
        return graph;
    }

    /** Removes comments (javadoc {@code @link}s are no dependency); string literals are kept. */
    private static String stripComments(String src) {
        return src.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }

    /** A cycle as a list of packages whose first and last entries are the same, or null. */
    static List<String> findCycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new HashMap<>(); // 1 = on the stack, 2 = done
        for (String start : graph.keySet()) {
            if (state.containsKey(start)) continue;
            Deque<String> path = new ArrayDeque<>();
            List<String> c = dfs(start, graph, state, path);
            if (c != null) return c;
        }
        return null;
    }

    private static List<String> dfs(String node, Map<String, Set<String>> graph, Map<String, Integer> state,
                                    Deque<String> path) {
        state.put(node, 1);
        path.addLast(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            Integer s = state.get(next);
            if (s == null) {
                List<String> c = dfs(next, graph, state, path);
                if (c != null) return c;
            } else if (s == 1) {
                List<String> onStack = new ArrayList<>(path);
                List<String> cycle = new ArrayList<>(onStack.subList(onStack.indexOf(next), onStack.size()));
                cycle.add(next);
                return cycle;
            }
        }
        path.removeLast();
        state.put(node, 2);
        return null;
    }
}
