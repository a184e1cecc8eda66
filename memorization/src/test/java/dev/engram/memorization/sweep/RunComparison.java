package dev.engram.memorization.sweep;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.engram.nn.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Compares two run folders for CPU determinism: every file must exist in both and hold the same content, except what
 * records when and where it ran (provenance.json, the lock file, hidden staging folders, and JSON keys, CSV columns
 * and safetensors metadata about wall time). Tensors are compared bit for bit.
 */
public final class RunComparison {
    /** Keys and columns that hold wall time or throughput. */
    static final Pattern TIMING = Pattern.compile("(?i).*(seconds|persecond|starttime|endtime|wall).*");

    private RunComparison() { }

    /** The differences between run folders {@code a} and {@code b}, one line each (empty when identical). */
    public static List<String> differences(Path a, Path b) throws IOException {
        TreeSet<String> fa = files(a), fb = files(b);
        List<String> out = new ArrayList<>();
        for (String f : fa) if (!fb.contains(f)) out.add("only in " + a + ": " + f);
        for (String f : fb) if (!fa.contains(f)) out.add("only in " + b + ": " + f);
        for (String f : fa) {
            if (!fb.contains(f)) continue;
            Path x = a.resolve(f), y = b.resolve(f);
            String diff = compare(f, x, y);
            if (diff != null) out.add(f + ": " + diff);
        }
        return out;
    }

    private static TreeSet<String> files(Path root) throws IOException {
        TreeSet<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(p -> {
                String rel = root.relativize(p).toString();
                boolean hidden = Arrays.stream(rel.split("/")).anyMatch(seg -> seg.startsWith("."));
                if (!hidden && !rel.equals("provenance.json")) out.add(rel);
            });
        }
        return out;
    }

    private static String compare(String name, Path x, Path y) throws IOException {
        if (name.endsWith(".json")) {
            JsonElement jx = strip(JsonParser.parseString(Files.readString(x)));
            JsonElement jy = strip(JsonParser.parseString(Files.readString(y)));
            return jx.equals(jy) ? null : "JSON differs";
        }
        if (name.endsWith(".csv")) {
            return csv(Files.readAllLines(x)).equals(csv(Files.readAllLines(y))) ? null : "CSV differs";
        }
        if (name.endsWith(".safetensors")) {
            SafeTensors.Contents cx = SafeTensors.read(x), cy = SafeTensors.read(y);
            Map<String, String> mx = new TreeMap<>(cx.metadata()), my = new TreeMap<>(cy.metadata());
            mx.keySet().removeIf(k -> TIMING.matcher(k).matches());
            my.keySet().removeIf(k -> TIMING.matcher(k).matches());
            if (!mx.equals(my)) return "metadata differs: " + mx + " vs " + my;
            if (!cx.tensors().keySet().equals(cy.tensors().keySet())) return "tensor names differ";
            for (String t : cx.tensors().keySet()) {
                float[] vx = cx.tensors().get(t).toFloatArray(), vy = cy.tensors().get(t).toFloatArray();
                if (vx.length != vy.length) return "tensor " + t + " has another size";
                for (int i = 0; i < vx.length; i++) {
                    if (Float.floatToRawIntBits(vx[i]) != Float.floatToRawIntBits(vy[i])) {
                        return "tensor " + t + " differs at " + i + ": " + vx[i] + " vs " + vy[i];
                    }
                }
            }
            return null;
        }
        return Arrays.equals(Files.readAllBytes(x), Files.readAllBytes(y)) ? null : "bytes differ";
    }

    private static JsonElement strip(JsonElement e) {
        if (e.isJsonObject()) {
            JsonObject o = new JsonObject();
            for (var m : e.getAsJsonObject().entrySet()) {
                if (!TIMING.matcher(m.getKey()).matches()) o.add(m.getKey(), strip(m.getValue()));
            }
            return o;
        }
        if (e.isJsonArray()) {
            var a = new com.google.gson.JsonArray();
            e.getAsJsonArray().forEach(x -> a.add(strip(x)));
            return a;
        }
        return e;
    }

    private static List<List<String>> csv(List<String> lines) {
        if (lines.isEmpty()) return List.of();
        List<String> header = List.of(lines.get(0).split(",", -1));
        List<List<String>> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(",", -1);
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < f.length; i++) if (i >= header.size() || !TIMING.matcher(header.get(i)).matches()) kept.add(f[i]);
            out.add(kept);
        }
        return out;
    }
}
