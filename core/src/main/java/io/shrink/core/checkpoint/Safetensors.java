package io.shrink.core.checkpoint;

import io.shrink.core.tensor.HalfFloats;
import io.shrink.core.tensor.FloatTensor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header of {@code name -> {dtype, shape, data_offsets}}, then raw
 * little-endian data. Reading validates every offset and length, so a truncated or lying file gives a
 * one-line {@link ShrinkException} instead of a crash. F32, F16, BF16 and F64 are read (converted to
 * float32 in Java); F32 is written.
 */
public final class Safetensors {
    /** Largest header this reader accepts; real headers are a few hundred KB at most. */
    static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {
    }

    /** Reads every floating-point tensor of a safetensors file; integer tensors (e.g. position_ids buffers) are skipped. */
    public static Map<String, FloatTensor> read(Path file) {
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
            Map<String, FloatTensor> out = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                FloatTensor t = readTensor(ch, file, e.getKey(), e.getValue(), dataStart, dataLen, ranges);
                if (t != null) {
                    out.put(t.name(), t);
                }
            }
            checkOverlaps(file, ranges);
            return out;
        } catch (NoSuchFileException e) {
            throw ShrinkException.corrupt(file + ": no such file");
        } catch (IOException e) {
            throw ShrinkException.corrupt(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static FloatTensor readTensor(FileChannel ch, Path file, String name, JsonNode info, long dataStart,
                                          long dataLen, List<long[]> ranges) throws IOException {
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
        ranges.add(new long[] {begin, end});
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
        if (!dtype.startsWith("F") && !dtype.equals("BF16")) {
            return null;
        }
        ByteBuffer raw = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin)
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[(int) numel];
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
        return new FloatTensor(name, shape, data);
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

    /**
     * Writes float32 tensors atomically (temp file, then rename), in the given order, with
     * {@code __metadata__ = {"format": "pt"}} plus {@code metadata}, header padded to 8 bytes.
     */
    public static void write(Path file, Iterable<FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        metadata.forEach(meta::put);
        long offset = 0;
        List<FloatTensor> list = new ArrayList<>();
        for (FloatTensor t : tensors) {
            ObjectNode info = header.putObject(t.name());
            info.put("dtype", "F32");
            var shape = info.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long bytes = 4L * t.data().length;
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            list.add(t);
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
            for (FloatTensor t : list) {
                float[] d = t.data();
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
