package dev.engram.memorization.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

import dev.engram.nn.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * JSON files of a run ({@code results.json}, {@code config.json}, {@code provenance.json}): pretty-printed with
 * Gson, written atomically. Non-finite numbers (NaN, ±Infinity), which JSON cannot represent, are written as
 * {@code null}, so every file is standard JSON that any tool reads. Maps without a defined iteration order
 * ({@code Map.of}, {@code Map.copyOf}, {@code HashMap} …, whose order may change from one JVM to the next) are written
 * with their keys sorted, so the same results give the same bytes in every process (shards merged elsewhere, resumed
 * runs); insertion-ordered and sorted maps keep their order, also behind a read-only view.
 */
public final class Results {

    /**
     * Key of results.json under which {@code Analyses.execute} stores the analysis' headline rows, an array of
     * {@code {"label": ..., "value": ...}}, so that the report can read them without knowing the analysis.
     */
    public static final String SUMMARY_ROWS = "summaryRows";

    /** The shared Gson instance (pretty printing, nulls kept, non-finite doubles/floats as null). */
    public static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeNulls()
            .disableHtmlEscaping()
            .registerTypeAdapter(Double.class, new FiniteDouble())
            .registerTypeAdapter(double.class, new FiniteDouble())
            .registerTypeAdapter(Float.class, new FiniteFloat())
            .registerTypeAdapter(float.class, new FiniteFloat())
            .registerTypeAdapterFactory(new StableMapOrder())
            .create();

    private Results() { }

    /** Serializes {@code value} (record, map, list, JsonElement …) to pretty JSON. */
    public static String toJson(Object value) {
        return GSON.toJson(value) + "\n";
    }

    /** Atomically writes {@code value} as pretty JSON to {@code file}. */
    public static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.writeString(file, toJson(value));
    }

    /**
     * Reads a JSON object from {@code file}.
     *
     * @throws IOException naming the file when it is missing, not JSON, or not a JSON object
     */
    public static JsonObject readObject(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "JSON file not found");
        }
        JsonElement e;
        try {
            e = JsonParser.parseString(text);
        } catch (JsonParseException ex) {
            throw new IOException(file + ": not valid JSON: " + jsonProblem(ex), ex);
        }
        if (!e.isJsonObject()) throw new IOException(file + ": expected a JSON object at top level, found " + e);
        return e.getAsJsonObject();
    }

    /** Writes maps of unspecified iteration order with sorted keys (see the class comment). */
    private static final class StableMapOrder implements TypeAdapterFactory {
        @Override
        @SuppressWarnings("unchecked")
        public <T> TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
            if (!Map.class.isAssignableFrom(type.getRawType())) return null;
            TypeAdapter<T> delegate = gson.getDelegateAdapter(this, type);
            return new TypeAdapter<>() {
                @Override public void write(JsonWriter out, T value) throws IOException {
                    delegate.write(out, value instanceof Map<?, ?> m && !ordered(m) ? (T) sorted(m) : value);
                }

                @Override public T read(JsonReader in) throws IOException {
                    return delegate.read(in);
                }
            };
        }

        /**
         * Whether {@code m} iterates in an order of its own making: only the maps known to iterate in an unspecified
         * order (hash maps other than {@link LinkedHashMap}, {@code Map.of} and {@code Map.copyOf}) are sorted, so an
         * insertion-ordered map seen through a wrapper ({@code Collections.unmodifiableMap}) keeps its order.
         */
        private static boolean ordered(Map<?, ?> m) {
            if (m.size() < 2 || m instanceof LinkedHashMap || m instanceof SortedMap || m instanceof EnumMap) return true;
            boolean hashed = m instanceof java.util.HashMap || m instanceof java.util.Hashtable
                    || m instanceof java.util.IdentityHashMap || m instanceof java.util.WeakHashMap
                    || m instanceof java.util.concurrent.ConcurrentHashMap
                    || m.getClass().getName().startsWith("java.util.ImmutableCollections$");
            return !hashed;
        }

        private static Map<Object, Object> sorted(Map<?, ?> m) {
            Map<Object, Object> out = new TreeMap<>(Comparator.comparing(String::valueOf));
            out.putAll(m);
            return out;
        }
    }

    private static final class FiniteDouble extends TypeAdapter<Double> {
        @Override public void write(JsonWriter out, Double v) throws IOException {
            if (v == null || !Double.isFinite(v)) out.nullValue();
            else out.value(v);
        }

        @Override public Double read(JsonReader in) throws IOException {
            if (in.peek() == JsonToken.NULL) {
                in.nextNull();
                return Double.NaN;
            }
            return in.nextDouble();
        }
    }

    private static final class FiniteFloat extends TypeAdapter<Float> {
        @Override public void write(JsonWriter out, Float v) throws IOException {
            if (v == null || !Float.isFinite(v)) out.nullValue();
            else out.value(v);
        }

        @Override public Float read(JsonReader in) throws IOException {
            if (in.peek() == JsonToken.NULL) {
                in.nextNull();
                return Float.NaN;
            }
            return (float) in.nextDouble();
        }
    }

    /**
     * What a JSON parser's exception says about the text, in one line: the innermost message without the parser's
     * advice on lenient parsing or its troubleshooting link (e.g. "malformed JSON at line 1 column 5 path $").
     */
    public static String jsonProblem(Throwable ex) {
        Throwable t = ex;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.lines().findFirst().orElse(m).trim();
        m = m.replaceFirst("^Use JsonReader\\.set(Strictness\\(Strictness\\.LENIENT\\)|Lenient\\(true\\)) to accept malformed JSON",
                "malformed JSON");
        return m;
    }
}
