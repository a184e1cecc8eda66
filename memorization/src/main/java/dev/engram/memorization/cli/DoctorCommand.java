package dev.engram.memorization.cli;

import dev.engram.datasets.DatasetCatalog;
import dev.engram.datasets.FetchOptions;
import dev.engram.engine.Backends;
import dev.engram.engine.Device;
import dev.engram.engine.cpu.CpuParallel;
import dev.engram.memorization.run.SystemInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code engram doctor}: reports the Java runtime, whether the Vector API is active, CPU threads, the dataset cache
 * and which dataset files it holds, and whether a CUDA device can be used (with the reason when not).
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Check the environment: Java, Vector API, CPU threads, dataset cache, CUDA.")
public final class DoctorCommand implements Callable<Integer> {
    /** Class that the CUDA module provides for a detailed report (optional at run time). */
    static final String CUDA_DOCTOR = "dev.engram.engine.cuda.CudaDoctor";

    @Spec
    CommandSpec spec;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        runtime.apply();
        section(out, "Engram");
        row(out, "version", SystemInfo.engramVersion());
        row(out, "git commit", SystemInfo.gitCommit());

        section(out, "Java");
        row(out, "version", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        row(out, "VM", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        row(out, "max heap", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        boolean vector = SystemInfo.vectorApiActive();
        row(out, "Vector API", vector ? "active (jdk.incubator.vector)"
                : "NOT active: start java with --add-modules jdk.incubator.vector for fast CPU kernels"
                        + " (the ./engram launcher does this)");

        section(out, "CPU");
        row(out, "model", SystemInfo.cpuModel());
        row(out, "logical processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
        row(out, "Engram CPU threads", CpuParallel.threads() + (runtime.threads() == 0 ? " (all cores; --threads N to change)" : ""));

        section(out, "Datasets");
        Path cache = FetchOptions.defaultCacheDir();
        row(out, "cache", cache + (Files.isDirectory(cache) ? "" : " (does not exist yet)")
                + "  [override: -D" + FetchOptions.PROPERTY + "=DIR or $" + FetchOptions.ENV + "]");
        for (Map.Entry<String, List<String>> ds : expectedFiles().entrySet()) {
            row(out, ds.getKey(), datasetStatus(cache, ds.getKey(), ds.getValue()));
        }

        section(out, "CUDA");
        Device cuda = runtime.device().isCpu() ? Device.cuda(0) : runtime.device();
        String detail = cudaDoctorReport();
        if (Backends.available(cuda)) {
            row(out, cuda.toString(), "available");
        } else if (detail != null && detail.contains("CUDA: unavailable: ")) {
            row(out, cuda.toString(), "not available (why: the last line of the diagnosis below)");
        } else {
            String why;
            try {
                Backends.get(cuda);
                why = "unavailable";
            } catch (RuntimeException | LinkageError e) {
                why = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            row(out, cuda.toString(), "not available: " + why);
        }
        if (detail != null) {
            for (String line : detail.split("\\R")) out.println("  " + line);
        }
        out.flush();
        return 0;
    }

    /** Files each dataset needs in the cache, per dataset folder; MNIST accepts raw IDX or the .gz files. */
    static Map<String, List<String>> expectedFiles() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("mnist", DatasetCatalog.IDX_NAMES);
        List<String> fashion = new ArrayList<>();
        for (String n : DatasetCatalog.IDX_NAMES) fashion.add(DatasetCatalog.fashionGz(n).fileName());
        m.put(DatasetCatalog.fashionGz(DatasetCatalog.IDX_NAMES.get(0)).dataset(), fashion);
        m.put(DatasetCatalog.CIFAR10_BINARY.dataset(), List.of(DatasetCatalog.CIFAR10_BINARY.fileName()));
        m.put(DatasetCatalog.SVHN_TRAIN.dataset(),
                List.of(DatasetCatalog.SVHN_TRAIN.fileName(), DatasetCatalog.SVHN_TEST.fileName()));
        return m;
    }

    private static long sizeOrMinusOne(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    /** The published size of {@code file} in the cache folder of {@code dataset}, or null when unknown. */
    private static Long knownSize(String dataset, String file) {
        if (dataset.equals("mnist") && DatasetCatalog.MNIST_RAW_SIZE.containsKey(file)) return DatasetCatalog.MNIST_RAW_SIZE.get(file);
        for (DatasetCatalog.RemoteFile f : List.of(DatasetCatalog.CIFAR10_BINARY, DatasetCatalog.SVHN_TRAIN,
                DatasetCatalog.SVHN_TEST)) {
            if (f.dataset().equals(dataset) && f.fileName().equals(file) && f.size() > 0) return f.size();
        }
        return null;
    }

    /**
     * "complete (…)" / "partial: has …, missing …" / "not downloaded" for one dataset folder, or "damaged: …" first when
     * a file has another size than the one published (a truncated download or copy; its checksum would fail on use).
     */
    static String datasetStatus(Path cache, String dataset, List<String> files) {
        Path dir = cache.resolve(dataset);
        List<String> have = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        for (String f : files) {
            boolean raw = Files.isRegularFile(dir.resolve(f));
            boolean gz = !f.endsWith(".gz") && Files.isRegularFile(dir.resolve(f + ".gz"));
            if (raw) {
                have.add(f);
                Long want = knownSize(dataset, f);
                long got = sizeOrMinusOne(dir.resolve(f));
                if (want != null && got != want) damaged.add(f + " has " + got + " bytes, expected " + want);
            } else if (gz) have.add(f + ".gz");
            else missing.add(f);
        }
        if (!damaged.isEmpty()) {
            return "damaged: " + String.join("; ", damaged) + " (delete it: it is fetched again on first use)";
        }
        if (missing.isEmpty()) return "complete: " + String.join(", ", have);
        if (have.isEmpty()) return "not downloaded (fetched on first use)";
        return "partial: has " + String.join(", ", have) + "; missing " + String.join(", ", missing);
    }

    /** The CUDA module's detailed report when that module provides one, else null. */
    static String cudaDoctorReport() {
        try {
            Class<?> c = Class.forName(CUDA_DOCTOR);
            Method m = c.getMethod("report");
            Object r = m.invoke(null);
            return r == null ? null : r.toString();
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return null;
        } catch (InvocationTargetException e) {
            return "CUDA diagnostics failed: " + e.getCause();
        } catch (ReflectiveOperationException | LinkageError e) {
            return "CUDA diagnostics failed: " + e;
        }
    }

    private static void section(PrintWriter out, String name) {
        out.println(name);
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf("  %-20s %s%n", key, value);
    }
}
