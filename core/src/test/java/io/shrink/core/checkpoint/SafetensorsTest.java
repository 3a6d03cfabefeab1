package io.shrink.core.checkpoint;

import io.shrink.core.tensor.FloatTensor;
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
