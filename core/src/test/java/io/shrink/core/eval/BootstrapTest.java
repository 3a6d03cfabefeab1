package io.shrink.core.eval;

import io.shrink.core.results.RunResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootstrapTest {
    private static List<Integer> labels(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(r.nextInt(2));
        }
        return out;
    }

    /** The predictions: the gold label, flipped for every fifth example (80% correct). */
    private static List<Integer> noisy(List<Integer> gold) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < gold.size(); i++) {
            out.add(i % 5 == 0 ? 1 - gold.get(i) : gold.get(i));
        }
        return out;
    }

    /** Accuracy computed from the whole lists, so the bootstrap cannot take its per-example shortcut. */
    private static final Metric<Integer, Integer> WHOLE_LIST_ACCURACY =
            new NamedMetric<Integer, Integer>("accuracy (whole list)", true, ClassificationMetrics.ACCURACY::compute);

    @Test
    void replicatesOfMetricsDrawnWithOneSeedSeeTheSameResamples() {
        List<Integer> gold = labels(300, 7);
        List<Integer> pred = noisy(gold);
        double[] fast = Bootstrap.replicates(ClassificationMetrics.ACCURACY, pred, gold, 200, 11);
        double[] slow = Bootstrap.replicates(WHOLE_LIST_ACCURACY, pred, gold, 200, 11);
        assertEquals(200, fast.length);
        for (int b = 0; b < fast.length; b++) {
            assertEquals(slow[b], fast[b], 1e-12, "round " + b);
        }
        Bootstrap.Interval fromReplicates = Bootstrap.interval(0.8, fast, 11);
        assertEquals(Bootstrap.interval(ClassificationMetrics.ACCURACY, pred, gold, 200, 11), fromReplicates);
        assertEquals(0.8, fromReplicates.value(), 1e-12);
    }

    @Test
    void intervalFromReplicatesLeavesOutUndefinedRounds() {
        Bootstrap.Interval i = Bootstrap.interval(0.5, new double[] {0.1, Double.NaN, 0.9, 0.5, 0.3}, 3);
        // defined, sorted: 0.1 0.3 0.5 0.9; type 7: h = 3 * 0.025 = 0.075 -> 0.1 + 0.075 * 0.2; h = 2.925 -> 0.5 + 0.925 * 0.4
        assertEquals(0.115, i.low(), 1e-12);
        assertEquals(0.87, i.high(), 1e-12);
        assertEquals(5, i.resamples());
        assertEquals(1, i.undefined());
    }

    @Test
    void intervalContainsValueAndRepeats() {
        List<Integer> gold = labels(500, 1);
        List<Integer> pred = noisy(gold);
        for (Metric<Integer, Integer> m : List.of(ClassificationMetrics.ACCURACY, ClassificationMetrics.F1, ClassificationMetrics.MCC)) {
            Bootstrap.Interval a = Bootstrap.interval(m, pred, gold, 1000, 42);
            assertEquals(m.compute(pred, gold), a.value(), 1e-12);
            assertTrue(a.low() < a.value() && a.value() < a.high(), m.name() + ": " + a);
            assertEquals(1000, a.resamples());
            assertEquals(42, a.seed());
            assertEquals(0, a.undefined());
            assertEquals(a, Bootstrap.interval(m, pred, gold, 1000, 42), "same seed, same interval");
            assertNotEquals(a, Bootstrap.interval(m, pred, gold, 1000, 43));
        }
        Bootstrap.Interval acc = Bootstrap.interval(ClassificationMetrics.ACCURACY, pred, gold);
        assertEquals(0.8, acc.value(), 1e-12);
        // binomial standard error sqrt(.8*.2/500) ~ 0.018, so the 95% interval is about 0.8 +- 0.035
        assertTrue(acc.high() - acc.low() > 0.05 && acc.high() - acc.low() < 0.09, acc.toString());
    }

    @Test
    void correlationBootstrap() {
        SplittableRandom r = new SplittableRandom(7);
        List<Double> gold = new ArrayList<>();
        List<Double> pred = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            double g = r.nextDouble(0, 5);
            gold.add(g);
            pred.add(g + r.nextDouble(-1, 1));
        }
        Bootstrap.Interval p = Bootstrap.interval(CorrelationMetrics.SPEARMAN, pred, gold, 200, 3);
        assertTrue(p.low() < p.value() && p.value() < p.high(), p.toString());
    }

    @Test
    void allCorrectIsDegenerate() {
        List<Integer> gold = labels(50, 2);
        Bootstrap.Interval a = Bootstrap.interval(ClassificationMetrics.ACCURACY, gold, gold, 100, 0);
        assertEquals(1, a.value());
        assertEquals(1, a.low());
        assertEquals(1, a.high());
        RunResult.Metric m = a.toMetric(true);
        assertEquals(new RunResult.Metric(1, 1.0, 1.0, true), m);
    }

    @Test
    void undefinedResamplesAreCountedAndLeftOut() {
        // Pearson on two distinct points: a resample drawing the same point twice is constant (NaN)
        Bootstrap.Interval p = Bootstrap.interval(CorrelationMetrics.PEARSON, List.of(1.0, 2.0), List.of(1.0, 2.0), 100, 5);
        assertTrue(p.undefined() > 0 && p.undefined() < 100, p.toString());
        assertEquals(1, p.low(), 1e-12);
        assertEquals(1, p.high(), 1e-12);
    }

    @Test
    void percentileInterpolates() {
        // type 7: h = (n-1) q = 4 * 0.25 = 1 -> xs[1]; h = 4 * 0.1 = 0.4 -> 10 + 0.4 * 10 = 14
        double[] xs = {10, 20, 30, 40, 50};
        assertEquals(20, Bootstrap.percentile(xs, 0.25), 1e-12);
        assertEquals(14, Bootstrap.percentile(xs, 0.1), 1e-12);
    }
}
