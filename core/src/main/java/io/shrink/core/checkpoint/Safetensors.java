package io.shrink.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.HalfFloats;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.util.AtomicFiles;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header of {@code name -> {dtype, shape, data_offsets}}, then raw
 * little-endian data. Reading validates every offset and length, so a truncated or lying file gives a
 * one-line {@link ShrinkException} instead of a crash.
 *
 * <p>{@link #read} gives float32 tensors: F32, F16, BF16 and F64 are converted in Java, quantised tensors
 * dequantised, other integer tensors (e.g. {@code position_ids} buffers) skipped. {@link #readTyped} keeps
 * F32/BF16/F16/I8/I4 as stored ({@link TypedTensor}); {@link #write} writes F32, {@link #writeTyped} every
 * {@link DType}.
 *
 * <p>Quantised tensors (shrink's own convention; other readers see ordinary integer and F32 tensors):
 * <ul>
 *   <li>I8 {@code name}: the values as a native {@code I8} tensor of the logical shape;</li>
 *   <li>I4 {@code name}: the packed bytes (two values per byte, low nibble first) as a {@code U8} tensor of
 *       shape {@code [ceil(numel / 2)]};</li>
 *   <li>their scales as the F32 tensor {@code name + ".__scale"}, shape {@code [rows]} for I8 and
 *       {@code [rows, groupsPerRow]} for I4;</li>
 *   <li>a {@code __metadata__} entry {@code "shrink.quant." + name} whose (string) value is JSON:
 *       {@code {"dtype":"I8"}} or {@code {"dtype":"I4","group_size":32,"shape":[768,3072]}}.</li>
 * </ul>
 * A metadata entry whose tensor or scales are missing, mistyped or of the wrong size is refused.
 */
public final class Safetensors {
    /** Largest header this reader accepts; real headers are a few hundred KB at most. */
    static final long MAX_HEADER = 100L << 20;
    /** Suffix of the companion tensor holding a quantised tensor's float32 scales. */
    public static final String SCALE_SUFFIX = ".__scale";
    /** Prefix of the {@code __metadata__} key that says how the tensor named by the rest is quantised. */
    public static final String QUANT_KEY = "shrink.quant.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {
    }

    /** One validated header entry: where a tensor's bytes lie in the data section. */
    private record Entry(String name, String dtype, long[] shape, long numel, long begin, long end) {
    }

    /** How a quantised tensor is stored, from its {@code __metadata__} entry. */
    private record Quant(DType dtype, int groupSize, long[] shape) {
    }

    /** Reads every floating-point tensor of a safetensors file as float32; integer tensors (e.g. position_ids buffers) are skipped. */
    public static Map<String, FloatTensor> read(Path file) {
        return readEach(file, (ch, e, entries, q, dataStart) -> q != null
                ? quantised(ch, file, e, entries, q, dataStart).toFloat()
                : readFloat(ch, e, dataStart), FloatTensor::name);
    }

    /**
     * Reads every tensor of a safetensors file as stored: F32, BF16 and F16 as their bytes, quantised I8/I4
     * tensors with their scales (see the class comment), F64 converted to F32; integer tensors without
     * shrink's quantisation metadata are skipped, as {@link #read} does.
     */
    public static Map<String, TypedTensor> readTyped(Path file) {
        return readEach(file, (ch, e, entries, q, dataStart) -> {
            if (q != null) {
                return quantised(ch, file, e, entries, q, dataStart);
            } else if (e.dtype().equals("F32") || e.dtype().equals("BF16") || e.dtype().equals("F16")) {
                byte[] bytes = new byte[(int) (e.end() - e.begin())];
                map(ch, e, dataStart).get(bytes);
                return new TypedTensor(e.name(), e.shape(), DType.valueOf(e.dtype()), bytes, new float[0], 0);
            } else if (e.dtype().equals("F64")) {
                return TypedTensor.f32(readFloat(ch, e, dataStart));
            }
            return null;
        }, TypedTensor::name);
    }

    /** Whether a file holds anything but F32 tensors that {@link #readTyped} keeps (reads the header only). */
    public static boolean hasStoredTypes(Path file) {
        return open(file, (ch, entries, quant, dataStart) -> !quant.isEmpty() || entries.values().stream()
                .anyMatch(e -> e.dtype().equals("BF16") || e.dtype().equals("F16")));
    }

    private interface EachTensor<T> {
        /** The tensor stored as {@code e}, or null to skip it; {@code q} is its quantisation, or null. */
        T read(FileChannel ch, Entry e, Map<String, Entry> entries, Quant q, long dataStart) throws IOException;
    }

    /** Reads every entry but the scales of quantised tensors through {@code each}, keyed by {@code name}. */
    private static <T> Map<String, T> readEach(Path file, EachTensor<T> each, Function<T, String> name) {
        return open(file, (ch, entries, quant, dataStart) -> {
            Map<String, T> out = new LinkedHashMap<>();
            for (Entry e : entries.values()) {
                if (isScaleOfQuantised(e.name(), quant)) {
                    continue;
                }
                T t = each.read(ch, e, entries, quant.get(e.name()), dataStart);
                if (t != null) {
                    out.put(name.apply(t), t);
                }
            }
            return out;
        });
    }

    private interface Body<T> {
        T read(FileChannel ch, Map<String, Entry> entries, Map<String, Quant> quant, long dataStart) throws IOException;
    }

    private static <T> T open(Path file, Body<T> body) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw ShrinkException.corrupt(file + ": not a safetensors file (" + size + " bytes, truncated)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw ShrinkException.corrupt(file + ": safetensors header length " + Long.toUnsignedString(headerLen)
                        + " is impossible for a file of " + size + " bytes (truncated or not safetensors)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8, file);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                throw ShrinkException.corrupt(file + ": safetensors header is not valid JSON");
            }
            if (header == null || !header.isObject()) {
                throw ShrinkException.corrupt(file + ": safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            JsonNode metadata = null;
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    metadata = e.getValue();
                    continue;
                }
                Entry entry = entry(file, e.getKey(), e.getValue(), dataLen);
                ranges.add(new long[] {entry.begin(), entry.end()});
                entries.put(entry.name(), entry);
            }
            checkOverlaps(file, ranges);
            Map<String, Quant> quant = quantMetadata(file, metadata);
            for (String name : quant.keySet()) {
                if (!entries.containsKey(name)) {
                    throw ShrinkException.corrupt(file + ": tensor '" + name
                            + "' is described as quantised in __metadata__ but the file has no such tensor");
                }
            }
            return body.read(ch, entries, quant, dataStart);
        } catch (NoSuchFileException e) {
            throw ShrinkException.corrupt(file + ": no such file");
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static Entry entry(Path file, String name, JsonNode info, long dataLen) {
        String where = file + ": tensor '" + name + "'";
        JsonNode dtypeNode = info.get("dtype");
        JsonNode shapeNode = info.get("shape");
        JsonNode offsets = info.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || !shapeNode.isArray() || offsets == null || !offsets.isArray()
                || offsets.size() != 2) {
            throw ShrinkException.corrupt(where + " has no dtype, shape or data_offsets");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).canConvertToLong() || shapeNode.get(i).asLong() < 0) {
                throw ShrinkException.corrupt(where + " has an invalid shape " + shapeNode);
            }
            shape[i] = shapeNode.get(i).asLong();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataLen) {
            throw ShrinkException.corrupt(where + " has data_offsets [" + offsets.get(0) + ", " + offsets.get(1)
                    + "] outside the " + dataLen + " data bytes (truncated or corrupt file)");
        }
        String dtype = dtypeNode.asText();
        int width = switch (dtype) {
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "F64", "I64", "U64" -> 8;
            case "I8", "U8", "BOOL" -> 1;
            default -> throw ShrinkException.corrupt(where + " has unsupported dtype " + dtype);
        };
        long numel;
        try {
            numel = FloatTensor.numel(shape);
        } catch (ArithmeticException e) {
            throw ShrinkException.corrupt(where + " has an absurd shape " + shapeNode);
        }
        if (numel > Integer.MAX_VALUE - 8 || numel * width != end - begin) {
            throw ShrinkException.corrupt(where + ": shape " + shapeNode + " of " + dtype + " needs "
                    + (numel * width) + " bytes but data_offsets give " + (end - begin));
        }
        return new Entry(name, dtype, shape, numel, begin, end);
    }

    private static ByteBuffer map(FileChannel ch, Entry e, long dataStart) throws IOException {
        return ch.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A floating-point entry as float32, or null for an integer one. */
    private static FloatTensor readFloat(FileChannel ch, Entry e, long dataStart) throws IOException {
        String dtype = e.dtype();
        if (!dtype.startsWith("F") && !dtype.equals("BF16")) {
            return null;
        }
        ByteBuffer raw = map(ch, e, dataStart);
        float[] data = new float[(int) e.numel()];
        switch (dtype) {
            case "F32" -> raw.asFloatBuffer().get(data);
            case "F64" -> {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) raw.getDouble(i * 8);
                }
            }
            case "BF16" -> {
                for (int i = 0; i < data.length; i++) {
                    data[i] = HalfFloats.bf16ToFloat(raw.getShort(i * 2));
                }
            }
            default -> {
                for (int i = 0; i < data.length; i++) {
                    data[i] = HalfFloats.halfToFloat(raw.getShort(i * 2));
                }
            }
        }
        return new FloatTensor(e.name(), e.shape(), data);
    }

    private static boolean isScaleOfQuantised(String name, Map<String, Quant> quant) {
        return name.endsWith(SCALE_SUFFIX)
                && quant.containsKey(name.substring(0, name.length() - SCALE_SUFFIX.length()));
    }

    /** The {@code shrink.quant.*} entries of {@code __metadata__}, validated as far as the metadata goes. */
    private static Map<String, Quant> quantMetadata(Path file, JsonNode metadata) {
        Map<String, Quant> out = new LinkedHashMap<>();
        if (metadata == null || !metadata.isObject()) {
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getKey().startsWith(QUANT_KEY)) {
                continue;
            }
            String name = m.getKey().substring(QUANT_KEY.length());
            String where = file + ": tensor '" + name + "'";
            JsonNode q;
            try {
                q = JSON.readTree(m.getValue().asText());
            } catch (IOException e) {
                q = null;
            }
            if (q == null || !q.isObject() || !q.path("dtype").isTextual()) {
                throw ShrinkException.corrupt(where + ": quantisation metadata " + m.getValue()
                        + " is not a JSON object with a dtype");
            }
            DType dtype = DType.parse(q.get("dtype").asText(), where);
            if (!dtype.isQuantised()) {
                throw ShrinkException.corrupt(where + ": quantisation metadata names " + dtype
                        + ", which is not a quantised dtype (I8 or I4)");
            }
            int group = 0;
            long[] shape = null;
            if (dtype == DType.I4) {
                JsonNode g = q.get("group_size");
                JsonNode s = q.get("shape");
                if (g == null || !g.canConvertToInt() || g.asInt() < 1 || s == null || !s.isArray()) {
                    throw ShrinkException.corrupt(where + ": I4 metadata needs a group_size of at least 1 and a shape, got "
                            + m.getValue().asText());
                }
                group = g.asInt();
                shape = new long[s.size()];
                for (int i = 0; i < shape.length; i++) {
                    if (!s.get(i).canConvertToLong() || s.get(i).asLong() < 0) {
                        throw ShrinkException.corrupt(where + ": I4 metadata has an invalid shape " + s);
                    }
                    shape[i] = s.get(i).asLong();
                }
            }
            out.put(name, new Quant(dtype, group, shape));
        }
        return out;
    }

    /** A quantised tensor and its scales, checked against each other. */
    private static TypedTensor quantised(FileChannel ch, Path file, Entry e, Map<String, Entry> entries, Quant q,
                                         long dataStart) throws IOException {
        String where = file + ": tensor '" + e.name() + "'";
        String storedAs = q.dtype() == DType.I8 ? "I8" : "U8";
        if (!e.dtype().equals(storedAs)) {
            throw ShrinkException.corrupt(where + " is quantised as " + q.dtype() + " and must be stored as "
                    + storedAs + ", not " + e.dtype());
        }
        long[] shape = q.dtype() == DType.I8 ? e.shape() : q.shape();
        Entry s = entries.get(e.name() + SCALE_SUFFIX);
        if (s == null) {
            throw ShrinkException.corrupt(where + " is quantised as " + q.dtype() + " but its scales '"
                    + e.name() + SCALE_SUFFIX + "' are missing");
        }
        if (!s.dtype().equals("F32")) {
            throw ShrinkException.corrupt(where + ": its scales '" + s.name() + "' are " + s.dtype() + ", not F32");
        }
        byte[] bytes = new byte[(int) (e.end() - e.begin())];
        map(ch, e, dataStart).get(bytes);
        float[] scales = new float[(int) s.numel()];
        map(ch, s, dataStart).asFloatBuffer().get(scales);
        TypedTensor t;
        try {
            t = new TypedTensor(e.name(), shape, q.dtype(), bytes, scales, q.groupSize());
        } catch (ShrinkException | ArithmeticException x) {
            throw ShrinkException.corrupt(file + ": " + x.getMessage());
        }
        if (!Arrays.equals(t.scaleShape(), s.shape()) || (q.dtype() == DType.I4 && !Arrays.equals(e.shape(),
                new long[] {bytes.length}))) {
            throw ShrinkException.corrupt(where + ": stored shape " + Arrays.toString(e.shape()) + " and scale shape "
                    + Arrays.toString(s.shape()) + " do not fit " + q.dtype() + " " + t.shapeString()
                    + " (want scales " + Arrays.toString(t.scaleShape()) + ")");
        }
        return t;
    }

    private static void checkOverlaps(Path file, List<long[]> ranges) {
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw ShrinkException.corrupt(file + ": tensors overlap in the data section (corrupt header)");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw ShrinkException.corrupt(file + ": unexpected end of file (truncated)");
            }
            pos += n;
        }
    }

    /** One tensor to write: its header entry and how to stream its bytes. */
    private record Item(String name, String dtype, long[] shape, long bytes, float[] floats, byte[] raw) {
    }

    /**
     * Writes float32 tensors atomically (temp file, then rename), in the given order, with
     * {@code __metadata__ = {"format": "pt"}} plus {@code metadata}, header padded to 8 bytes.
     */
    public static void write(Path file, Iterable<FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        List<Item> items = new ArrayList<>();
        for (FloatTensor t : tensors) {
            items.add(new Item(t.name(), "F32", t.shape(), 4L * t.data().length, t.data(), null));
        }
        writeItems(file, items, metadata, Map.of());
    }

    /**
     * Writes stored tensors of any {@link DType} atomically, in the given order, like {@link #write}; quantised
     * ones are followed by their {@code .__scale} tensor and described in {@code __metadata__} (see the class
     * comment), so {@link #readTyped} gives back equal tensors. Names must be unique and not collide with a
     * scale tensor's name; {@code metadata} keys must not start with {@code shrink.quant.}.
     */
    public static void writeTyped(Path file, Iterable<TypedTensor> tensors, Map<String, String> metadata)
            throws IOException {
        for (String k : metadata.keySet()) {
            if (k.startsWith(QUANT_KEY)) {
                throw ShrinkException.usage("metadata key '" + k + "' is reserved for quantised tensors");
            }
        }
        List<Item> items = new ArrayList<>();
        Map<String, String> quant = new LinkedHashMap<>();
        Set<String> names = new HashSet<>();
        for (TypedTensor t : tensors) {
            unique(names, t.name());
            switch (t.dtype()) {
                case F32, BF16, F16 -> items.add(new Item(t.name(), t.dtype().safetensorsName(), t.shape(),
                        t.data().length, null, t.data()));
                case I8, I4 -> {
                    boolean i8 = t.dtype() == DType.I8;
                    items.add(new Item(t.name(), i8 ? "I8" : "U8", i8 ? t.shape() : new long[] {t.data().length},
                            t.data().length, null, t.data()));
                    String scaleName = t.name() + SCALE_SUFFIX;
                    unique(names, scaleName);
                    items.add(new Item(scaleName, "F32", t.scaleShape(), 4L * t.scales().length, t.scales(), null));
                    ObjectNode q = JSON.createObjectNode().put("dtype", t.dtype().name());
                    if (!i8) {
                        q.put("group_size", t.groupSize());
                        var shape = q.putArray("shape");
                        for (long d : t.shape()) {
                            shape.add(d);
                        }
                    }
                    quant.put(QUANT_KEY + t.name(), JSON.writeValueAsString(q));
                }
                default -> throw new IllegalStateException(t.dtype().toString());
            }
        }
        writeItems(file, items, metadata, quant);
    }

    private static void unique(Set<String> names, String name) {
        if (!names.add(name)) {
            throw ShrinkException.usage("tensor name '" + name + "' occurs twice (a quantised tensor's scales are '"
                    + "<name>" + SCALE_SUFFIX + "')");
        }
    }

    private static void writeItems(Path file, List<Item> items, Map<String, String> metadata,
                                   Map<String, String> quant) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        metadata.forEach(meta::put);
        quant.forEach(meta::put);
        long offset = 0;
        for (Item t : items) {
            ObjectNode info = header.putObject(t.name());
            info.put("dtype", t.dtype());
            var shape = info.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            info.putArray("data_offsets").add(offset).add(offset + t.bytes());
            offset += t.bytes();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            headerBytes[i] = ' ';
        }
        AtomicFiles.write(file, raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 20);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer fb = chunk.asFloatBuffer();
            for (Item t : items) {
                if (t.raw() != null) {
                    out.write(t.raw());
                    continue;
                }
                float[] d = t.floats();
                for (int i = 0; i < d.length; i += fb.capacity()) {
                    int n = Math.min(fb.capacity(), d.length - i);
                    fb.clear();
                    fb.put(d, i, n);
                    out.write(chunk.array(), 0, n * 4);
                }
            }
            out.flush();
        });
    }
}
