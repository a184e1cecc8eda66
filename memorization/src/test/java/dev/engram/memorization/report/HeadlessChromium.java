package dev.engram.memorization.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A headless Chromium driven over the DevTools protocol (Java's own WebSocket client, no extra dependency): opens a
 * page, collects console errors and uncaught exceptions, evaluates JavaScript and takes screenshots. Tests use it to
 * check the report in a real browser.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private final Process process;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private volatile CompletableFuture<Void> loaded = new CompletableFuture<>();

    /** The chromium binary: {@code $ENGRAM_CHROMIUM}, else chromium, chromium-browser or google-chrome on the PATH. */
    public static Optional<Path> find() {
        String env = System.getenv("ENGRAM_CHROMIUM");
        if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) return Optional.of(Path.of(env));
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private HeadlessChromium(Process process, WebSocket socket) {
        this.process = process;
        this.socket = socket;
    }

    /** Starts {@code binary} headless with a fresh profile in {@code profile} and connects to its blank page. */
    public static HeadlessChromium start(Path binary, Path profile, int width, int height) throws IOException, InterruptedException {
        Files.createDirectories(profile);
        Process p = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--remote-debugging-port=0",
                "--remote-allow-origins=*", "--user-data-dir=" + profile.toAbsolutePath(),
                "--window-size=" + width + "," + height, "about:blank")
                .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!(Files.isRegularFile(portFile) && Files.readAllLines(portFile).size() >= 2)) {
                if (!p.isAlive()) throw new IOException("chromium exited with " + p.exitValue() + ": " + Files.readString(profile.resolve("chromium.log")));
                if (System.nanoTime() > deadline) throw new IOException("chromium did not open its DevTools port in " + TIMEOUT);
                Thread.sleep(100);
            }
            int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
            HttpClient http = HttpClient.newHttpClient();
            String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            String ws = null;
            for (JsonElement e : JsonParser.parseString(list).getAsJsonArray()) {
                JsonObject t = e.getAsJsonObject();
                if ("page".equals(t.get("type").getAsString())) ws = t.get("webSocketDebuggerUrl").getAsString();
            }
            if (ws == null) throw new IOException("chromium has no page target: " + list);
            HeadlessChromium[] self = new HeadlessChromium[1];
            Listener listener = new Listener(self);
            WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), listener).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            HeadlessChromium c = new HeadlessChromium(p, socket);
            self[0] = c;
            c.send("Runtime.enable", new JsonObject());
            c.send("Log.enable", new JsonObject());
            c.send("Page.enable", new JsonObject());
            JsonObject m = new JsonObject();
            m.addProperty("width", width);
            m.addProperty("height", height);
            m.addProperty("deviceScaleFactor", 1);
            m.addProperty("mobile", false);
            c.send("Emulation.setDeviceMetricsOverride", m);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IOException(e);
        }
    }

    private static final class Listener implements WebSocket.Listener {
        private final HeadlessChromium[] self;
        private final StringBuilder buffer = new StringBuilder();

        Listener(HeadlessChromium[] self) {
            this.self = self;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            buffer.append(data);
            if (last) {
                String text = buffer.toString();
                buffer.setLength(0);
                HeadlessChromium c = self[0];
                if (c != null) c.onMessage(JsonParser.parseString(text).getAsJsonObject());
            }
            ws.request(1);
            return null;
        }
    }

    private void onMessage(JsonObject msg) {
        if (msg.has("id")) {
            CompletableFuture<JsonObject> f = pending.remove(msg.get("id").getAsInt());
            if (f == null) return;
            if (msg.has("error")) f.completeExceptionally(new IOException("DevTools error: " + msg.get("error")));
            else f.complete(msg.getAsJsonObject("result"));
            return;
        }
        String method = msg.get("method").getAsString();
        JsonObject params = msg.getAsJsonObject("params");
        switch (method) {
            case "Runtime.consoleAPICalled" -> {
                String type = params.get("type").getAsString();
                if (type.equals("error") || type.equals("assert")) errors.add("console." + type + ": " + params.get("args"));
            }
            case "Runtime.exceptionThrown" -> errors.add("uncaught exception: " + params.get("exceptionDetails"));
            case "Log.entryAdded" -> {
                JsonObject entry = params.getAsJsonObject("entry");
                if ("error".equals(entry.get("level").getAsString())) {
                    errors.add("log " + entry.get("source").getAsString() + ": " + entry.get("text").getAsString()
                            + (entry.has("url") ? " (" + entry.get("url").getAsString() + ")" : ""));
                }
            }
            case "Page.loadEventFired" -> loaded.complete(null);
            default -> { }
        }
    }

    /** Sends one DevTools command and waits for its result. */
    public JsonObject send(String method, JsonObject params) throws IOException {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonObject> f = new CompletableFuture<>();
        pending.put(id, f);
        JsonObject msg = new JsonObject();
        msg.addProperty("id", id);
        msg.addProperty("method", method);
        msg.add("params", params);
        socket.sendText(msg.toString(), true).join();
        try {
            return f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException(method + " failed: " + e.getMessage(), e);
        }
    }

    /** Opens {@code url} and waits for its load event. */
    public void open(URI url) throws IOException {
        loaded = new CompletableFuture<>();
        JsonObject p = new JsonObject();
        p.addProperty("url", url.toString());
        JsonObject r = send("Page.navigate", p);
        if (r.has("errorText")) throw new IOException("cannot open " + url + ": " + r.get("errorText"));
        try {
            loaded.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException(url + " did not finish loading in " + TIMEOUT, e);
        }
    }

    /** Evaluates {@code js} in the page and returns its value (JSON-serialisable values only). */
    public JsonElement eval(String js) throws IOException {
        JsonObject p = new JsonObject();
        p.addProperty("expression", js);
        p.addProperty("returnByValue", true);
        JsonObject r = send("Runtime.evaluate", p);
        if (r.has("exceptionDetails")) throw new IOException("script failed: " + r.get("exceptionDetails"));
        JsonObject result = r.getAsJsonObject("result");
        return result.has("value") ? result.get("value") : null;
    }

    /** Console errors, uncaught exceptions and error log entries (failed loads) seen so far. */
    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** Writes a PNG screenshot: the whole page when {@code fullPage}, else the viewport. */
    public void screenshot(Path png, boolean fullPage) throws IOException {
        JsonObject p = new JsonObject();
        p.addProperty("format", "png");
        if (fullPage) {
            JsonObject size = send("Page.getLayoutMetrics", new JsonObject()).getAsJsonObject("cssContentSize");
            JsonObject clip = new JsonObject();
            clip.addProperty("x", 0);
            clip.addProperty("y", 0);
            clip.addProperty("width", Math.ceil(size.get("width").getAsDouble()));
            clip.addProperty("height", Math.ceil(size.get("height").getAsDouble()));
            clip.addProperty("scale", 1);
            p.add("clip", clip);
            p.addProperty("captureBeyondViewport", true);
        }
        String data = send("Page.captureScreenshot", p).get("data").getAsString();
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, Base64.getDecoder().decode(data));
    }

    @Override
    public void close() {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the browser is ended below anyway
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
