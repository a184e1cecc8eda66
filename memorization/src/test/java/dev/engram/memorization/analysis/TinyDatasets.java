package dev.engram.memorization.analysis;

import dev.engram.datasets.Cifar10Reader;
import dev.engram.datasets.IdxReader;
import dev.engram.datasets.TrainTest;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Tiny datasets in the real file formats (MNIST IDX files, CIFAR-10 binary batches) with a class-dependent pattern
 * per image (a bright band whose position depends on the class, over uniform noise), written to a folder and read
 * back with the datasets module's readers.
 */
public final class TinyDatasets {
    private TinyDatasets() { }

    /** Ten classes, example {@code i}'s label a seeded shuffle of {@code i % 10}. */
    static int[] labels(int n, long seed) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % 10;
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = y[i];
            y[i] = y[j];
            y[j] = t;
        }
        return y;
    }

    /** One channel plane of a {@code size}×{@code size} image of class {@code c}: noise plus a band at row 2c+1 (scaled). */
    static void plane(byte[] out, int off, int size, int c, int channel, Random r) {
        int band = (c * (size - 3)) / 9;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int v = r.nextInt(60);
                if (y >= band && y < band + 3) v = 200 + r.nextInt(56);
                // a second, channel-dependent cue: a vertical band for odd classes
                if ((c & 1) == 1 && x >= size / 2 - 1 && x <= size / 2 + 1 && channel != 1) v = 255;
                out[off + y * size + x] = (byte) v;
            }
        }
    }

    /** Writes IDX image and label files of {@code n} 28×28 examples; returns {images, labels}. */
    static Path[] writeIdx(Path dir, String prefix, int n, long seed) throws IOException {
        int[] y = labels(n, seed);
        Random r = new Random(seed * 31 + 7);
        byte[] px = new byte[n * 28 * 28];
        for (int i = 0; i < n; i++) plane(px, i * 784, 28, y[i], 0, r);
        Path images = dir.resolve(prefix + "-images-idx3-ubyte");
        Path labels = dir.resolve(prefix + "-labels-idx1-ubyte");
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(images))) {
            o.writeInt(IdxReader.IMAGES_MAGIC);
            o.writeInt(n);
            o.writeInt(28);
            o.writeInt(28);
            o.write(px);
        }
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(labels))) {
            o.writeInt(IdxReader.LABELS_MAGIC);
            o.writeInt(n);
            for (int v : y) o.writeByte(v);
        }
        return new Path[] {images, labels};
    }

    /** An MNIST-like dataset (28×28, one channel, ten classes) written as IDX files under {@code dir} and read back. */
    public static TrainTest mnist(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        Path[] tr = writeIdx(dir, "train", train, 1);
        Path[] te = writeIdx(dir, "t10k", test, 2);
        return new TrainTest(IdxReader.read("mnist-train", tr[0], tr[1], 10), IdxReader.read("mnist-test", te[0], te[1], 10));
    }

    /** Writes {@code n} CIFAR-10 records (label byte, then the R, G and B planes of 32×32). */
    static void writeCifarBatch(Path file, int[] labels, int from, int to, Random r) throws IOException {
        byte[] rec = new byte[Cifar10Reader.RECORD];
        try (OutputStream o = Files.newOutputStream(file)) {
            for (int i = from; i < to; i++) {
                rec[0] = (byte) labels[i];
                for (int ch = 0; ch < 3; ch++) plane(rec, 1 + ch * 1024, 32, labels[i], ch, r);
                o.write(rec);
            }
        }
    }

    /**
     * A CIFAR-10-like dataset (32×32, three channels) written as the five training batches and the test batch of the
     * binary version under {@code dir} and read back with {@link Cifar10Reader#readDirectory}.
     */
    public static TrainTest cifar10(Path dir, int train, int test) throws IOException {
        Files.createDirectories(dir);
        int[] y = labels(train, 1);
        Random r = new Random(11);
        List<String> files = new ArrayList<>(Cifar10Reader.TRAIN_FILES);
        int per = (train + files.size() - 1) / files.size();
        for (int b = 0; b < files.size(); b++) {
            int from = Math.min(train, b * per), to = Math.min(train, (b + 1) * per);
            if (to <= from) throw new IllegalArgumentException("need at least one example per training batch");
            writeCifarBatch(dir.resolve(files.get(b)), y, from, to, r);
        }
        writeCifarBatch(dir.resolve(Cifar10Reader.TEST_FILE), labels(test, 2), 0, test, new Random(12));
        return Cifar10Reader.readDirectory(dir);
    }
}
