package io.shrink.core.tensor;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversions and quantisations of {@link TypedTensor}: storage layout, round trips and error bounds. */
class TypedTensorTest {

    /** A [rows, cols] tensor of Gaussian values with one large outlier per row. */
    static FloatTensor random(String name, int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        for (int row = 0; row < rows; row++) {
            d[row * cols + r.nextInt(cols)] *= 8f;
        }
        return new FloatTensor(name, new long[] {rows, cols}, d);
    }

    @Test
    void f32IsExactAndLittleEndian() {
        FloatTensor t = new FloatTensor("x", new long[] {2}, new float[] {1f, -2.5f});
        TypedTensor s = TypedTensor.f32(t);
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0x20, (byte) 0xc0}, s.data());
        assertEquals(t, s.toFloat());
    }

    @Test
    void bf16AndF16StoreTheRoundedBitsLittleEndian() {
        FloatTensor t = new FloatTensor("x", new long[] {1, 2}, new float[] {1f, -2.5f});
        assertArrayEquals(new byte[] {(byte) 0x80, 0x3f, 0x20, (byte) 0xc0}, TypedTensor.bf16(t).data());
        assertArrayEquals(new byte[] {0, 0x3c, 0, (byte) 0xc1}, TypedTensor.f16(t).data());
        assertEquals(t, TypedTensor.bf16(t).toFloat());
        assertEquals(t, TypedTensor.f16(t).toFloat());
        FloatTensor r = random("r", 3, 7, 1);
        float[] back = TypedTensor.bf16(r).toFloat().data();
        for (int i = 0; i < back.length; i++) {
            assertEquals(r.data()[i], back[i], Math.abs(r.data()[i]) * 0x1p-8f, "bf16 keeps 8 significant bits");
        }
    }

    @Test
    void int8PerChannelErrorIsAtMostHalfAScale() {
        FloatTensor t = random("w", 5, 33, 2);
        TypedTensor q = TypedTensor.int8PerChannel(t);
        assertEquals(DType.I8, q.dtype());
        assertEquals(5, q.scales().length);
        assertArrayEquals(new long[] {5}, q.scaleShape());
        float[] back = q.toFloat().data();
        for (int i = 0; i < back.length; i++) {
            float scale = q.scales()[i / 33];
            assertTrue(Math.abs(t.data()[i] - back[i]) <= scale / 2 * (1 + 1e-6f),
                    "element " + i + ": " + t.data()[i] + " -> " + back[i] + " with scale " + scale);
            assertTrue(q.data()[i] >= -127, "symmetric range");
        }
        for (int r = 0; r < 5; r++) {
            float max = 0;
            for (int c = 0; c < 33; c++) {
                max = Math.max(max, Math.abs(t.data()[r * 33 + c]));
            }
            assertEquals(max / 127f, q.scales()[r], 0f, "row " + r + "'s scale is max|x| / 127");
        }
    }

    @Test
    void int4GroupedErrorIsAtMostHalfAScaleWithAShortLastGroup() {
        FloatTensor t = random("w", 3, 21, 3);
        TypedTensor q = TypedTensor.int4Grouped(t, 8);
        assertEquals(DType.I4, q.dtype());
        assertEquals(32, q.data().length, "63 values, two per byte, rounded up");
        assertArrayEquals(new long[] {3, 3}, q.scaleShape(), "groups 8 + 8 + 5 per row");
        float[] back = q.toFloat().data();
        for (int i = 0; i < back.length; i++) {
            float scale = q.scales()[(i / 21) * 3 + (i % 21) / 8];
            assertTrue(Math.abs(t.data()[i] - back[i]) <= scale / 2 * (1 + 1e-6f),
                    "element " + i + ": " + t.data()[i] + " -> " + back[i] + " with scale " + scale);
        }
        assertEquals(0, q.data()[31] & 0xf0, "the unused last high nibble is 0");
    }

    @Test
    void int4PacksLowNibbleFirstAndSigned() {
        // scale = 7 / 7 = 1: values are the integers themselves
        FloatTensor t = new FloatTensor("p", new long[] {1, 3}, new float[] {-7f, 7f, -1f});
        TypedTensor q = TypedTensor.int4Grouped(t, 3);
        assertArrayEquals(new float[] {1f}, q.scales());
        assertArrayEquals(new byte[] {(byte) 0x79, (byte) 0x0f}, q.data(), "-7 = 0x9 low, 7 = 0x7 high, -1 = 0xF low");
        assertArrayEquals(t.data(), q.toFloat().data());
        // -8 is a valid stored value even though quantising never produces it
        TypedTensor minus8 = new TypedTensor("m", new long[] {1}, DType.I4, new byte[] {8}, new float[] {0.5f}, 1);
        assertArrayEquals(new float[] {-4f}, minus8.toFloat().data());
    }

    @Test
    void groupSizeLargerThanTheRowAndOddGroupsAreHandled() {
        FloatTensor t = random("w", 2, 5, 4);
        TypedTensor wide = TypedTensor.int4Grouped(t, 64);
        assertArrayEquals(new long[] {2, 1}, wide.scaleShape());
        TypedTensor odd = TypedTensor.int4Grouped(t, 3);
        assertArrayEquals(new long[] {2, 2}, odd.scaleShape());
        assertEquals(5, odd.data().length);
        assertFalse(odd.equals(wide));
    }

    @Test
    void zeroRowsGetScaleZeroAndStayZero() {
        FloatTensor t = new FloatTensor("z", new long[] {2, 2}, new float[] {0f, 0f, 1f, -1f});
        TypedTensor q = TypedTensor.int8PerChannel(t);
        assertEquals(0f, q.scales()[0]);
        assertArrayEquals(new float[] {0f, 0f, 1f, -1f}, q.toFloat().data());
    }

    @Test
    void invalidLayoutsAreRefusedWithOneLine() {
        assertCorrupt(() -> new TypedTensor("a", new long[] {3}, DType.BF16, new byte[5], new float[0], 0), "needs 6 bytes");
        assertCorrupt(() -> new TypedTensor("a", new long[] {2, 3}, DType.I8, new byte[6], new float[1], 0), "needs 2 scales");
        assertCorrupt(() -> new TypedTensor("a", new long[] {2, 3}, DType.I4, new byte[3], new float[2], 0), "group size 0");
        assertCorrupt(() -> new TypedTensor("a", new long[] {2, 3}, DType.I4, new byte[3], new float[2], 2), "needs 4 scales");
        assertCorrupt(() -> new TypedTensor("a", new long[] {3}, DType.I4, new byte[] {0, 0x10}, new float[1], 4), "nibble");
        assertCorrupt(() -> new TypedTensor("a", new long[] {1}, DType.I8, new byte[1], new float[] {Float.NaN}, 0), "scale NaN");
        assertCorrupt(() -> TypedTensor.int8PerChannel(new FloatTensor("a", new long[] {1}, new float[] {Float.NaN})),
                "non-finite");
        ShrinkException e = assertThrows(ShrinkException.class,
                () -> TypedTensor.int4Grouped(new FloatTensor("a", new long[] {1}, new float[1]), 0));
        assertEquals(ShrinkException.Kind.USAGE, e.kind());
    }

    @Test
    void dtypeSizesAndNames() {
        assertEquals(4, DType.F32.bytesPerElement());
        assertEquals(0, DType.I4.bytesPerElement());
        assertEquals(4, DType.I4.bits());
        assertEquals(3, DType.I4.storedBytes(5));
        assertEquals("BF16", DType.BF16.safetensorsName());
        assertEquals(null, DType.I4.safetensorsName());
        assertCorrupt(() -> DType.parse("Q8", "tensor 'x'"), "unknown dtype 'Q8'");
    }

    static void assertCorrupt(org.junit.jupiter.api.function.Executable ex, String fragment) {
        ShrinkException e = assertThrows(ShrinkException.class, ex);
        assertEquals(ShrinkException.Kind.MISSING_OR_CORRUPT, e.kind());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
