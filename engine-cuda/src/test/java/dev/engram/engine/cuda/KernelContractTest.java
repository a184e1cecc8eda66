package dev.engram.engine.cuda;

import dev.engram.engine.cpu.CpuBackend;
import dev.engram.engine.spi.BinaryOp;
import dev.engram.engine.spi.Distribution;
import dev.engram.engine.spi.ReduceOp;
import dev.engram.engine.spi.Storage;
import dev.engram.engine.spi.UnaryOp;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What can be checked about the kernels without a GPU: the Java side launches only kernels
 * that exist, passes op codes whose order matches the .cu enums, packs the index structs so
 * that the kernels' index arithmetic (emulated here line for line) reproduces the CPU backend,
 * the shipped fatbin holds every kernel, and the source compiles when nvcc is present.
 */
class KernelContractTest {
    private static final Path CU = Path.of("src/main/cuda/kernels.cu");
    private static final Path BACKEND = Path.of("src/main/java/dev/engram/engine/cuda/CudaBackend.java");

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 12).map(k -> 0xC0DA0000L + k * 7919);
    }

    private static Set<String> exportedKernels() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("EXPORT void (\\w+)\\(").matcher(Files.readString(CU));
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void everyLaunchedKernelIsExported() throws IOException {
        Set<String> exported = exportedKernels();
        Matcher m = Pattern.compile("launch\\(\"(\\w+)\"").matcher(Files.readString(BACKEND));
        List<String> launched = new ArrayList<>();
        while (m.find()) launched.add(m.group(1));
        assertThat(launched).hasSizeGreaterThan(25);
        assertThat(exported).containsAll(launched);
        // and nothing exported is dead code
        assertThat(new LinkedHashSet<>(launched)).containsExactlyInAnyOrderElementsOf(exported);
    }

    private static List<String> cuEnum(String firstConstant) throws IOException {
        Matcher m = Pattern.compile("enum \\{\\s*(" + firstConstant + "[^}]*)}").matcher(Files.readString(CU));
        assertThat(m.find()).as("enum starting with " + firstConstant).isTrue();
        return Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.substring(2)).toList();
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }

    @Test
    void opCodeEnumsMatchTheJavaOrdinals() throws IOException {
        assertThat(cuEnum("U_NEG")).containsExactlyElementsOf(names(UnaryOp.values()));
        assertThat(cuEnum("B_ADD")).containsExactlyElementsOf(names(BinaryOp.values()));
        assertThat(cuEnum("R_SUM")).containsExactlyElementsOf(names(ReduceOp.values()));
        assertThat(cuEnum("D_UNIFORM")).containsExactlyElementsOf(names(Distribution.values()));
    }

    @Test
    void shippedFatbinHoldsEveryKernel() throws IOException {
        byte[] image;
        try (InputStream in = CudaDevice.class.getResourceAsStream(CudaDevice.FATBIN_RESOURCE)) {
            assertThat(in).as(CudaDevice.FATBIN_RESOURCE).isNotNull();
            image = in.readAllBytes();
        }
        // fatbin magic 0xBA55ED50, little-endian
        assertThat(Arrays.copyOf(image, 4)).containsExactly(0x50, 0xED, 0x55, 0xBA);
        String text = new String(image, StandardCharsets.ISO_8859_1);
        for (String k : exportedKernels()) assertThat(text).as("kernel " + k + " in the fatbin").contains(k + "\0");
    }

    @Test
    void kernelSourceCompilesWithNvcc() throws Exception {
        Path nvcc = Path.of(System.getenv().getOrDefault("NVCC", "/usr/local/bin/nvcc"));
        if (!Files.isExecutable(nvcc)) nvcc = Path.of("/usr/local/cuda/bin/nvcc");
        Assumptions.assumeTrue(Files.isExecutable(nvcc), "nvcc not installed; the committed fatbin is used as is");
        Process p = new ProcessBuilder("bash", "build-kernels.sh", "--check").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("compiled OK").doesNotContain("warning");
    }

    // ---- index arithmetic of binary_broadcast and permute_kernel, emulated ------------------

    /** binary_broadcast's loop body for one output element, as written in kernels.cu. */
    private static float broadcastElement(int[] ix, float[] a, float[] b, long k) {
        int rank = ix[0];
        long rem = k, offA = 0, offB = 0;
        for (int d = rank - 1; d >= 0; d--) {
            int idx = (int) (rem % ix[1 + d]);
            rem /= ix[1 + d];
            offA += (long) idx * ix[1 + 8 + d];
            offB += (long) idx * ix[1 + 16 + d];
        }
        return a[(int) offA] - b[(int) offB];
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void broadcastStructReproducesTheCpuBackend(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rank = 1 + r.nextInt(5);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) out[d] = 1 + r.nextInt(4);
        int[] aShape = out.clone(), bShape = out.clone();
        for (int d = 0; d < rank; d++) {
            if (r.nextBoolean()) aShape[d] = 1;
            if (r.nextBoolean()) bShape[d] = 1;
        }
        if (rank > 1 && r.nextBoolean()) bShape = Arrays.copyOfRange(bShape, r.nextInt(rank), rank);
        float[] a = values(r, numel(aShape)), b = values(r, numel(bShape));
        CpuBackend cpu = CpuBackend.INSTANCE;
        Storage o = cpu.allocate(dev.engram.engine.DType.FLOAT32, numel(out));
        cpu.binary(BinaryOp.SUB, cpu.fromFloats(a), aShape, cpu.fromFloats(b), bShape, o, out);
        float[] expected = new float[numel(out)];
        cpu.readFloats(o, 0, expected, 0, expected.length);
        int[] ix = CudaBackend.broadcastIndex(aShape, bShape, out);
        float[] actual = new float[expected.length];
        for (int k = 0; k < actual.length; k++) actual[k] = broadcastElement(ix, a, b, k);
        assertThat(actual).as("a=%s b=%s out=%s", Arrays.toString(aShape), Arrays.toString(bShape), Arrays.toString(out))
                .containsExactly(expected);
    }

    @ParameterizedTest(name = "seed={0}")
    @MethodSource("seeds")
    void permuteStructReproducesTheCpuBackend(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rank = 1 + r.nextInt(6);
        int[] shape = new int[rank], perm = new int[rank];
        for (int d = 0; d < rank; d++) {
            shape[d] = 1 + r.nextInt(4);
            perm[d] = d;
        }
        for (int d = rank - 1; d > 0; d--) {
            int j = r.nextInt(d + 1), t = perm[d];
            perm[d] = perm[j];
            perm[j] = t;
        }
        float[] x = values(r, numel(shape));
        CpuBackend cpu = CpuBackend.INSTANCE;
        Storage o = cpu.allocate(dev.engram.engine.DType.FLOAT32, x.length);
        cpu.permute(cpu.fromFloats(x), shape, perm, o);
        float[] expected = new float[x.length];
        cpu.readFloats(o, 0, expected, 0, x.length);
        int[] ix = CudaBackend.permuteIndex(shape, perm);
        float[] actual = new float[x.length];
        for (int k = 0; k < x.length; k++) { // permute_kernel's loop body
            long rem = k, off = 0;
            for (int d = ix[0] - 1; d >= 0; d--) {
                off += (rem % ix[1 + d]) * (long) ix[1 + 8 + d];
                rem /= ix[1 + d];
            }
            actual[k] = x[(int) off];
        }
        assertThat(actual).as("shape=%s perm=%s", Arrays.toString(shape), Arrays.toString(perm)).containsExactly(expected);
    }

    private static int numel(int[] s) {
        int p = 1;
        for (int d : s) p *= d;
        return p;
    }

    private static float[] values(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 4 - 2);
        return v;
    }
}
