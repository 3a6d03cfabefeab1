package io.shrink.core.tensor;

import io.shrink.core.ShrinkException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named weight tensor as it is stored: shape (PyTorch convention, outermost first), element type and the
 * little-endian bytes, plus the float32 scales that quantised types need. Integer types are symmetric
 * (zero point 0), value = q * scale:
 * <ul>
 *   <li>{@link DType#I8}: one byte per value; one scale per row, i.e. per output channel of a
 *       {@code [out, in]} weight; {@code scales} has {@link #rows()} entries (shape {@code [rows]}).</li>
 *   <li>{@link DType#I4}: values -8..7, two per byte in row-major order over the whole tensor, element
 *       {@code 2k} in the low nibble of byte {@code k}, element {@code 2k+1} in the high nibble (an odd count
 *       leaves the last high nibble 0); the last dimension is cut into groups of {@code groupSize} (the last
 *       group of a row is shorter when it does not divide), one scale per group; {@code scales} is
 *       {@code [rows, ceil(cols / groupSize)]} row-major.</li>
 * </ul>
 * Rows are the product of all dimensions but the last, cols the last dimension (a 0-D tensor is one row of one).
 * Float types have no scales (an empty array) and {@code groupSize} 0, as has {@link DType#I8}.
 *
 * @param name      the parameter name
 * @param shape     the logical dimensions, outermost first
 * @param dtype     the element type of {@code data}
 * @param data      the stored bytes, little-endian; {@code dtype.storedBytes(numel)} of them
 * @param scales    the float32 scales of a quantised type, empty otherwise
 * @param groupSize the I4 group size along the last dimension, 0 for other types
 */
public record TypedTensor(String name, long[] shape, DType dtype, byte[] data, float[] scales, int groupSize) {

    /** Checks that bytes, scales and group size fit the shape and dtype. */
    public TypedTensor {
        if (name == null || shape == null || dtype == null || data == null || scales == null) {
            throw ShrinkException.corrupt("tensor " + name + ": name, shape, dtype, data and scales are all required");
        }
        long n = FloatTensor.numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw ShrinkException.corrupt("tensor " + name + ": " + n + " elements are more than one array holds");
        }
        long bytes = dtype.storedBytes(n);
        if (bytes != data.length) {
            throw ShrinkException.corrupt("tensor " + name + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + bytes + " bytes but has " + data.length);
        }
        if (dtype == DType.I4 ? groupSize < 1 : groupSize != 0) {
            throw ShrinkException.corrupt("tensor " + name + ": group size " + groupSize + " is invalid for " + dtype
                    + (dtype == DType.I4 ? " (needs at least 1)" : " (only I4 has groups)"));
        }
        long wantScales = scaleCount(shape, dtype, groupSize);
        if (scales.length != wantScales) {
            throw ShrinkException.corrupt("tensor " + name + ": " + dtype + " of shape " + Arrays.toString(shape)
                    + (groupSize > 0 ? " in groups of " + groupSize : "") + " needs " + wantScales
                    + " scales but has " + scales.length);
        }
        for (float s : scales) {
            if (!(s >= 0f) || Float.isInfinite(s)) {
                throw ShrinkException.corrupt("tensor " + name + ": scale " + s + " is not a finite non-negative number");
            }
        }
        if (dtype == DType.I4 && n % 2 == 1 && (data[data.length - 1] & 0xf0) != 0) {
            throw ShrinkException.corrupt("tensor " + name + ": the unused high nibble of the last I4 byte is not 0");
        }
    }

    /** Number of scales a tensor of this shape, dtype and group size carries. */
    static long scaleCount(long[] shape, DType dtype, int groupSize) {
        return switch (dtype) {
            case I8 -> rows(shape);
            case I4 -> groupSize < 1 ? -1 : Math.multiplyExact(rows(shape), ceilDiv(cols(shape), groupSize));
            default -> 0;
        };
    }

    private static long rows(long[] shape) {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            r = Math.multiplyExact(r, shape[i]);
        }
        return r;
    }

    private static long cols(long[] shape) {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Number of elements. */
    public long numel() {
        return FloatTensor.numel(shape);
    }

    /** Rows: the product of all dimensions but the last (1 for 0-D and 1-D tensors). */
    public long rows() {
        return rows(shape);
    }

    /** The shape the scales have on disk: {@code [rows]} for I8, {@code [rows, groupsPerRow]} for I4, none otherwise. */
    public long[] scaleShape() {
        return switch (dtype) {
            case I8 -> new long[] {rows()};
            case I4 -> new long[] {rows(), ceilDiv(cols(shape), groupSize)};
            default -> null;
        };
    }

    /** The same stored tensor under another name. */
    public TypedTensor rename(String newName) {
        return new TypedTensor(newName, shape, dtype, data, scales, groupSize);
    }

    /** The shape as a readable string, e.g. {@code [768, 3072]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** The values as float32, same name and shape: exact for F32/BF16/F16, q * scale for I8/I4. */
    public FloatTensor toFloat() {
        int n = (int) numel();
        float[] out = new float[n];
        ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> bb.asFloatBuffer().get(out);
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.bf16ToFloat(bb.getShort(2 * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.halfToFloat(bb.getShort(2 * i));
                }
            }
            case I8 -> {
                int cols = (int) cols(shape);
                for (int i = 0; i < n; i++) {
                    out[i] = data[i] * scales[i / cols];
                }
            }
            case I4 -> {
                int cols = (int) cols(shape);
                int groups = (int) ceilDiv(cols, groupSize);
                for (int i = 0; i < n; i++) {
                    int row = i / cols;
                    int col = i - row * cols;
                    out[i] = nibble(data, i) * scales[row * groups + col / groupSize];
                }
            }
            default -> throw new IllegalStateException(dtype.toString());
        }
        return new FloatTensor(name, shape, out);
    }

    /** The signed 4-bit value at element {@code i} of packed data. */
    static int nibble(byte[] packed, int i) {
        int b = packed[i >> 1];
        int v = (i & 1) == 0 ? b & 0xf : (b >> 4) & 0xf;
        return (v ^ 8) - 8;
    }

    /** The float32 tensor stored as F32 (its bytes, little-endian). */
    public static TypedTensor f32(FloatTensor t) {
        float[] d = t.data();
        ByteBuffer bb = ByteBuffer.allocate(4 * d.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(d);
        return new TypedTensor(t.name(), t.shape(), DType.F32, bb.array(), new float[0], 0);
    }

    /** The float32 tensor rounded to bfloat16, to nearest even as PyTorch's {@code .to(torch.bfloat16)}. */
    public static TypedTensor bf16(FloatTensor t) {
        float[] d = t.data();
        ByteBuffer bb = ByteBuffer.allocate(2 * d.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : d) {
            bb.putShort(HalfFloats.floatToBf16(v));
        }
        return new TypedTensor(t.name(), t.shape(), DType.BF16, bb.array(), new float[0], 0);
    }

    /** The float32 tensor rounded to IEEE half precision, to nearest even as PyTorch's {@code .half()}. */
    public static TypedTensor f16(FloatTensor t) {
        float[] d = t.data();
        ByteBuffer bb = ByteBuffer.allocate(2 * d.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : d) {
            bb.putShort(HalfFloats.floatToHalf(v));
        }
        return new TypedTensor(t.name(), t.shape(), DType.F16, bb.array(), new float[0], 0);
    }

    /**
     * Symmetric int8 with one scale per row (output channel): scale = max|row| / 127, q = round(x / scale)
     * in -127..127, so |x - q * scale| is at most scale / 2. An all-zero row gets scale 0.
     */
    public static TypedTensor int8PerChannel(FloatTensor t) {
        float[] d = t.data();
        int cols = (int) cols(t.shape());
        int rows = (int) rows(t.shape());
        byte[] q = new byte[d.length];
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            float scale = maxAbs(t, r * cols, cols) / 127f;
            scales[r] = scale;
            for (int c = 0; c < cols; c++) {
                q[r * cols + c] = (byte) quantise(d[r * cols + c], scale, -127, 127);
            }
        }
        return new TypedTensor(t.name(), t.shape(), DType.I8, q, scales, 0);
    }

    /**
     * Symmetric int4 in groups of {@code groupSize} along the last dimension (the last group of a row is
     * shorter when {@code groupSize} does not divide it): scale = max|group| / 7, q = round(x / scale) in
     * -7..7, packed two per byte, low nibble first; |x - q * scale| is at most scale / 2.
     */
    public static TypedTensor int4Grouped(FloatTensor t, int groupSize) {
        if (groupSize < 1) {
            throw ShrinkException.usage("tensor " + t.name() + ": int4 group size must be at least 1, not " + groupSize);
        }
        float[] d = t.data();
        int cols = (int) cols(t.shape());
        int rows = (int) rows(t.shape());
        int groups = (int) ceilDiv(cols, groupSize);
        byte[] packed = new byte[(int) DType.I4.storedBytes(d.length)];
        float[] scales = new float[rows * groups];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int from = r * cols + g * groupSize;
                int len = Math.min(groupSize, cols - g * groupSize);
                float scale = maxAbs(t, from, len) / 7f;
                scales[r * groups + g] = scale;
                for (int i = from; i < from + len; i++) {
                    int v = quantise(d[i], scale, -8, 7) & 0xf;
                    packed[i >> 1] |= (byte) ((i & 1) == 0 ? v : v << 4);
                }
            }
        }
        return new TypedTensor(t.name(), t.shape(), DType.I4, packed, scales, groupSize);
    }

    /** The float32 tensor stored as {@code dtype}; {@code groupSize} is used by I4 only. */
    public static TypedTensor of(FloatTensor t, DType dtype, int groupSize) {
        return switch (dtype) {
            case F32 -> f32(t);
            case BF16 -> bf16(t);
            case F16 -> f16(t);
            case I8 -> int8PerChannel(t);
            case I4 -> int4Grouped(t, groupSize);
        };
    }

    private static float maxAbs(FloatTensor t, int from, int len) {
        float m = 0f;
        float[] d = t.data();
        for (int i = from; i < from + len; i++) {
            if (!Float.isFinite(d[i])) {
                throw ShrinkException.corrupt("tensor " + t.name() + ": cannot quantise the non-finite value "
                        + d[i] + " at element " + i);
            }
            m = Math.max(m, Math.abs(d[i]));
        }
        return m;
    }

    private static int quantise(float x, float scale, int lo, int hi) {
        if (scale == 0f) {
            return 0;
        }
        return (int) Math.max(lo, Math.min(hi, Math.rint(x / scale)));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TypedTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape) && dtype == t.dtype
                && groupSize == t.groupSize && Arrays.equals(data, t.data) && Arrays.equals(scales, t.scales);
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + dtype.hashCode();
    }

    @Override
    public String toString() {
        return "TypedTensor[" + name + " " + dtype + " " + shapeString() + (groupSize > 0 ? " group " + groupSize : "") + "]";
    }
}
