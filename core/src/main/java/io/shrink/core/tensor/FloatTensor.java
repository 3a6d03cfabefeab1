package io.shrink.core.tensor;

import io.shrink.core.ShrinkException;

import java.util.Arrays;

/**
 * A named dense float32 tensor held in Java memory, row-major, with PyTorch's shape convention.
 * It is the interchange type between checkpoint readers, writers and the encoder.
 *
 * @param name  the parameter name (canonical or format-specific, depending on who holds it)
 * @param shape the dimensions, outermost first
 * @param data  the values, row-major; its length is the product of {@code shape}
 */
public record FloatTensor(String name, long[] shape, float[] data) {

    public FloatTensor {
        long n = numel(shape);
        if (n != data.length) {
            throw ShrinkException.corrupt("tensor " + name + ": shape " + Arrays.toString(shape)
                    + " needs " + n + " values but has " + data.length);
        }
    }

    /** Number of elements a tensor of this shape holds. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw ShrinkException.corrupt("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The same values under another name. */
    public FloatTensor rename(String newName) {
        return new FloatTensor(newName, shape, data);
    }

    /** The transpose of a 2-D tensor, e.g. a TensorFlow/ONNX {@code [in, out]} kernel to PyTorch's {@code [out, in]}. */
    public FloatTensor transpose2d(String newName) {
        if (shape.length != 2) {
            throw ShrinkException.corrupt("tensor " + name + " is not 2-D: " + Arrays.toString(shape));
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] out = new float[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data[r * cols + c];
            }
        }
        return new FloatTensor(newName, new long[] {cols, rows}, out);
    }

    /** The shape as a readable string, e.g. {@code [768, 3072]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "FloatTensor[" + name + " " + shapeString() + "]";
    }
}
