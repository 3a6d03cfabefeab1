package io.shrink.core.bench;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Arrays;

/**
 * Summary statistics of a sample of latencies (any unit): count, mean, population standard deviation
 * (numpy's {@code std} default, ddof = 0), min, max and the 50th, 90th, 95th and 99th percentiles by linear
 * interpolation between closest ranks (numpy's default {@code method='linear'}): for sorted samples
 * x[0..n-1] the q-th percentile is at rank h = (n - 1) q / 100, i.e. x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 *
 * @param count samples
 * @param mean  arithmetic mean
 * @param stdev population standard deviation
 * @param min   smallest sample
 * @param p50   median
 * @param p90   90th percentile
 * @param p95   95th percentile
 * @param p99   99th percentile
 * @param max   largest sample
 */
@JsonPropertyOrder({"count", "mean", "stdev", "min", "p50", "p90", "p95", "p99", "max"})
public record LatencyStats(int count, double mean, double stdev, double min, double p50, double p90, double p95,
                           double p99, double max) {

    /** Statistics of a non-empty sample. */
    public static LatencyStats of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] x = samples.clone();
        Arrays.sort(x);
        double sum = 0;
        for (double v : x) {
            sum += v;
        }
        double mean = sum / x.length;
        double squares = 0;
        for (double v : x) {
            squares += (v - mean) * (v - mean);
        }
        return new LatencyStats(x.length, mean, Math.sqrt(squares / x.length), x[0], percentile(x, 50),
                percentile(x, 90), percentile(x, 95), percentile(x, 99), x[x.length - 1]);
    }

    /** The q-th percentile (0..100) of sorted samples, interpolated linearly as numpy does by default. */
    public static double percentile(double[] sorted, double q) {
        if (sorted.length == 0 || q < 0 || q > 100) {
            throw new IllegalArgumentException("percentile " + q + " of " + sorted.length + " samples");
        }
        double h = (sorted.length - 1) * q / 100.0;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Every value multiplied by {@code factor} (e.g. 1000 for seconds to milliseconds). */
    public LatencyStats scaled(double factor) {
        return new LatencyStats(count, mean * factor, stdev * factor, min * factor, p50 * factor, p90 * factor,
                p95 * factor, p99 * factor, max * factor);
    }
}
