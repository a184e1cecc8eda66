package dev.engram.nn.io;

import dev.engram.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutation fuzzing of the safetensors reader ({@link Fuzz}): raw byte mutations of written files, and mutations of
 * the JSON header re-wrapped with a consistent length prefix so they reach the header validation. A read either
 * succeeds or fails with a {@link SafeTensorsFormatException} naming the file, within time and memory bounds.
 */
class SafeTensorsFuzzTest {
    @TempDir
    Path dir;

    private static byte[] withHeader(byte[] json, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(data);
        return b.array();
    }

    @Test
    void safetensors() throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("layer.weight", Tensor.of(new float[] {1.5f, -2f, 3.25f, 0f, -0f, 1e30f}, 2, 3));
        t.put("labels", Tensor.ofInts(new int[] {7, -1, 3, 4}, 4));
        t.put("empty", Tensor.zeros(0, 5));
        Path written = dir.resolve("seed.safetensors");
        SafeTensors.write(written, t, Map.of("format", "pt", "note", "ünïcode"));
        byte[] file = Files.readAllBytes(written);
        // other dtypes, written by hand: F16, BF16, F64, I64, U8, BOOL
        String json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[4,8]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[24,27]},"
                + "\"z\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[27,28]},"
                + "\"__metadata__\":{\"k\":\"v\"}}";
        byte[] data = new byte[28];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 5 + 1);
        data[23] = 0; // the I64 fits in int32
        data[22] = 0;
        data[21] = 0;
        data[20] = 0;
        data[19] = 0;
        ByteBuffer.wrap(data, 8, 8).order(ByteOrder.LITTLE_ENDIAN).putDouble(-2.5e-3); // an F64 inside float32's range
        byte[] jb = json.getBytes(StandardCharsets.UTF_8);
        long headerLen = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] writtenJson = java.util.Arrays.copyOfRange(file, 8, 8 + (int) headerLen);
        byte[] writtenData = java.util.Arrays.copyOfRange(file, 8 + (int) headerLen, file.length);
        List<Fuzz.Seed> seeds = List.of(Fuzz.Seed.of(file),
                new Fuzz.Seed(writtenJson, j -> withHeader(j, writtenData)),
                new Fuzz.Seed(jb, j -> withHeader(j, data)));
        assertRan(Fuzz.run("safetensors", seeds, dir, ".safetensors", Fuzz.iterations(Fuzz.DEFAULT_ITERATIONS), SafeTensors::read,
                o -> o instanceof SafeTensors.Contents, Fuzz::formatException));
    }

    /** Every input was either read consistently or refused with the documented exception (Fuzz.run fails otherwise). */
    private static void assertRan(Fuzz.Summary s) {
        // all iterations, unless the per-reader time cap ended the run first (a loaded machine)
        long cap = Long.getLong("engram.fuzz.seconds", Fuzz.DEFAULT_SECONDS);
        if (cap == 0 || s.seconds() < cap) {
            assertThat(s.inputs()).as(s.toString()).isGreaterThanOrEqualTo(Fuzz.iterations(Fuzz.DEFAULT_ITERATIONS));
        }
        assertThat(s.inputs()).as(s.toString()).isGreaterThan(3); // the seeds and mutations of them
        assertThat(s.reads() + s.rejections()).as(s.toString()).isEqualTo(s.inputs());
        assertThat(s.reads()).as("the valid seed files read: " + s).isPositive();
        assertThat(s.rejections()).as("mutations refused: " + s).isPositive();
    }
}
