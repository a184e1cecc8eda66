package dev.engram.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The forwarding {@code libcublas.so.12} that ships inside this jar ({@code src/main/native},
 * built by {@code engine-cuda/build-cublas-shim.sh}). JCublas 12.6's natives link
 * {@code libcublas.so.12}; on a machine with only cuBLAS 13 (for example the libraries of
 * PyTorch's CUDA 13 wheels) this shim stands in for it and forwards every call to
 * {@code libcublas.so.13}, which must be loaded first.
 */
final class CublasShim {
    static final String RESOURCE = "/dev/engram/engine/cuda/libcublas.so.12";

    private CublasShim() {}

    /**
     * Copies the shim to {@code <java.io.tmpdir>/engram-cublas-shim-<hash>/libcublas.so.12} (once per
     * content hash; an existing copy with the same bytes is reused) and returns its path.
     */
    static Path extract() throws IOException {
        byte[] bytes;
        try (InputStream in = CublasShim.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("shim " + RESOURCE + " missing from the class path");
            bytes = in.readAllBytes();
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "engram-cublas-shim-" + hash);
        Path target = dir.resolve("libcublas.so.12");
        if (Files.isRegularFile(target) && java.util.Arrays.equals(Files.readAllBytes(target), bytes)) return target;
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "libcublas", ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }
}
