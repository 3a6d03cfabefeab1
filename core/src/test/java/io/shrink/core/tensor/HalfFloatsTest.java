package io.shrink.core.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** float32 to and from bfloat16 / half precision, against known bit patterns. */
class HalfFloatsTest {

    private static int bf16(float f) {
        return HalfFloats.floatToBf16(f) & 0xffff;
    }

    private static int f16(float f) {
        return HalfFloats.floatToHalf(f) & 0xffff;
    }

    @Test
    void bf16KnownPatterns() {
        assertEquals(0x3f80, bf16(1.0f));
        assertEquals(0xc020, bf16(-2.5f));
        assertEquals(0x0000, bf16(0.0f));
        assertEquals(0x8000, bf16(-0.0f));
        assertEquals(0x7f80, bf16(Float.POSITIVE_INFINITY));
        assertEquals(0xff80, bf16(Float.NEGATIVE_INFINITY));
        assertEquals(0x7fc0, bf16(Float.NaN));
        assertEquals(0x7fc0, bf16(Float.intBitsToFloat(0xffc00001)), "any NaN becomes PyTorch's 0x7FC0");
        assertEquals(0x7f80, bf16(Float.MAX_VALUE), "rounds up to infinity as PyTorch does");
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(0x3f80, bf16(Float.intBitsToFloat(0x3f808000)), "tie, 0x3F80 is even");
        assertEquals(0x3f82, bf16(Float.intBitsToFloat(0x3f818000)), "tie, 0x3F82 is even");
        assertEquals(0x3f81, bf16(Float.intBitsToFloat(0x3f808001)), "just above the tie");
        assertEquals(0x3f80, bf16(Float.intBitsToFloat(0x3f807fff)), "just below the tie");
        assertEquals(0x3f8d, bf16(1.1f), "1.1f = 0x3F8CCCCD rounds up");
    }

    @Test
    void f16KnownPatterns() {
        assertEquals(0x3c00, f16(1.0f));
        assertEquals(0xc100, f16(-2.5f));
        assertEquals(0x8000, f16(-0.0f));
        assertEquals(0x7bff, f16(65504f));
        assertEquals(0x7c00, f16(65520f), "halfway to the next power of two rounds to even: infinity");
        assertEquals(0x7bff, f16(65519.99f));
        assertEquals(0x7c00, f16(Float.POSITIVE_INFINITY));
        assertEquals(0xfc00, f16(Float.NEGATIVE_INFINITY));
        assertEquals(0x7e00, f16(Float.NaN));
        assertEquals(0x0400, f16(0x1p-14f), "smallest normal");
        assertEquals(0x0001, f16(0x1p-24f), "smallest subnormal");
        assertEquals(0x0000, f16(0x1p-25f), "tie between 0 and the smallest subnormal: even is 0");
        assertEquals(0x0001, f16(0x1.8p-25f));
        assertEquals(0x0002, f16(0x1.8p-24f), "subnormal tie 1.5 units -> 2");
        assertEquals(0x0002, f16(0x1.4p-23f), "subnormal tie 2.5 units -> 2");
        assertEquals(0x3555, f16(1f / 3f));
    }

    @Test
    void f16RoundsToNearestEven() {
        assertEquals(0x3c00, f16(1f + 0x1p-11f), "tie, 0x3C00 is even");
        assertEquals(0x3c02, f16(1f + 3 * 0x1p-11f), "tie, 0x3C02 is even");
        assertEquals(0x3c01, f16(Math.nextUp(1f + 0x1p-11f)));
        assertEquals(0x3c00, f16(1f - 0x1p-12f), "tie below 1, 0x3C00 is even");
        assertEquals(0x3bff, f16(Math.nextDown(1f - 0x1p-12f)));
    }

    @Test
    void everyHalfAndBf16PatternRoundTrips() {
        for (int b = 0; b < 0x10000; b++) {
            float h = HalfFloats.halfToFloat((short) b);
            float g = HalfFloats.bf16ToFloat((short) b);
            if (Float.isNaN(h)) {
                assertEquals((b & 0x8000) | 0x7e00, f16(h));
            } else {
                assertEquals(b, f16(h), "half 0x" + Integer.toHexString(b));
            }
            if (Float.isNaN(g)) {
                assertEquals(0x7fc0, bf16(g));
            } else {
                assertEquals(b, bf16(g), "bf16 0x" + Integer.toHexString(b));
            }
        }
    }

    @Test
    void halfToFloatDecodesSpecials() {
        assertEquals(1.0f, HalfFloats.halfToFloat((short) 0x3c00));
        assertEquals(-2.5f, HalfFloats.halfToFloat((short) 0xc100));
        assertEquals(0x1p-24f, HalfFloats.halfToFloat((short) 0x0001));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.halfToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(HalfFloats.halfToFloat((short) 0x7e00)));
        assertEquals(-2.5f, HalfFloats.bf16ToFloat((short) 0xc020));
    }
}
