package dev.engram.memorization.io;

import com.google.gson.JsonObject;
import dev.engram.nn.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IoTest {
    @TempDir
    Path dir;

    private long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void mapsOfUnspecifiedOrderAreWrittenWithSortedKeysAndOrderedMapsKeepTheirOrder() {
        Map<String, Object> inserted = new LinkedHashMap<>();
        inserted.put("zeta", 1);
        inserted.put("alpha", Map.of("c", 3, "a", 1, "b", 2));
        java.util.HashMap<String, Integer> hashed = new java.util.HashMap<>();
        for (String k : List.of("q", "e", "w", "r", "t", "y")) hashed.put(k, k.charAt(0) - 'a');
        inserted.put("hashed", hashed);
        String json = Results.toJson(inserted).replaceAll("\\s+", "");
        assertThat(json).isEqualTo("{\"zeta\":1,\"alpha\":{\"a\":1,\"b\":2,\"c\":3},"
                + "\"hashed\":{\"e\":4,\"q\":16,\"r\":17,\"t\":19,\"w\":22,\"y\":24}}");
    }

    @Test
    void readOnlyViewsOfOrderedMapsKeepTheirOrder() {
        Map<String, Object> inserted = new LinkedHashMap<>();
        for (String k : List.of("zeta", "alpha", "mu")) inserted.put(k, k.length());
        String json = Results.toJson(java.util.Collections.unmodifiableMap(inserted)).replaceAll("\\s+", "");
        assertThat(json).isEqualTo("{\"zeta\":4,\"alpha\":5,\"mu\":2}");
        assertThat(Results.toJson(Map.copyOf(inserted)).replaceAll("\\s+", ""))
                .as("Map.copyOf has no defined order: sorted").isEqualTo("{\"alpha\":5,\"mu\":2,\"zeta\":4}");
    }

    @Test
    void atomicWriteReplacesAndLeavesNoTemporaryFiles() throws IOException {
        Path f = dir.resolve("sub/a.txt");
        AtomicFiles.writeString(f, "first");
        AtomicFiles.writeString(f, "second");
        assertThat(Files.readString(f)).isEqualTo("second");
        assertThat(filesIn(f.getParent())).isEqualTo(1);
    }

    @Test
    void failedWriteKeepsTheOldContent() throws IOException {
        Path f = dir.resolve("keep.txt");
        AtomicFiles.writeString(f, "old");
        assertThatThrownBy(() -> AtomicFiles.write(f, ch -> {
            AtomicFiles.writeFully(ch, java.nio.ByteBuffer.wrap("partial".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("disk on fire");
        })).hasMessage("disk on fire");
        assertThat(Files.readString(f)).isEqualTo("old");
        assertThat(filesIn(dir)).isEqualTo(1);
    }

    @Test
    void csvQuotesPerRfc4180AndRoundTrips() throws IOException {
        CsvTable t = new CsvTable("name", "value", "note");
        t.addRow("plain", 1.5, null);
        t.addRow("with,comma", Double.NaN, "say \"hi\"");
        t.addRow("multi\nline", 0.1f, "");
        assertThat(t.toCsv()).isEqualTo("name,value,note\r\n" + "plain,1.5,\r\n"
                + "\"with,comma\",NaN,\"say \"\"hi\"\"\"\r\n" + "\"multi\nline\",0.1,\r\n");
        Path f = dir.resolve("t.csv");
        t.write(f);
        CsvTable back = CsvTable.read(f);
        assertThat(back.header()).containsExactly("name", "value", "note");
        assertThat(back.rows()).containsExactly(List.of("plain", "1.5", ""), List.of("with,comma", "NaN", "say \"hi\""),
                List.of("multi\nline", "0.1", ""));
    }

    @Test
    void csvRejectsBadRowsAndBadFiles() {
        CsvTable t = new CsvTable("a", "b");
        assertThatThrownBy(() -> t.addRow(1)).hasMessageContaining("1 values").hasMessageContaining("2 columns");
        assertThatThrownBy(() -> CsvTable.parse("a,b\n1,2,3\n", "x.csv"))
                .hasMessageContaining("x.csv").hasMessageContaining("record 2 has 3 fields");
        assertThatThrownBy(() -> CsvTable.parse("a\n\"open", "y.csv")).hasMessageContaining("unclosed quoted field");
        assertThatThrownBy(() -> CsvTable.parse("", "z.csv")).hasMessageContaining("empty");
    }

    record Sample(String name, double score, double[] curve, float f) { }

    @Test
    void jsonWritesNonFiniteNumbersAsNullAndReadsBack() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sample", new Sample("x", Double.NaN, new double[] {1, Double.POSITIVE_INFINITY, 0.25}, Float.NaN));
        m.put("auroc", 0.75);
        Path f = dir.resolve("results.json");
        Results.writeJson(f, m);
        String text = Files.readString(f);
        assertThat(text).contains("\"score\": null").contains("\"f\": null").doesNotContain("NaN").doesNotContain("Infinity");
        assertThat(text).contains("\n  "); // pretty printed
        JsonObject o = Results.readObject(f);
        assertThat(o.get("auroc").getAsDouble()).isEqualTo(0.75);
        assertThat(o.getAsJsonObject("sample").getAsJsonArray("curve").get(1).isJsonNull()).isTrue();
    }

    @Test
    void jsonReadNamesTheFileOnErrors() throws IOException {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{ not json");
        assertThatThrownBy(() -> Results.readObject(bad)).hasMessageContaining(bad.toString());
        Path arr = dir.resolve("arr.json");
        Files.writeString(arr, "[1,2]");
        assertThatThrownBy(() -> Results.readObject(arr)).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> Results.readObject(dir.resolve("none.json"))).hasMessageContaining("none.json");
    }
    @Test
    void malformedJsonIsReportedInOneLineWithoutTheParsersAdvice() throws IOException {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"model\": mlp,,}");
        assertThatThrownBy(() -> Results.readObject(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("config.json: not valid JSON:")
                .hasMessageNotContaining("setStrictness").hasMessageNotContaining("setLenient")
                .hasMessageNotContaining("https://").hasMessageNotContaining("\n");
    }
}
