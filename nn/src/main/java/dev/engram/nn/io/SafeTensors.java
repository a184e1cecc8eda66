package dev.engram.nn.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.engram.engine.DType;
import dev.engram.engine.Tensor;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reader and writer of the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, so weights move to and from PyTorch.
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code N}; {@code N} bytes of UTF-8
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}}, plus
 * an optional {@code "__metadata__"} object of string values; then the data buffer, each tensor
 * stored row-major little-endian at its offsets (relative to the start of the buffer). The header
 * may be padded with spaces. Tensors must cover the data buffer exactly: overlaps, holes,
 * out-of-range offsets and trailing bytes are rejected, as are unknown dtypes, header lengths
 * beyond the file size and a tensor name or an entry's key that appears twice; the {@link SafeTensorsFormatException} names the file, the tensor and
 * the defect.
 *
 * <p>dtypes read: F32 and I32 as they are; F16 and BF16 to float32 (exact); F64 to float32
 * (rounded to nearest; a finite value beyond the float32 range is an error); I64 to int32 (exact; a value outside the int32 range is an error); I16,
 * I8, U8 and BOOL (0/1) to int32 (exact). Any other dtype (e.g. F8_E4M3, U16, U32, U64, C64) is
 * refused with a {@link SafeTensorsFormatException} naming the file, the tensor and the dtype.
 * Writes use F32 and I32, the engine's dtypes, except for the tensors a caller asks to store as
 * I64 ({@link #write(Path, Map, Map, Predicate)}; {@link Checkpoint} stores PyTorch's int64
 * buffers such as {@code num_batches_tracked} that way, see {@link #PYTORCH_INT64_BUFFERS}).
 * Writes are atomic ({@link AtomicFiles}).
 */
public final class SafeTensors {
    /** Largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    private static final int CHUNK_BYTES = 1 << 20;
    private static final String METADATA = "__metadata__";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    /**
     * The state-dict entries that PyTorch keeps as int64 and Engram as float32 or int32: BatchNorm's
     * {@code num_batches_tracked} counters (a name equal to it or ending in {@code .num_batches_tracked}).
     */
    public static final Predicate<String> PYTORCH_INT64_BUFFERS =
            name -> name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked");

    private SafeTensors() {}

    /** The element types of the format that this reader understands. */
    enum Dtype {
        F64(8, true), F32(4, true), F16(2, true), BF16(2, true),
        I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

        final int size;
        final boolean floating;

        Dtype(int size, boolean floating) {
            this.size = size;
            this.floating = floating;
        }

        static Dtype parse(String s) {
            for (Dtype d : values()) if (d.name().equals(s)) return d;
            return null;
        }
    }

    /**
     * One tensor's header entry.
     *
     * @param name  tensor name
     * @param dtype the format's dtype string ("F32", "I64", ...)
     * @param shape dimensions
     * @param begin first byte, relative to the data buffer
     * @param end   one past the last byte
     */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        /** Number of elements. */
        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /**
     * A validated header.
     *
     * @param entries    tensor entries in header order
     * @param metadata   the {@code __metadata__} strings (empty when absent)
     * @param dataStart  file position of the data buffer ({@code 8 + N})
     * @param dataLength bytes in the data buffer
     */
    public record Header(List<Entry> entries, Map<String, String> metadata, long dataStart, long dataLength) {
        /** The entry named {@code name}, or null. */
        public Entry entry(String name) {
            for (Entry e : entries) if (e.name().equals(name)) return e;
            return null;
        }
    }

    /**
     * A file's tensors (CPU, float32 or int32) and metadata.
     *
     * @param tensors  tensors by name, in header order
     * @param metadata the {@code __metadata__} strings
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    // ---- reading -----------------------------------------------------------------------------

    /** Reads and validates the header of {@code file} without loading tensor data. */
    public static Header readHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        }
    }

    /** Reads every tensor of {@code file} onto the CPU. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            Map<String, Tensor> out = new LinkedHashMap<>();
            // one buffer for all tensors, no larger than the largest of them: a file of many tiny tensors stays cheap
            long largest = 0;
            for (Entry e : h.entries()) largest = Math.max(largest, e.end() - e.begin());
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, largest)).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : h.entries()) out.put(e.name(), decode(file, ch, h.dataStart(), e, buf));
            return new Contents(Collections.unmodifiableMap(out), h.metadata());
        }
    }

    /** The tensors of {@code file} by name (a PyTorch {@code state_dict} when the file holds one). */
    public static Map<String, Tensor> load(Path file) throws IOException {
        return read(file).tensors();
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafeTensorsFormatException(file, "file is " + size + " bytes, too short for the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, lenBuf, 0);
        long n = lenBuf.flip().getLong();
        if (n < 0 || n > size - 8) {
            throw new SafeTensorsFormatException(file, "header length " + Long.toUnsignedString(n) + " exceeds the file size ("
                    + size + " bytes leave at most " + (size - 8) + " for the header); the file is truncated or not safetensors");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new SafeTensorsFormatException(file, "header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (n < 2) throw new SafeTensorsFormatException(file, "header length " + n + " is too small for a JSON object");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(file, ch, hb, 8);
        hb.flip();
        String json;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb);
            json = chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(file, "header is not valid UTF-8", e);
        }
        if (json.charAt(0) != '{') {
            throw new SafeTensorsFormatException(file, "header does not start with '{' (found byte 0x"
                    + Integer.toHexString(json.charAt(0)) + "); not a safetensors file");
        }
        long dataStart = 8 + n, dataLength = size - dataStart;
        List<String> problems = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        try {
            JsonReader r = new JsonReader(new StringReader(json));
            r.setStrictness(Strictness.STRICT);
            r.beginObject();
            java.util.Set<String> seen = new java.util.HashSet<>();
            while (r.hasNext()) {
                String name = r.nextName();
                JsonElement value = readElement(r, name.equals(METADATA) ? METADATA : "tensor '" + name + "'", problems);
                if (!seen.add(name)) {
                    problems.add("tensor '" + name + "' appears twice in the header");
                    continue;
                }
                if (name.equals(METADATA)) parseMetadata(value, metadata, problems);
                else {
                    Entry e = parseEntry(name, value, dataLength, problems);
                    if (e != null) entries.add(e);
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) problems.add("header has content after its JSON object");
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new SafeTensorsFormatException(file, "header is not valid JSON: " + jsonProblem(e), e);
        }
        if (problems.isEmpty()) checkCoverage(entries, dataLength, problems);
        if (!problems.isEmpty()) throw new SafeTensorsFormatException(file, String.join("; ", problems));
        return new Header(Collections.unmodifiableList(entries), Collections.unmodifiableMap(metadata), dataStart, dataLength);
    }

    /**
     * The next JSON value of {@code r}; a key that appears twice in one of its objects is a problem of {@code where}
     * (the reference implementation refuses such an entry; a JSON tree would silently keep the last value).
     */
    private static JsonElement readElement(JsonReader r, String where, List<String> problems) throws IOException {
        switch (r.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String key = r.nextName();
                    JsonElement v = readElement(r, where, problems);
                    if (o.has(key)) problems.add(where + ": key '" + key + "' appears twice in its entry");
                    else o.add(key, v);
                }
                r.endObject();
                return o;
            }
            case BEGIN_ARRAY -> {
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) a.add(readElement(r, where, problems));
                r.endArray();
                return a;
            }
            default -> {
                return JsonParser.parseReader(r);
            }
        }
    }

    private static void parseMetadata(JsonElement value, Map<String, String> metadata, List<String> problems) {
        if (!value.isJsonObject()) {
            problems.add("__metadata__ must be an object of strings, found " + value);
            return;
        }
        for (var m : value.getAsJsonObject().entrySet()) {
            JsonElement v = m.getValue();
            if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) metadata.put(m.getKey(), v.getAsString());
            else problems.add("__metadata__ value of '" + m.getKey() + "' must be a string, found " + v);
        }
    }

    private static Entry parseEntry(String name, JsonElement value, long dataLength, List<String> problems) {
        String where = "tensor '" + name + "'";
        if (!value.isJsonObject()) {
            problems.add(where + ": entry must be an object, found " + value);
            return null;
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dt = o.get("dtype"), sh = o.get("shape"), off = o.get("data_offsets");
        if (dt == null || sh == null || off == null) {
            problems.add(where + ": entry needs dtype, shape and data_offsets, found " + o.keySet());
            return null;
        }
        if (!dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) {
            problems.add(where + ": dtype must be a string, found " + dt);
            return null;
        }
        String dtype = dt.getAsString();
        Dtype d = Dtype.parse(dtype);
        if (d == null) {
            problems.add(where + ": dtype '" + dtype + "' cannot be read (readable: " + Arrays.toString(Dtype.values())
                    + "); convert the tensor in PyTorch first, e.g. t.float() or t.to(torch.int64)");
            return null;
        }
        long[] shapeL = longs(sh, -1);
        if (shapeL == null) {
            problems.add(where + ": shape must be an array of non-negative integers, found " + sh);
            return null;
        }
        int[] shape = new int[shapeL.length];
        long numel = 1;
        for (int k = 0; k < shape.length; k++) {
            if (shapeL[k] > Integer.MAX_VALUE) {
                problems.add(where + ": dimension " + shapeL[k] + " of shape " + sh + " is too large");
                return null;
            }
            shape[k] = (int) shapeL[k];
            numel = Math.multiplyHigh(numel, shape[k]) != 0 ? Long.MAX_VALUE : numel * shape[k];
        }
        if (numel > Integer.MAX_VALUE) {
            problems.add(where + ": shape " + sh + " has " + numel + " elements, more than a tensor can hold (2^31 - 1)");
            return null;
        }
        long[] offsets = longs(off, 2);
        if (offsets == null) {
            problems.add(where + ": data_offsets must be two non-negative integers [begin, end], found " + off);
            return null;
        }
        long begin = offsets[0], end = offsets[1];
        if (begin > end) {
            problems.add(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
            return null;
        }
        if (end > dataLength) {
            problems.add(where + ": data_offsets [" + begin + ", " + end + "] extend past the end of the data buffer ("
                    + dataLength + " bytes); the file is truncated or the offsets are wrong");
            return null;
        }
        if (end - begin != numel * d.size) {
            problems.add(where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + numel * d.size);
            return null;
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** Non-negative integers of a JSON array (exactly {@code length} of them unless -1), or null. */
    private static long[] longs(JsonElement el, int length) {
        if (!el.isJsonArray()) return null;
        JsonArray a = el.getAsJsonArray();
        if (length >= 0 && a.size() != length) return null;
        long[] out = new long[a.size()];
        for (int k = 0; k < out.length; k++) {
            JsonElement x = a.get(k);
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) return null;
            try {
                out[k] = new java.math.BigDecimal(x.getAsString()).longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                return null;
            }
            if (out[k] < 0) return null;
        }
        return out;
    }

    private static void checkCoverage(List<Entry> entries, long dataLength, List<String> problems) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                problems.add("tensor '" + e.name() + "' data_offsets [" + e.begin() + ", " + e.end() + "] overlap tensor '"
                        + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
            } else if (e.begin() > covered) {
                problems.add("bytes [" + covered + ", " + e.begin() + ") of the data buffer belong to no tensor (a hole before tensor '"
                        + e.name() + "')");
            }
            if (e.end() >= covered) {
                covered = e.end();
                prev = e;
            }
        }
        if (covered < dataLength) {
            problems.add("trailing garbage: the data buffer has " + dataLength + " bytes but the tensors cover only " + covered
                    + (prev == null ? "" : " (last tensor '" + prev.name() + "' ends at " + covered + ")"));
        }
    }

    private static Tensor decode(Path file, FileChannel ch, long dataStart, Entry e, ByteBuffer buf) throws IOException {
        Dtype d = Dtype.valueOf(e.dtype());
        int n = (int) e.numel();
        int perChunk = Math.max(1, buf.capacity() / d.size);
        float[] f = d.floating ? new float[n] : null;
        int[] iv = d.floating ? null : new int[n];
        long pos = dataStart + e.begin();
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, perChunk);
            buf.clear().limit(k * d.size);
            readFully(file, ch, buf, pos);
            buf.flip();
            pos += (long) k * d.size;
            for (int j = 0; j < k; j++, done++) {
                switch (d) {
                    case F32 -> f[done] = buf.getFloat();
                    case F64 -> {
                        double v = buf.getDouble();
                        f[done] = (float) v;
                        if (Float.isInfinite(f[done]) && !Double.isInfinite(v)) {
                            throw new SafeTensorsFormatException(file, "tensor '" + e.name() + "' (F64): element " + done + " = "
                                    + v + " is outside the float32 range (largest " + Float.MAX_VALUE + "), the engine's float type");
                        }
                    }
                    case F16 -> f[done] = halfToFloat(buf.getShort());
                    case BF16 -> f[done] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16);
                    case I32 -> iv[done] = buf.getInt();
                    case I64 -> {
                        long v = buf.getLong();
                        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                            throw new SafeTensorsFormatException(file, "tensor '" + e.name() + "' (I64): element " + done + " = " + v
                                    + " does not fit in int32, the engine's integer type");
                        }
                        iv[done] = (int) v;
                    }
                    case I16 -> iv[done] = buf.getShort();
                    case I8 -> iv[done] = buf.get();
                    case U8 -> iv[done] = buf.get() & 0xFF;
                    case BOOL -> iv[done] = buf.get() != 0 ? 1 : 0;
                }
            }
        }
        return d.floating ? Tensor.of(f, e.shape()) : Tensor.ofInts(iv, e.shape());
    }

    /** IEEE 754 binary16 to float32 (exact). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13)); // inf / NaN
        if (exp == 0) {
            float v = mant * 0x1.0p-24f; // subnormal (or zero)
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new SafeTensorsFormatException(file, "unexpected end of file at byte " + pos);
            pos += r;
        }
    }

    // ---- writing -----------------------------------------------------------------------------

    /** Called after each tensor's bytes are written (tests inject failures here). */
    @FunctionalInterface
    interface WriteHook {
        /** Runs after tensor number {@code index} ({@code name}) has been written. */
        void afterTensor(int index, String name) throws IOException;
    }

    /** Atomically writes {@code tensors} (float32 as F32, int32 as I32) to {@code file}. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Atomically writes {@code tensors} (in the map's order) and string {@code metadata} (in sorted key order, so
     * the file's bytes do not depend on the map's iteration order) to {@code file}.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, name -> false, (i, n) -> {});
    }

    /**
     * As {@link #write(Path, Map, Map)}, storing the tensors whose names {@code asInt64} accepts as I64 (int32
     * tensors widened; float32 tensors must hold whole numbers, as Engram's float32 {@code num_batches_tracked}
     * does). Pass {@link #PYTORCH_INT64_BUFFERS} to write a state dict the way PyTorch does.
     *
     * @throws IllegalArgumentException when a tensor to store as I64 holds a value that is not a whole number
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, Predicate<String> asInt64)
            throws IOException {
        write(file, tensors, metadata, asInt64, (i, n) -> {});
    }

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, WriteHook hook) throws IOException {
        write(file, tensors, metadata, name -> false, hook);
    }

    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, Predicate<String> asInt64,
                      WriteHook hook) throws IOException {
        java.util.Set<String> int64 = new java.util.HashSet<>();
        for (var e : tensors.entrySet()) {
            if (!asInt64.test(e.getKey())) continue;
            Tensor t = e.getValue();
            if (t.dtype() != DType.INT32 && !t.isFreed()) {
                float[] v = t.toFloatArray();
                for (int k = 0; k < v.length; k++) {
                    if (v[k] != Math.rint(v[k]) || !Float.isFinite(v[k])) {
                        throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' is to be stored as I64 but element "
                                + k + " is " + v[k] + ", not a whole number");
                    }
                }
            }
            int64.add(e.getKey());
        }
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            // sorted keys: the same metadata gives the same bytes whatever map the caller passed
            new java.util.TreeMap<>(metadata).forEach((k, v) -> meta.add(k, new JsonPrimitive(v)));
            header.add(METADATA, meta);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name.equals(METADATA)) throw new IllegalArgumentException(file + ": '" + METADATA + "' cannot name a tensor");
            if (t.isFreed()) throw new IllegalArgumentException(file + ": tensor '" + name + "' was freed; retain() it before saving");
            JsonObject entry = new JsonObject();
            boolean wide = int64.contains(name);
            entry.addProperty("dtype", wide ? "I64" : t.dtype() == DType.INT32 ? "I32" : "F32");
            JsonArray shape = new JsonArray();
            for (int dim : t.shape()) shape.add(dim);
            entry.add("shape", shape);
            long bytes = t.numel() * (wide ? 8L : t.dtype().bytes());
            JsonArray off = new JsonArray();
            off.add(offset);
            off.add(offset + bytes);
            entry.add("data_offsets", off);
            header.add(name, entry);
            offset += bytes;
        }
        byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        AtomicFiles.write(file, ch -> {
            AtomicFiles.writeFully(ch, head);
            ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int index = 0;
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                if (int64.contains(e.getKey())) {
                    if (t.dtype() == DType.INT32) {
                        for (int v : t.toIntArray()) {
                            if (buf.remaining() < 8) flush(ch, buf);
                            buf.putLong(v);
                        }
                    } else {
                        for (float v : t.toFloatArray()) {
                            if (buf.remaining() < 8) flush(ch, buf);
                            buf.putLong((long) v);
                        }
                    }
                } else if (t.dtype() == DType.INT32) {
                    int[] v = t.toIntArray();
                    for (int k = 0; k < v.length; k++) {
                        if (!buf.hasRemaining()) flush(ch, buf);
                        buf.putInt(v[k]);
                    }
                } else {
                    float[] v = t.toFloatArray();
                    for (int k = 0; k < v.length; k++) {
                        if (!buf.hasRemaining()) flush(ch, buf);
                        buf.putFloat(v[k]);
                    }
                }
                flush(ch, buf);
                hook.afterTensor(index++, e.getKey());
            }
        });
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        AtomicFiles.writeFully(ch, buf);
        buf.clear();
    }

    /** Human-readable listing of a header (name, dtype, shape), for diagnostics. */
    public static String describe(Header h) {
        StringBuilder sb = new StringBuilder();
        for (Entry e : h.entries()) {
            sb.append(String.format(Locale.ROOT, "%-40s %-5s %s%n", e.name(), e.dtype(), Arrays.toString(e.shape())));
        }
        return sb.toString();
    }

    /** Gson's message without its advice on lenient parsing and its troubleshooting link, which do not apply here. */
    private static String jsonProblem(Exception e) {
        String m = String.valueOf(e.getMessage());
        int advice = m.indexOf("Use JsonReader.setStrictness");
        if (advice >= 0) {
            String where = m.replaceAll("(?s).*?( at line \\d+ column \\d+ path \\S+).*", "$1");
            m = "malformed JSON" + (where.equals(m) ? "" : where);
        }
        int see = m.indexOf("\nSee https://");
        return see >= 0 ? m.substring(0, see) : m;
    }
}
