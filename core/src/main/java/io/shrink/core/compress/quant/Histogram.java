package io.shrink.core.compress.quant;

/**
 * Counts of values in equal-width bins over [lo, hi]: what a calibration pass saw at one linear layer's input.
 *
 * @param lo     lower edge of the first bin (the smallest value seen)
 * @param hi     upper edge of the last bin (the largest value seen)
 * @param counts values per bin, at least one bin
 */
public record Histogram(double lo, double hi, double[] counts) {
    /** Checks the shape. */
    public Histogram {
        if (counts.length == 0 || !(hi >= lo)) {
            throw new IllegalArgumentException("a histogram needs bins and lo <= hi, not [" + lo + ", " + hi + "]");
        }
    }

    /** The width of one bin. */
    public double width() {
        return (hi - lo) / counts.length;
    }

    /** The value at the middle of bin {@code k}. */
    public double center(int k) {
        return lo + (k + 0.5) * width();
    }

    /** The value at the lower edge of bin {@code k} ({@code k = bins} is {@link #hi}). */
    public double edge(int k) {
        return k == counts.length ? hi : lo + k * width();
    }

    /** All values counted. */
    public double total() {
        double t = 0;
        for (double c : counts) {
            t += c;
        }
        return t;
    }
}
