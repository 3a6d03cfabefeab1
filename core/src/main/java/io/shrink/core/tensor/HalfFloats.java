package io.shrink.core.tensor;

/**
 * Conversions between float32 and the two 16-bit float formats, bit for bit as PyTorch does them:
 * float32 to 16 bits rounds to nearest, ties to even; NaN becomes PyTorch's canonical quiet NaN.
 * This is the one copy every reader (safetensors, ONNX) uses.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** IEEE 754 half precision bits to float (exact). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Float to IEEE 754 half precision bits, round to nearest even; too large gives infinity, too small
     * (under half the smallest subnormal) gives a signed zero, NaN gives {@code 0x7E00} with the sign kept.
     */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | (mant == 0 ? 0x7c00 : 0x7e00));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int m = mant | 0x800000;
            int shift = 14 - e;
            int h = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (h & 1) != 0)) {
                h++;
            }
            return (short) (sign | h);
        }
        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++;
        }
        return (short) (sign | h);
    }

    /** bfloat16 bits to float (exact: they are the top half of a float32). */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Float to bfloat16 bits, round to nearest even as PyTorch's {@code c10::BFloat16}; NaN gives {@code 0x7FC0}. */
    public static short floatToBf16(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7fc0;
        }
        int bits = Float.floatToRawIntBits(f);
        int bias = ((bits >>> 16) & 1) + 0x7fff;
        return (short) ((bits + bias) >>> 16);
    }
}
