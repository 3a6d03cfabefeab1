package io.shrink.core.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

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
 *
 * <p>{@link #compareGroups} compares two groups of runs, e.g. a distilled and an undistilled student trained with
 * several seeds each: the difference of the two groups' mean metric, with an interval from a two-level bootstrap
 * that resamples the runs of each group as well as the examples, so that it covers the spread between seeds and not
 * only the choice of evaluation examples (a hierarchical bootstrap; Davison and Hinkley 1997, sec. 3.8).
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
        for (int i = 0; i < resamples; i++) {
            diff[i] = ra[i] - rb[i];
        }
        double va = metric.compute(a, references);
        double vb = metric.compute(b, references);
        return new Comparison(metric.name(), metric.higherIsBetter(), va, vb, Bootstrap.interval(va - vb, diff, seed),
                betterShare(diff, metric.higherIsBetter()));
    }

    /**
     * One metric compared between two groups of runs scored on the same examples.
     *
     * @param metric               the metric's registry name
     * @param higherIsBetter       whether larger values of the metric are better
     * @param aRuns                the metric of each run of group A on all examples
     * @param bRuns                the metric of each run of group B on all examples
     * @param difference           mean(aRuns) - mean(bRuns) with the 95% interval of the two-level bootstrap: each
     *                             round draws the examples once (shared by every run) and, independently in each
     *                             group, as many runs as the group has, with replacement
     * @param aBetterShare         the share of those resamples (where defined) in which group A scores better
     * @param examplesOnly         the same difference with the interval from resampling examples only (every run
     *                             kept), which ignores the spread between runs
     * @param examplesOnlyABetterShare the share of the examples-only resamples in which group A scores better
     */
    public record GroupComparison(String metric, boolean higherIsBetter, List<Double> aRuns, List<Double> bRuns,
                                  Bootstrap.Interval difference, double aBetterShare, Bootstrap.Interval examplesOnly,
                                  double examplesOnlyABetterShare) {
        /** The mean of group A's runs. */
        public double a() {
            return mean(aRuns);
        }

        /** The mean of group B's runs. */
        public double b() {
            return mean(bRuns);
        }
    }

    /**
     * Compares the mean {@code metric} of the runs in {@code a} with that of the runs in {@code b}, all scored on the
     * same examples, with {@code resamples} two-level resamples drawn with {@code seed}. With one run in each group it
     * is {@link #compare}: drawing one run out of one changes nothing.
     *
     * @param a          group A: each run's predictions, one per example
     * @param b          group B, the same way
     * @param references the gold references of those examples
     */
    public static <P, R> GroupComparison compareGroups(Metric<P, R> metric, List<? extends List<? extends P>> a,
                                                       List<? extends List<? extends P>> b,
                                                       List<? extends R> references, int resamples, long seed) {
        if (a.isEmpty() || b.isEmpty()) {
            throw new IllegalArgumentException("each group needs at least one run");
        }
        double[][] ra = new double[a.size()][];
        double[][] rb = new double[b.size()][];
        List<Double> va = new ArrayList<>();
        List<Double> vb = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            ra[i] = Bootstrap.replicates(metric, a.get(i), references, resamples, seed);
            va.add(metric.compute(a.get(i), references));
        }
        for (int j = 0; j < b.size(); j++) {
            rb[j] = Bootstrap.replicates(metric, b.get(j), references, resamples, seed);
            vb.add(metric.compute(b.get(j), references));
        }
        // the runs are drawn from their own stream, so the example draws stay those of compare() and Bootstrap
        SplittableRandom runs = new SplittableRandom(seed).split();
        double[] twoLevel = new double[resamples];
        double[] examplesOnly = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double ea = 0;
            double eb = 0;
            double ta = 0;
            double tb = 0;
            for (double[] x : ra) {
                ea += x[r];
                ta += ra[runs.nextInt(ra.length)][r];
            }
            for (double[] x : rb) {
                eb += x[r];
                tb += rb[runs.nextInt(rb.length)][r];
            }
            examplesOnly[r] = ea / ra.length - eb / rb.length;
            twoLevel[r] = ta / ra.length - tb / rb.length;
        }
        double value = mean(va) - mean(vb);
        return new GroupComparison(metric.name(), metric.higherIsBetter(), List.copyOf(va), List.copyOf(vb),
                Bootstrap.interval(value, twoLevel, seed), betterShare(twoLevel, metric.higherIsBetter()),
                Bootstrap.interval(value, examplesOnly, seed), betterShare(examplesOnly, metric.higherIsBetter()));
    }

    /** The share of finite differences that favour A (NaN when none is finite). */
    private static double betterShare(double[] differences, boolean higherIsBetter) {
        int defined = 0;
        int better = 0;
        for (double d : differences) {
            if (Double.isFinite(d)) {
                defined++;
                if (higherIsBetter ? d > 0 : d < 0) {
                    better++;
                }
            }
        }
        return defined == 0 ? Double.NaN : better / (double) defined;
    }

    private static double mean(List<Double> xs) {
        double sum = 0;
        for (double x : xs) {
            sum += x;
        }
        return sum / xs.size();
    }
}
