package io.shrink.core.eval;

import io.shrink.core.results.RunResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap confidence intervals for any {@link Metric} (Efron and Tibshirani 1993, "An Introduction to
 * the Bootstrap", ch. 13): draw {@code resamples} samples of the examples with replacement, recompute the metric on
 * each, and take the 2.5th and 97.5th percentiles (linear interpolation between order statistics, Hyndman and Fan
 * 1996 type 7, NumPy's default). Draws come from {@link SplittableRandom} with the given seed, so the same seed gives
 * the same interval. Per-example metrics are resampled through their per-example scores, which gives the same
 * result faster.
 */
public final class Bootstrap {
    /** The number of resamples used unless a caller asks for another. */
    public static final int DEFAULT_RESAMPLES = 1000;
    /** The default seed. */
    public static final long DEFAULT_SEED = 0;

    private Bootstrap() {
    }

    /**
     * A metric's point estimate and its 95% percentile-bootstrap interval.
     *
     * @param value     the metric on all examples
     * @param low       the 2.5th percentile of the resampled metric
     * @param high      the 97.5th percentile of the resampled metric
     * @param resamples the number of resamples drawn
     * @param seed      the seed of the draws
     * @param undefined resamples on which the metric was undefined ({@code NaN}, e.g. a constant resample for
     *                  Pearson) and which the percentiles leave out
     */
    public record Interval(double value, double low, double high, int resamples, long seed, int undefined) {
        /** This interval as a result-schema metric. */
        public RunResult.Metric toMetric(boolean higherIsBetter) {
            return new RunResult.Metric(value, finite(low), finite(high), higherIsBetter);
        }

        private static Double finite(double x) {
            return Double.isFinite(x) ? x : null;
        }
    }

    /** The 95% interval of {@code metric} with {@link #DEFAULT_RESAMPLES} resamples and {@link #DEFAULT_SEED}. */
    public static <P, R> Interval interval(Metric<P, R> metric, List<? extends P> predictions,
                                           List<? extends R> references) {
        return interval(metric, predictions, references, DEFAULT_RESAMPLES, DEFAULT_SEED);
    }

    /** The 95% interval of {@code metric} with the given number of resamples and seed. */
    public static <P, R> Interval interval(Metric<P, R> metric, List<? extends P> predictions,
                                           List<? extends R> references, int resamples, long seed) {
        double[] stats = replicates(metric, predictions, references, resamples, seed);
        return interval(metric.compute(predictions, references), stats, seed);
    }

    /**
     * The 95% percentile interval around {@code value} from its bootstrap replicates; replicates that are not
     * finite (the statistic was undefined on that resample) are left out and counted.
     */
    public static Interval interval(double value, double[] replicates, long seed) {
        double[] defined = Arrays.stream(replicates).filter(Double::isFinite).sorted().toArray();
        return new Interval(value, percentile(defined, 0.025), percentile(defined, 0.975), replicates.length, seed,
                replicates.length - defined.length);
    }

    /**
     * {@code metric} on each of {@code resamples} bootstrap samples of the examples, in draw order ({@code NaN} where
     * the metric is undefined). Metrics over the same examples drawn with the same seed see the same samples, so
     * replicates of several metrics (or tasks) can be combined round by round into a replicate of a derived score.
     */
    public static <P, R> double[] replicates(Metric<P, R> metric, List<? extends P> predictions,
                                             List<? extends R> references, int resamples, long seed) {
        Metric.checkSameSize(predictions, references);
        if (resamples < 1) {
            throw new IllegalArgumentException("resamples must be positive, got " + resamples);
        }
        int n = predictions.size();
        if (n == 0) {
            throw new IllegalArgumentException("no examples to bootstrap");
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        if (metric instanceof PerExampleMetric<P, R> perExample) {
            double[] scores = perExample.perExample(predictions, references);
            for (int b = 0; b < resamples; b++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += scores[random.nextInt(n)];
                }
                stats[b] = sum / n;
            }
        } else {
            List<P> p = new ArrayList<>(n);
            List<R> r = new ArrayList<>(n);
            for (int b = 0; b < resamples; b++) {
                p.clear();
                r.clear();
                for (int i = 0; i < n; i++) {
                    int k = random.nextInt(n);
                    p.add(predictions.get(k));
                    r.add(references.get(k));
                }
                stats[b] = metric.compute(p, r);
            }
        }
        return stats;
    }

    /** The {@code q} quantile of sorted {@code xs}, interpolating linearly (type 7); NaN when empty. */
    static double percentile(double[] xs, double q) {
        if (xs.length == 0) {
            return Double.NaN;
        }
        double h = (xs.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, xs.length - 1);
        return xs[lo] + (h - lo) * (xs[hi] - xs[lo]);
    }
}
