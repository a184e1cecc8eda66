package dev.engram.nn.io;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.engram.engine.DType;
import dev.engram.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeTensorsTest {
    @TempDir
    Path dir;

    /** header JSON padded with spaces to a multiple of 8, then the data bytes. */
    private static byte[] fileBytes(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int k = h.length; k < padded; k++) b.put((byte) ' ');
        b.put(data);
        return b.array();
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void roundTripKeepsNamesOrderShapesDtypesValuesAndMetadata() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("layer.weight", Tensor.of(new float[] {1.5f, -2f, 3.25f, Float.MIN_VALUE, -0f, 1e30f}, 2, 3));
        in.put("labels", Tensor.ofInts(new int[] {7, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, 4));
        in.put("scalar", Tensor.of(new float[] {42f}));
        in.put("empty", Tensor.zeros(0, 5));
        Path p = dir.resolve("m.safetensors");
        SafeTensors.write(p, in, Map.of("format", "pt", "note", "<ünïcode & co>"));
        SafeTensors.Contents c = SafeTensors.read(p);
        assertThat(c.tensors().keySet()).containsExactly("layer.weight", "labels", "scalar", "empty");
        assertThat(c.metadata()).containsEntry("format", "pt").containsEntry("note", "<ünïcode & co>");
        for (var e : in.entrySet()) {
            Tensor t = c.tensors().get(e.getKey());
            assertThat(t.shape()).containsExactly(e.getValue().shape());
            assertThat(t.dtype()).isEqualTo(e.getValue().dtype());
            if (t.dtype() == DType.INT32) assertThat(t.toIntArray()).containsExactly(e.getValue().toIntArray());
            else assertThat(t.toFloatArray()).containsExactly(e.getValue().toFloatArray());
        }
    }

    @Test
    void writtenBytesFollowTheFormat() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("w", Tensor.of(new float[] {1f, 2f}, 2));
        in.put("i", Tensor.ofInts(new int[] {5}, 1));
        Path p = dir.resolve("x.safetensors");
        SafeTensors.write(p, in, Map.of("k", "v"));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong();
        assertThat(n % 8).isZero();
        byte[] header = new byte[(int) n];
        b.get(header);
        JsonObject h = JsonParser.parseString(new String(header, StandardCharsets.UTF_8)).getAsJsonObject();
        assertThat(h.getAsJsonObject("__metadata__").get("k").getAsString()).isEqualTo("v");
        JsonObject w = h.getAsJsonObject("w");
        assertThat(w.get("dtype").getAsString()).isEqualTo("F32");
        assertThat(w.get("shape").toString()).isEqualTo("[2]");
        assertThat(w.get("data_offsets").toString()).isEqualTo("[0,8]");
        assertThat(h.getAsJsonObject("i").get("dtype").getAsString()).isEqualTo("I32");
        assertThat(h.getAsJsonObject("i").get("data_offsets").toString()).isEqualTo("[8,12]");
        assertThat(b.remaining()).isEqualTo(12);
        assertThat(b.getFloat()).isEqualTo(1f);
        assertThat(b.getFloat()).isEqualTo(2f);
        assertThat(b.getInt()).isEqualTo(5);
    }

    @Test
    void readsAFileWrittenByHandIncludingPyTorchDtypes() throws IOException {
        // data buffer: a F32[2,2] @0..16, n I64[] @16..24, h F16[3] @24..30, bf BF16[2] @30..34, d F64[1] @34..42, m BOOL[2] @42..44
        ByteBuffer data = le(44);
        data.putFloat(1f).putFloat(-2.5f).putFloat(0.125f).putFloat(1e-3f);
        data.putLong(-12345L);
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001); // 1.0, -2.0, 2^-24 (subnormal)
        data.putShort((short) 0x3FC0).putShort((short) 0xBF80); // bf16 1.5, -1.0
        data.putDouble(0.1);
        data.put((byte) 1).put((byte) 0);
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[42,44]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[24,30]},"
                + "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[30,34]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[34,42]}}";
        Path p = file("hand.safetensors", fileBytes(header, data.array()));
        SafeTensors.Contents c = SafeTensors.read(p);
        Map<String, Tensor> t = c.tensors();
        assertThat(t.keySet()).containsExactly("m", "a", "n", "h", "bf", "d");
        assertThat(c.metadata()).containsExactly(Map.entry("format", "pt"));
        assertThat(t.get("a").shape()).containsExactly(2, 2);
        assertThat(t.get("a").toFloatArray()).containsExactly(1f, -2.5f, 0.125f, 1e-3f);
        assertThat(t.get("n").dtype()).isEqualTo(DType.INT32);
        assertThat(t.get("n").shape()).isEmpty();
        assertThat(t.get("n").toIntArray()).containsExactly(-12345);
        assertThat(t.get("h").toFloatArray()).containsExactly(1f, -2f, 0x1.0p-24f);
        assertThat(t.get("bf").toFloatArray()).containsExactly(1.5f, -1f);
        assertThat(t.get("d").toFloatArray()).containsExactly(0.1f);
        assertThat(t.get("m").toIntArray()).containsExactly(1, 0);
        SafeTensors.Header h = SafeTensors.readHeader(p);
        assertThat(h.dataStart() % 8).isZero();
        assertThat(h.entry("h").dtype()).isEqualTo("F16");
    }

    @Test
    void halfPrecisionSpecialValuesConvertExactly() {
        assertThat(SafeTensors.halfToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(SafeTensors.halfToFloat((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(SafeTensors.halfToFloat((short) 0x7E00)).isNaN();
        assertThat(SafeTensors.halfToFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(SafeTensors.halfToFloat((short) 0x8000)).isEqualTo(-0f);
        assertThat(SafeTensors.halfToFloat((short) 0x03FF)).isEqualTo(1023 * 0x1.0p-24f);
        assertThat(SafeTensors.halfToFloat((short) 0x3555)).isEqualTo(0.333251953125f);
    }

    private static String entry(String name, String dtype, int[] shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + Arrays.toString(shape).replace(" ", "")
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void corruptFilesGiveMessagesNamingFileTensorAndDefect() throws IOException {
        byte[] eight = new byte[8];
        String ab = "{" + entry("a", "F32", new int[] {2}, 0, 8) + "," + entry("b", "F32", new int[] {1}, 8, 12) + "}";
        byte[] good = fileBytes(ab, new byte[12]);

        Path truncated = file("truncated.safetensors", Arrays.copyOf(good, good.length - 3));
        assertThatThrownBy(() -> SafeTensors.read(truncated)).isInstanceOf(SafeTensorsFormatException.class)
                .hasMessageContaining("truncated.safetensors").hasMessageContaining("tensor 'b'")
                .hasMessageContaining("extend past the end of the data buffer (9 bytes)");

        byte[] badLen = good.clone();
        ByteBuffer.wrap(badLen).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Path bl = file("badlen.safetensors", badLen);
        assertThatThrownBy(() -> SafeTensors.read(bl)).hasMessageContaining("badlen.safetensors")
                .hasMessageContaining("header length 1099511627776 exceeds the file size");
        ByteBuffer.wrap(badLen).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        Path neg = file("neg.safetensors", badLen);
        assertThatThrownBy(() -> SafeTensors.read(neg)).hasMessageContaining("header length 18446744073709551615 exceeds");

        Path tiny = file("tiny.safetensors", Arrays.copyOf(eight, 5));
        assertThatThrownBy(() -> SafeTensors.read(tiny)).hasMessageContaining("too short for the 8-byte header length");

        String overlap = "{" + entry("a", "F32", new int[] {2}, 0, 8) + "," + entry("b", "F32", new int[] {2}, 4, 12) + "}";
        Path ov = file("overlap.safetensors", fileBytes(overlap, new byte[12]));
        assertThatThrownBy(() -> SafeTensors.read(ov)).hasMessageContaining("overlap.safetensors")
                .hasMessageContaining("tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");

        Path trailing = file("trailing.safetensors", fileBytes(ab, new byte[20]));
        assertThatThrownBy(() -> SafeTensors.read(trailing)).hasMessageContaining("trailing garbage")
                .hasMessageContaining("20 bytes").hasMessageContaining("cover only 12");

        String hole = "{" + entry("a", "F32", new int[] {1}, 0, 4) + "," + entry("b", "F32", new int[] {1}, 8, 12) + "}";
        Path ho = file("hole.safetensors", fileBytes(hole, new byte[12]));
        assertThatThrownBy(() -> SafeTensors.read(ho)).hasMessageContaining("bytes [4, 8) of the data buffer belong to no tensor")
                .hasMessageContaining("'b'");

        String f8 = "{" + entry("q", "F8_E4M3", new int[] {4}, 0, 4) + "}";
        Path dt = file("dtype.safetensors", fileBytes(f8, new byte[4]));
        assertThatThrownBy(() -> SafeTensors.read(dt)).hasMessageContaining("tensor 'q'")
                .hasMessageContaining("tensor").hasMessageContaining("dtype 'F8_E4M3' cannot be read");

        String size = "{" + entry("s", "F32", new int[] {3}, 0, 8) + "}";
        Path sz = file("size.safetensors", fileBytes(size, new byte[8]));
        assertThatThrownBy(() -> SafeTensors.read(sz)).hasMessageContaining("tensor 's'")
                .hasMessageContaining("span 8 bytes but shape [3] of F32 needs 12");

        Path notJson = file("notjson.safetensors", fileBytes("{\"a\": [1, 2", new byte[0]));
        assertThatThrownBy(() -> SafeTensors.read(notJson)).hasMessageContaining("header is not valid JSON");
        Path doubleComma = file("comma.safetensors", fileBytes("{\"a\":1,,", new byte[0]));
        assertThatThrownBy(() -> SafeTensors.read(doubleComma)).hasMessageContaining("header is not valid JSON")
                .hasMessageNotContaining("setStrictness").hasMessageNotContaining("https://");

        Path notObj = file("pickle.safetensors", fileBytes("PK\u0003\u0004", new byte[0]));
        assertThatThrownBy(() -> SafeTensors.read(notObj)).hasMessageContaining("does not start with '{'");

        ByteBuffer big = le(8).putLong(3_000_000_000L);
        String i64 = "{" + entry("n", "I64", new int[] {1}, 0, 8) + "}";
        Path ovf = file("i64.safetensors", fileBytes(i64, big.array()));
        assertThatThrownBy(() -> SafeTensors.read(ovf)).hasMessageContaining("tensor 'n' (I64): element 0 = 3000000000 does not fit in int32");

        // a finite F64 beyond float32 is refused; F64 infinities and values that round into range are read
        String f64 = "{" + entry("d", "F64", new int[] {3}, 0, 24) + "}";
        Path far = file("f64.safetensors", fileBytes(f64, le(24).putDouble(1.5).putDouble(-1e300).putDouble(0).array()));
        assertThatThrownBy(() -> SafeTensors.read(far)).hasMessageContaining("tensor 'd' (F64): element 1 = -1.0E300 is"
                + " outside the float32 range");
        Path edge = file("f64ok.safetensors", fileBytes(f64, le(24).putDouble(Double.NEGATIVE_INFINITY)
                .putDouble(3.4028235e38).putDouble(1e-50).array()));
        assertThat(SafeTensors.read(edge).tensors().get("d").toFloatArray())
                .containsExactly(Float.NEGATIVE_INFINITY, Float.MAX_VALUE, 0f);
    }

    @Test
    void failedWriteLeavesTheOldFileIntactAndNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("w", Tensor.of(new float[] {1f, 2f, 3f}, 3)));
        byte[] before = Files.readAllBytes(p);
        Map<String, Tensor> next = new LinkedHashMap<>();
        next.put("w", Tensor.of(new float[] {9f, 9f, 9f}, 3));
        next.put("v", Tensor.of(new float[] {8f}, 1));
        assertThatThrownBy(() -> SafeTensors.write(p, next, Map.of(), (index, name) -> {
            if (index == 0) throw new IOException("disk full (injected) after '" + name + "'");
        })).isInstanceOf(IOException.class).hasMessageContaining("injected");
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        assertThat(SafeTensors.load(p).get("w").toFloatArray()).containsExactly(1f, 2f, 3f);
        try (var files = Files.list(dir)) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            assertThat(names).containsExactly("ckpt.safetensors");
        }
        // a runtime failure mid-write behaves the same
        assertThatThrownBy(() -> SafeTensors.write(p, next, Map.of(), (index, name) -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        try (var files = Files.list(dir)) {
            assertThat(files.count()).isEqualTo(1);
        }
        SafeTensors.write(p, next);
        assertThat(SafeTensors.load(p).get("v").toFloatArray()).containsExactly(8f);
    }

    @Test
    void metadataIsWrittenInSortedKeyOrderSoTheBytesAreReproducible() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("w", Tensor.of(new float[] {1f, 2f}, 2));
        Map<String, String> forward = new LinkedHashMap<>(), backward = new LinkedHashMap<>();
        for (int k = 0; k < 20; k++) forward.put("key" + k, "v" + k);
        for (int k = 19; k >= 0; k--) backward.put("key" + k, "v" + k);
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        SafeTensors.write(a, t, forward);
        SafeTensors.write(b, t, backward);
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
        assertThat(List.copyOf(SafeTensors.read(a).metadata().keySet())).isSorted();
    }

    @Test
    void aKeyTwiceInsideAnEntryIsRefusedNotResolvedToTheLastValue() throws IOException {
        byte[] one = le(4).putFloat(1f).array(); // 00 00 80 3f: 1.0 as F32, 1065353216 as I32
        // before the fix the second dtype won silently: 1.0 read as F32 where the first said I32
        Path dtype = file("dtype.safetensors", fileBytes(
                "{\"a\":{\"dtype\":\"I32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", one));
        assertThatThrownBy(() -> SafeTensors.read(dtype)).isInstanceOf(SafeTensorsFormatException.class)
                .hasMessageContaining(dtype.toString()).hasMessageContaining("tensor 'a'")
                .hasMessageContaining("'dtype' appears twice");
        Path meta = file("meta.safetensors", fileBytes(
                "{\"__metadata__\":{\"format\":\"pt\",\"format\":\"np\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],"
                        + "\"data_offsets\":[0,4]}}", one));
        assertThatThrownBy(() -> SafeTensors.readHeader(meta)).isInstanceOf(SafeTensorsFormatException.class)
                .hasMessageContaining("__metadata__").hasMessageContaining("'format' appears twice");
        // the same entry with each key once reads as written
        Path ok = file("ok.safetensors", fileBytes(
                "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", one));
        assertThat(SafeTensors.read(ok).tensors().get("a").toFloatArray()).containsExactly(1f);
        assertThat(SafeTensors.read(ok).metadata()).containsEntry("format", "pt");
    }

    @Test
    void manyTinyTensorsDoNotAllocateABufferEach() throws IOException {
        StringBuilder h = new StringBuilder("{");
        int n = 2001;
        for (int k = 0; k < n; k++) h.append(k == 0 ? "" : ",").append("\"t").append(k).append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        Path p = file("many.safetensors", fileBytes(h.append('}').toString(), new byte[0]));
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        assertThat(SafeTensors.read(p).tensors()).hasSize(n);
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        // a 1 MiB buffer per tensor would be about 2 GB here; the header and tensors need a few MB
        assertThat(allocated).as("bytes allocated").isLessThan(256L << 20);
    }
}
