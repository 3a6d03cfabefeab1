package io.shrink.core.eval;

import java.util.List;

/**
 * Paired bootstrap comparison of two systems scored on the same examples (Koehn 2004, "Statistical Significance
 * Tests for Machine Translation Evaluation"; Berg-Kirkpatrick et al. 2012): each resample draws the examples once,
 * scores both systems on that same draw and takes the difference A - B. The 95% percentile interval of the
 * difference, and the share of resamples in which A scores better, say whether A beats B beyond what the choice of
 * evaluation examples explains, which two separate intervals cannot (they ignore that both systems saw the same
 * examples, so they overlap far more often than the systems really differ).
 *
 * <p>The draws are {@link Bootstrap#replicates}' with the same seed for both systems, so round b of A and of B saw the
 * same resample and {@link Bootstrap#interval} of A alone is unchanged.
 */
public final class PairedBootstrap {
    private PairedBootstrap() {
    }

    /**
     * One metric compared between two systems.
     *
     * @param metric       the metric's registry name
     * @param higherIsBetter whether larger values of the metric are better
     * @param a            the metric of system A on all examples
     * @param b            the metric of system B on all examples
     * @param difference   the 95% interval of A - B ({@link Bootstrap.Interval#value()} is {@code a - b})
     * @param aBetterShare the share of resamples (where both are defined) in which A scores strictly better than B,
     *                     better meaning higher or lower as the metric says; 1 minus it is Koehn's p-value of
     *                     "A is better"
     */
    public record Comparison(String metric, boolean higherIsBetter, double a, double b, Bootstrap.Interval difference,
                             double aBetterShare) {
    }

    /**
     * Compares {@code a} and {@code b} on {@code metric} with {@code resamples} paired resamples drawn with {@code seed}.
     *
     * @param a          system A's predictions, one per example
     * @param b          system B's predictions for the same examples in the same order
     * @param references the gold references of those examples
     */
    public static <P, R> Comparison compare(Metric<P, R> metric, List<? extends P> a, List<? extends P> b,
                                            List<? extends R> references, int resamples, long seed) {
        Metric.checkSameSize(a, references);
        Metric.checkSameSize(b, references);
        double[] ra = Bootstrap.replicates(metric, a, references, resamples, seed);
        double[] rb = Bootstrap.replicates(metric, b, references, resamples, seed);
        double[] diff = new double[resamples];
        int defined = 0;
        int better = 0;
        for (int i = 0; i < resamples; i++) {
            diff[i] = ra[i] - rb[i];
            if (Double.isFinite(diff[i])) {
                defined++;
                if (metric.higherIsBetter() ? diff[i] > 0 : diff[i] < 0) {
                    better++;
                }
            }
        }
        double va = metric.compute(a, references);
        double vb = metric.compute(b, references);
        return new Comparison(metric.name(), metric.higherIsBetter(), va, vb, Bootstrap.interval(va - vb, diff, seed),
                defined == 0 ? Double.NaN : better / (double) defined);
    }
}
