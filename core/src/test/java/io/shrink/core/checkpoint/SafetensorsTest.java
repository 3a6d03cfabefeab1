package io.shrink.core.checkpoint;

import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripIsBitExact() throws IOException {
        FloatTensor a = new FloatTensor("a.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 1e30f});
        FloatTensor b = new FloatTensor("b.bias", new long[] {1}, new float[] {Float.NaN});
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, List.of(a, b), Map.of("k", "v"));
        Map<String, FloatTensor> back = Safetensors.read(f);
        assertEquals(List.of("a.weight", "b.bias"), List.copyOf(back.keySet()));
        assertArrayEquals(a.shape(), back.get("a.weight").shape());
        for (int i = 0; i < a.data().length; i++) {
            assertEquals(Float.floatToRawIntBits(a.data()[i]), Float.floatToRawIntBits(back.get("a.weight").data()[i]));
        }
        assertTrue(Float.isNaN(back.get("b.bias").data()[0]));
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes");
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
    }

    @Test
    void decodesHalfAndBfloat16() throws IOException {
        // 1.0 and -2.5 in fp16 (0x3c00, 0xc100) and bf16 (0x3f80, 0xc020)
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3c00).putShort((short) 0xc100).putShort((short) 0x3f80).putShort((short) 0xc020).array();
        Path f = file("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}", data);
        Map<String, FloatTensor> t = Safetensors.read(f);
        assertArrayEquals(new float[] {1f, -2.5f}, t.get("h").data());
        assertArrayEquals(new float[] {1f, -2.5f}, t.get("b").data());
    }

    @Test
    void skipsIntegerBuffers() throws IOException {
        Path f = file("{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", new byte[16]);
        assertTrue(Safetensors.read(f).isEmpty());
    }

    @Test
    void rejectsLyingFilesWithOneLineErrors() throws IOException {
        byte[] four = new byte[16];
        assertCorrupt(dir.resolve("missing.safetensors"), "no such file");
        assertCorrupt(write("empty", new byte[0]), "truncated");
        assertCorrupt(write("huge", header(Long.MAX_VALUE, "{}")), "header length");
        assertCorrupt(write("toolong", header(1000, "{}")), "header length");
        assertCorrupt(write("negative", header(-8, "{}")), "header length");
        assertCorrupt(file("not json", four), "not valid JSON");
        assertCorrupt(file("[1,2]", four), "not a JSON object");
        assertCorrupt(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1600]}}", four), "outside");
        assertCorrupt(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,4]}}", four), "outside");
        assertCorrupt(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", four), "needs 12 bytes");
        assertCorrupt(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,4],\"data_offsets\":[0,16]}}", four), "absurd shape");
        assertCorrupt(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,16]}}", four), "invalid shape");
        assertCorrupt(file("{\"x\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", four), "unsupported dtype");
        assertCorrupt(file("{\"x\":{\"shape\":[4]}}", four), "no dtype");
        assertCorrupt(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", four), "overlap");
    }

    @Test
    void truncatedDataIsReported() throws IOException {
        FloatTensor a = new FloatTensor("a", new long[] {256}, new float[256]);
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, List.of(a), Map.of());
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 100));
        assertCorrupt(f, "outside");
    }

    /** One tensor of every dtype: [2, 3] F32, [3] BF16, [2, 2] F16, [3, 4] I8, [3, 5] I4 in groups of 2 (odd count, short last group). */
    private static List<TypedTensor> everyDtype() {
        FloatTensor w = new FloatTensor("w", new long[] {3, 5}, new float[] {
            0.1f, -0.7f, 1.3f, 2.9f, -3.1f, 0.25f, 0f, -0.5f, 4f, 1e-3f, -9f, 9f, 0.3f, -0.3f, 2f});
        return List.of(
                TypedTensor.f32(new FloatTensor("a.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 1e30f})),
                TypedTensor.bf16(new FloatTensor("b.bias", new long[] {3}, new float[] {1.1f, -2.5f, Float.NaN})),
                TypedTensor.f16(new FloatTensor("c.weight", new long[] {2, 2}, new float[] {65504f, 1e-7f, -1f, 0.1f})),
                TypedTensor.int8PerChannel(new FloatTensor("d.weight", new long[] {3, 4}, new float[] {
                    1, -2, 3, -4, 0, 0, 0, 0, 0.5f, 0.25f, -0.125f, 100f})),
                TypedTensor.int4Grouped(w.rename("e.weight"), 2));
    }

    @Test
    void everyDtypeRoundTripsByteForByte() throws IOException {
        Path f = dir.resolve("typed.safetensors");
        Safetensors.writeTyped(f, everyDtype(), Map.of("producer", "test"));
        Map<String, TypedTensor> back = Safetensors.readTyped(f);
        assertEquals(List.of("a.weight", "b.bias", "c.weight", "d.weight", "e.weight"), List.copyOf(back.keySet()));
        for (TypedTensor t : everyDtype()) {
            assertEquals(t, back.get(t.name()), t.name() + ": dtype, shape, bytes, scales and group size");
        }
        Path again = dir.resolve("again.safetensors");
        Safetensors.writeTyped(again, back.values(), Map.of("producer", "test"));
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(again), "rewriting what was read gives the same file");
        String header = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        assertTrue(header.contains("\"d.weight.__scale\""), header);
        assertTrue(header.contains("\"shrink.quant.e.weight\":\"{\\\"dtype\\\":\\\"I4\\\",\\\"group_size\\\":2,\\\"shape\\\":[3,5]}\""),
                header);
    }

    @Test
    void floatReadDequantisesAndHidesScales() throws IOException {
        Path f = dir.resolve("typed.safetensors");
        Safetensors.writeTyped(f, everyDtype(), Map.of());
        Map<String, FloatTensor> floats = Safetensors.read(f);
        assertEquals(List.of("a.weight", "b.bias", "c.weight", "d.weight", "e.weight"), List.copyOf(floats.keySet()));
        for (TypedTensor t : everyDtype()) {
            assertEquals(t.toFloat(), floats.get(t.name()), t.name());
        }
    }

    @Test
    void float32FileReadsTheSameTypedAsFloat() throws IOException {
        FloatTensor a = new FloatTensor("a", new long[] {2, 2}, new float[] {1, -0f, Float.NaN, 3e-42f});
        Path f = dir.resolve("f32.safetensors");
        Safetensors.write(f, List.of(a), Map.of());
        TypedTensor t = Safetensors.readTyped(f).get("a");
        assertEquals(DType.F32, t.dtype());
        assertEquals(TypedTensor.f32(a), t);
        Path g = dir.resolve("g.safetensors");
        Safetensors.writeTyped(g, List.of(t), Map.of());
        assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(g), "F32 written typed or float is the same file");
    }

    @Test
    void rejectsMalformedQuantisedTensors() throws IOException {
        byte[] data = new byte[16];
        String i8 = "\"q\":{\"dtype\":\"I8\",\"shape\":[2,2],\"data_offsets\":[0,4]}";
        String scale = "\"q.__scale\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}";
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I8\\\"}\"}," + i8 + "}", data),
                "tensor 'q' is quantised as I8 but its scales 'q.__scale' are missing");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"Q8\\\"}\"}," + i8 + "," + scale + "}", data),
                "unknown dtype 'Q8'");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"BF16\\\"}\"}," + i8 + "," + scale + "}", data),
                "not a quantised dtype");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"not json\"}," + i8 + "," + scale + "}", data),
                "tensor 'q': quantisation metadata");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.z\":\"{\\\"dtype\\\":\\\"I8\\\"}\"}," + i8 + "," + scale + "}", data),
                "tensor 'z' is described as quantised");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I8\\\"}\"}," + i8
                + ",\"q.__scale\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}", data), "needs 2 scales");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I8\\\"}\"}," + i8
                + ",\"q.__scale\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}", data), "are F16, not F32");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I4\\\",\\\"group_size\\\":2,\\\"shape\\\":[2,2]}\"},"
                + i8 + "," + scale + "}", data), "must be stored as U8, not I8");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I4\\\",\\\"shape\\\":[2,2]}\"},"
                + "\"q\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}," + scale + "}", data), "group_size");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I4\\\",\\\"group_size\\\":2,\\\"shape\\\":[2,3]}\"},"
                + "\"q\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}," + scale + "}", data), "needs 3 bytes but has 2");
        assertBothCorrupt(file("{\"__metadata__\":{\"shrink.quant.q\":\"{\\\"dtype\\\":\\\"I4\\\",\\\"group_size\\\":2,\\\"shape\\\":[2,2]}\"},"
                + "\"q\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}," + scale + "}", data), "do not fit I4");
        assertBothCorrupt(file("{\"x\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", data), "tensor 'x' has unsupported dtype");
        assertBothCorrupt(file("{\"x\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,16]}}", data), "tensor 'x': shape [3] of BF16 needs 6 bytes");
    }

    @Test
    void writeTypedRefusesNameClashes() {
        TypedTensor q = TypedTensor.int8PerChannel(new FloatTensor("q", new long[] {1}, new float[] {1f}));
        TypedTensor clash = TypedTensor.f32(new FloatTensor("q.__scale", new long[] {1}, new float[] {1f}));
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> Safetensors.writeTyped(dir.resolve("x.safetensors"), List.of(q, clash), Map.of()));
        assertTrue(e.getMessage().contains("'q.__scale' occurs twice"), e.getMessage());
        assertThrows(ShrinkException.class, () -> Safetensors.writeTyped(dir.resolve("y.safetensors"), List.of(q),
                Map.of("shrink.quant.q", "{}")));
    }

    private void assertBothCorrupt(Path f, String fragment) {
        assertCorrupt(f, fragment);
        ShrinkException e = assertThrows(ShrinkException.class, () -> Safetensors.readTyped(f));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains(fragment), e.getMessage() + " should mention " + fragment);
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    private void assertCorrupt(Path f, String fragment) {
        ShrinkException e = assertThrows(ShrinkException.class, () -> Safetensors.read(f));
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains(fragment), e.getMessage() + " should mention " + fragment);
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    private Path file(String json, byte[] data) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).put(data);
        return write("f" + Math.abs(json.hashCode()), buf.array());
    }

    private static byte[] header(long len, String json) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(len).put(h).array();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name + ".safetensors");
        Files.write(f, bytes);
        return f;
    }
}
