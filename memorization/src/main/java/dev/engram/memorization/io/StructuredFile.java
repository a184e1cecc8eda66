package dev.engram.memorization.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a YAML ({@code .yaml}, {@code .yml}) or JSON ({@code .json}) file whose top level is a mapping into plain
 * Java values: maps (insertion order kept), lists, strings, booleans and numbers ({@link Long} for integers,
 * {@link Double} otherwise). JSON is valid YAML, but JSON files are parsed as JSON so that their errors read as JSON
 * errors.
 */
public final class StructuredFile {
    private StructuredFile() { }

    /**
     * The top-level mapping of {@code file}.
     *
     * @throws IllegalArgumentException naming the file when it is missing, has another extension, does not parse or
     *                                  is not a mapping
     */
    public static Map<String, Object> read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean json = name.endsWith(".json");
        if (!json && !name.endsWith(".yaml") && !name.endsWith(".yml")) {
            throw new IllegalArgumentException(file + ": expected a .yaml, .yml or .json file");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file not found: " + file, e);
        }
        Object parsed = json ? parseJson(text, file) : parseYaml(text, file);
        if (!(parsed instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(file + ": expected a mapping of keys to values at the top level");
        }
        return stringKeys(m, file);
    }

    private static Object parseJson(String text, Path file) {
        try {
            return plain(JsonParser.parseString(text));
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + Results.jsonProblem(e), e);
        }
    }

    private static Object parseYaml(String text, Path file) {
        try {
            Object o = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            return normalize(o);
        } catch (YAMLException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> stringKeys(Map<?, ?> m, Path file) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new IllegalArgumentException(file + ": key " + e.getKey() + " is not a string");
            }
            out.put(k, e.getValue());
        }
        return out;
    }

    /** SnakeYAML's integers (Integer, Long, BigInteger) as Long, floats as Double, nested maps and lists alike. */
    private static Object normalize(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k instanceof Number || k instanceof Boolean ? String.valueOf(k) : k, normalize(v)));
            return out;
        }
        if (o instanceof java.util.List<?> l) return l.stream().map(StructuredFile::normalize).toList();
        if (o instanceof Integer || o instanceof Short || o instanceof Byte) return ((Number) o).longValue();
        if (o instanceof java.math.BigInteger b) return b.doubleValue();
        if (o instanceof Float f) return f.doubleValue();
        return o;
    }

    /** A Gson tree as plain values; JSON numbers without fraction or exponent become Long. */
    public static Object plain(JsonElement e) {
        if (e == null || e.isJsonNull()) return null;
        if (e.isJsonObject()) {
            Map<String, Object> out = new LinkedHashMap<>();
            e.getAsJsonObject().entrySet().forEach(x -> out.put(x.getKey(), plain(x.getValue())));
            return out;
        }
        if (e.isJsonArray()) {
            java.util.List<Object> out = new java.util.ArrayList<>();
            e.getAsJsonArray().forEach(x -> out.add(plain(x)));
            return out;
        }
        var p = e.getAsJsonPrimitive();
        if (p.isBoolean()) return p.getAsBoolean();
        if (p.isString()) return p.getAsString();
        String s = p.getAsString();
        if (s.matches("-?\\d+")) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException ignored) {
                return Double.parseDouble(s);
            }
        }
        return p.getAsDouble();
    }
}
