package io.shrink.core.compress.quant;

import io.shrink.core.ShrinkException;
import io.shrink.core.model.Quantization;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;

/**
 * How static int8 chooses the range [min, max] an activation is quantised over, from the histogram of what a linear
 * layer's input held on the calibration data. Values outside the range are clipped; a narrower range quantises the
 * values inside it more finely. Observers are found by name ({@link #of}); each is one method plus one line here.
 */
public interface RangeObserver {
    /** The observers: {@code minmax}, {@code percentile}, {@code mse}, {@code entropy}. */
    List<String> NAMES = List.of("minmax", "percentile", "mse", "entropy");
    /** Default percentile of the {@code percentile} observer. */
    double DEFAULT_PERCENTILE = 99.99;

    /** The range, {@code {min, max}}. */
    double[] range(Histogram h);

    /**
     * The observer called {@code name}.
     *
     * @param percentile for {@code percentile}: the share of values kept at each end, in (50, 100]
     */
    static RangeObserver of(String name, double percentile) {
        Map<String, DoubleFunction<RangeObserver>> known = new LinkedHashMap<>();
        known.put("minmax", p -> h -> new double[] {h.lo(), h.hi()});
        known.put("percentile", p -> h -> percentile(h, p));
        known.put("mse", p -> RangeObserver::leastSquares);
        known.put("entropy", p -> RangeObserver::leastEntropy);
        DoubleFunction<RangeObserver> f = known.get(name);
        if (f == null) {
            throw ShrinkException.usage("unknown observer '" + name + "'; known: " + String.join(", ", NAMES));
        }
        if (name.equals("percentile") && !(percentile > 50 && percentile <= 100)) {
            throw ShrinkException.usage("percentile must be in (50, 100], not " + percentile);
        }
        return f.apply(percentile);
    }

    /** The values below which {@code 100 - p}% and {@code p}% of the counts lie, interpolated within bins. */
    static double[] percentile(Histogram h, double p) {
        double total = h.total();
        return new double[] {quantile(h, total * (1 - p / 100)), quantile(h, total * p / 100)};
    }

    private static double quantile(Histogram h, double target) {
        double seen = 0;
        double[] c = h.counts();
        for (int k = 0; k < c.length; k++) {
            if (seen + c[k] >= target && c[k] > 0) {
                return h.edge(k) + h.width() * Math.max(0, Math.min(1, (target - seen) / c[k]));
            }
            seen += c[k];
        }
        return h.hi();
    }

    /**
     * The range whose int8 quantisation loses the least in mean squared error: values inside it are rounded
     * (error scale² / 12 each), values outside are clipped to its ends. Searched as PyTorch's HistogramObserver does:
     * starting from the whole histogram, one bin at a time off the end whose removal costs less.
     */
    static double[] leastSquares(Histogram h) {
        return shrink(h, 16, RangeObserver::squaredError);
    }

    /**
     * The range whose int8 quantisation keeps the distribution closest in Kullback-Leibler divergence (TensorRT's
     * entropy calibration, with both ends searched): the histogram clipped to the range, outliers folded into its end
     * bins, against the same merged into 128 levels and spread back over their non-empty bins.
     */
    static double[] leastEntropy(Histogram h) {
        return shrink(h, Quantization.ACTIVATION_QMAX + 1, RangeObserver::divergence);
    }

    /** A cost of quantising over bins [i, j). */
    interface Cost {
        double of(Histogram h, int i, int j);
    }

    private static double[] shrink(Histogram h, int minBins, Cost cost) {
        int n = h.counts().length;
        int i = 0;
        int j = n;
        int bi = 0;
        int bj = n;
        double best = cost.of(h, 0, n);
        while (j - i > minBins) {
            // an end that has reached 0 moves no further: the range always includes 0, so it would change nothing
            boolean canLeft = h.edge(i + 1) <= 0;
            boolean canRight = h.edge(j - 1) >= 0;
            if (!canLeft && !canRight) {
                break;
            }
            double left = canLeft ? cost.of(h, i + 1, j) : Double.POSITIVE_INFINITY;
            double right = canRight ? cost.of(h, i, j - 1) : Double.POSITIVE_INFINITY;
            if (left <= right) {
                i++;
            } else {
                j--;
            }
            double c = Math.min(left, right);
            if (c < best) {
                best = c;
                bi = i;
                bj = j;
            }
        }
        return new double[] {h.edge(bi), h.edge(bj)};
    }

    private static double squaredError(Histogram h, int i, int j) {
        double[] sz = Quantization.activationParams(List.of(h.edge(i), h.edge(j)));
        double scale = sz[0];
        double low = (0 - sz[1]) * scale;
        double high = (Quantization.ACTIVATION_QMAX - sz[1]) * scale;
        double err = 0;
        double[] c = h.counts();
        for (int k = 0; k < c.length; k++) {
            if (c[k] == 0) {
                continue;
            }
            double v = h.center(k);
            double d = v < low ? v - low : v > high ? v - high : 0;
            err += c[k] * (d == 0 ? scale * scale / 12 : d * d);
        }
        return err;
    }

    private static double divergence(Histogram h, int i, int j) {
        double[] c = h.counts();
        int width = j - i;
        double[] p = new double[width];
        for (int k = 0; k < width; k++) {
            p[k] = c[i + k];
        }
        for (int k = 0; k < i; k++) {
            p[0] += c[k];
        }
        for (int k = j; k < c.length; k++) {
            p[width - 1] += c[k];
        }
        int levels = Quantization.ACTIVATION_QMAX + 1;
        double[] q = new double[width];
        for (int l = 0; l < levels; l++) {
            int from = (int) ((long) l * width / levels);
            int to = (int) ((long) (l + 1) * width / levels);
            double sum = 0;
            int nonEmpty = 0;
            for (int k = from; k < to; k++) {
                sum += c[i + k];
                nonEmpty += p[k] > 0 ? 1 : 0;
            }
            for (int k = from; k < to; k++) {
                q[k] = p[k] > 0 ? sum / nonEmpty : 0;
            }
        }
        double ps = 0;
        double qs = 0;
        for (int k = 0; k < width; k++) {
            ps += p[k];
            qs += q[k];
        }
        double kl = 0;
        for (int k = 0; k < width; k++) {
            if (p[k] > 0) {
                double pk = p[k] / ps;
                double qk = Math.max(q[k] / Math.max(qs, 1e-30), 1e-12);
                kl += pk * Math.log(pk / qk);
            }
        }
        return kl;
    }
}
