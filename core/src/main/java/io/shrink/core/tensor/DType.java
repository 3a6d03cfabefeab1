package io.shrink.core.tensor;

import io.shrink.core.ShrinkException;

/**
 * The element types a stored weight tensor may have. Floating-point types hold values directly; the
 * integer types are symmetric quantisations (zero point 0) that need float32 scales to mean anything:
 * {@link #I8} one scale per row (output channel), {@link #I4} one scale per group of the last dimension.
 */
public enum DType {
    /** IEEE 754 single precision, 4 bytes. */
    F32(32, "F32"),
    /** bfloat16: the top 16 bits of a float32, 2 bytes. */
    BF16(16, "BF16"),
    /** IEEE 754 half precision, 2 bytes. */
    F16(16, "F16"),
    /** Signed 8-bit integer, symmetric, with one float32 scale per row. */
    I8(8, "I8"),
    /** Signed 4-bit integer (-8..7), two per byte, low nibble first, with float32 scales per group of the last dimension. */
    I4(4, null);

    private final int bits;
    private final String safetensorsName;

    DType(int bits, String safetensorsName) {
        this.bits = bits;
        this.safetensorsName = safetensorsName;
    }

    /** Bits one element takes in storage. */
    public int bits() {
        return bits;
    }

    /** Whole bytes one element takes, or 0 for {@link #I4}, whose elements share bytes. */
    public int bytesPerElement() {
        return bits % 8 == 0 ? bits / 8 : 0;
    }

    /** Bytes {@code numel} elements take in storage (for {@link #I4}, rounded up to a whole byte). */
    public long storedBytes(long numel) {
        return (Math.multiplyExact(numel, bits) + 7) / 8;
    }

    /** The safetensors dtype string for this type, or {@code null} where safetensors has none ({@link #I4}). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Whether values of this type need scales to be read as floats. */
    public boolean isQuantised() {
        return this == I8 || this == I4;
    }

    /** The type named {@code name} (as {@link #name()} spells it), or a corrupt-input error naming {@code where}. */
    public static DType parse(String name, String where) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw ShrinkException.corrupt(where + " has unknown dtype '" + name + "' (known: F32, BF16, F16, I8, I4)");
    }
}
