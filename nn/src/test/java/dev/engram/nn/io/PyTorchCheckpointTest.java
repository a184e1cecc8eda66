package dev.engram.nn.io;

import dev.engram.engine.DType;
import dev.engram.engine.Tensor;
import dev.engram.nn.Module;
import dev.engram.nn.layers.BatchNorm2d;
import dev.engram.nn.layers.Conv2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Files as PyTorch writes them: BF16/F16 weights, I64/I32 counters; and Engram writing counters as I64. */
class PyTorchCheckpointTest {
    @TempDir
    Path dir;

    /** conv (2 -> 2, 1x1, no bias) then bn(2): PyTorch names conv.weight, bn.weight, bn.bias, bn.running_*, bn.num_batches_tracked. */
    static final class ConvBnNet extends Module {
        final Conv2d conv;
        final BatchNorm2d bn;

        ConvBnNet() {
            conv = registerModule("conv", new Conv2d(2, 2, 1, 1, 0, false, dev.engram.nn.init.Seeds.of(1)));
            bn = registerModule("bn", new BatchNorm2d(2));
        }

        @Override
        public Tensor forward(Tensor x) {
            return bn.forward(conv.forward(x));
        }
    }

    private static byte[] fileBytes(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int k = h.length; k < padded; k++) b.put((byte) ' ');
        b.put(data);
        return b.array();
    }

    private static short bf16(float v) {
        return (short) (Float.floatToIntBits(v) >>> 16);
    }

    /** A state dict of ConvBnNet as torch saves a bf16 model: BF16 floats, I64 counter. */
    private Path torchStyleFile(String counterDtype, long counter) throws IOException {
        int counterBytes = counterDtype.equals("I64") ? 8 : 4;
        ByteBuffer d = ByteBuffer.allocate(8 + 4 * 2 * 2 + counterBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {0.5f, -1.25f, 2f, 0.125f}) d.putShort(bf16(v)); // conv.weight [2,2,1,1] @0..8
        for (float v : new float[] {1f, 1.5f}) d.putShort(bf16(v));                 // bn.weight @8..12
        for (float v : new float[] {0f, -0.5f}) d.putShort(bf16(v));                // bn.bias @12..16
        for (float v : new float[] {0.25f, -3f}) d.putShort(bf16(v));              // bn.running_mean @16..20
        for (float v : new float[] {1f, 4f}) d.putShort(bf16(v));                  // bn.running_var @20..24
        if (counterBytes == 8) d.putLong(counter); else d.putInt((int) counter);   // bn.num_batches_tracked @24..
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"bn.bias\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]},"
                + "\"bn.num_batches_tracked\":{\"dtype\":\"" + counterDtype + "\",\"shape\":[],\"data_offsets\":[24," + (24 + counterBytes) + "]},"
                + "\"bn.running_mean\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]},"
                + "\"bn.running_var\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[20,24]},"
                + "\"bn.weight\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"conv.weight\":{\"dtype\":\"BF16\",\"shape\":[2,2,1,1],\"data_offsets\":[0,8]}}";
        Path p = dir.resolve("torch-" + counterDtype + ".safetensors");
        Files.write(p, fileBytes(header, java.util.Arrays.copyOf(d.array(), 24 + counterBytes)));
        return p;
    }

    @Test
    void aTorchWrittenBf16FileWithAnI64CounterLoadsIntoTheModel() throws IOException {
        Path f = torchStyleFile("I64", 937);
        Map<String, Tensor> raw = SafeTensors.load(f);
        assertThat(raw.get("bn.num_batches_tracked").dtype()).isEqualTo(DType.INT32);
        assertThat(raw.get("conv.weight").dtype()).isEqualTo(DType.FLOAT32);

        ConvBnNet net = new ConvBnNet();
        assertThat(Checkpoint.stateDictProblems(net.stateDict(), raw)).isEmpty();
        Map<String, Tensor> conformed = Checkpoint.conform(net.stateDict(), raw);
        assertThat(conformed.get("bn.num_batches_tracked").dtype()).isEqualTo(DType.FLOAT32);
        net.loadStateDict(conformed, true);
        assertThat(net.conv.stateDict().get("weight").toFloatArray()).containsExactly(0.5f, -1.25f, 2f, 0.125f);
        assertThat(net.bn.runningVar().toFloatArray()).containsExactly(1f, 4f);
        assertThat(net.stateDict().get("bn.num_batches_tracked").toFloatArray()).containsExactly(937f);
    }

    @Test
    void checkpointSaveWritesTheCounterAsI64AndLoadReadsItBack() throws IOException {
        ConvBnNet net = new ConvBnNet();
        net.loadStateDict(Checkpoint.conform(net.stateDict(), SafeTensors.load(torchStyleFile("I32", 41))), true);
        Checkpoint.save(dir, "epoch-001", net, null, new TrainingState(1, 41, Map.of(), Map.of()));
        SafeTensors.Header h = SafeTensors.readHeader(Checkpoint.weightsFile(dir, "epoch-001"));
        assertThat(h.entry("bn.num_batches_tracked").dtype()).isEqualTo("I64");
        assertThat(h.entry("bn.running_mean").dtype()).isEqualTo("F32");
        assertThat(h.entry("conv.weight").dtype()).isEqualTo("F32");

        ConvBnNet back = new ConvBnNet();
        Checkpoint.load(dir, "epoch-001", back, null);
        assertThat(back.stateDict().get("bn.num_batches_tracked").toFloatArray()).containsExactly(41f);
        assertThat(back.stateDict().get("bn.num_batches_tracked").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(back.conv.stateDict().get("weight").toFloatArray()).containsExactly(0.5f, -1.25f, 2f, 0.125f);
        Map<String, Tensor> w = Checkpoint.readWeights(dir, "epoch-001");
        assertThat(w.get("bn.num_batches_tracked").dtype()).isEqualTo(DType.FLOAT32);
        assertThat(w.get("bn.num_batches_tracked").toFloatArray()).containsExactly(41f);
    }

    @Test
    void anIntegerWeightIsAProblemWhileAnIntegerCounterIsNot() {
        ConvBnNet net = new ConvBnNet();
        Map<String, Tensor> found = new java.util.LinkedHashMap<>(net.stateDict());
        found.put("bn.num_batches_tracked", Tensor.ofInts(new int[] {7}));
        assertThat(Checkpoint.stateDictProblems(net.stateDict(), found)).isEmpty();
        found.put("bn.bias", Tensor.ofInts(new int[] {0, 1}, 2));
        assertThat(Checkpoint.stateDictProblems(net.stateDict(), found)).singleElement().asString()
                .contains("'bn.bias'").contains("float32").contains("int32");
        assertThat(Checkpoint.conform(net.stateDict(), found).get("bn.bias").dtype()).isEqualTo(dev.engram.engine.DType.INT32);
    }

    @Test
    void aCounterThatIsNotAWholeNumberIsNotWrittenAsI64() {
        Map<String, Tensor> t = Map.of("bn.num_batches_tracked", Tensor.scalar(1.5f));
        assertThatThrownBy(() -> SafeTensors.write(dir.resolve("x.safetensors"), t, Map.of(), SafeTensors.PYTORCH_INT64_BUFFERS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bn.num_batches_tracked")
                .hasMessageContaining("not a whole number");
        assertThat(Files.exists(dir.resolve("x.safetensors"))).isFalse();
    }

    @Test
    void anUnreadableDtypeIsNamedWithFileAndTensor() throws IOException {
        String header = "{\"w\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        Path p = dir.resolve("u64.safetensors");
        Files.write(p, fileBytes(header, new byte[8]));
        assertThatThrownBy(() -> SafeTensors.load(p)).isInstanceOf(SafeTensorsFormatException.class)
                .hasMessageContaining("u64.safetensors").hasMessageContaining("tensor 'w'")
                .hasMessageContaining("dtype 'U64' cannot be read");
    }
}
