package io.shrink.core.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PairedBootstrapTest {
    private static List<Integer> gold(int n) {
        SplittableRandom r = new SplittableRandom(3);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(r.nextInt(2));
        }
        return out;
    }

    /** The gold labels, flipped where {@code i % every == offset}. */
    private static List<Integer> flipped(List<Integer> gold, int every, int offset) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < gold.size(); i++) {
            out.add(i % every == offset ? 1 - gold.get(i) : gold.get(i));
        }
        return out;
    }

    @Test
    void identicalSystemsDifferByExactlyZero() {
        List<Integer> g = gold(200);
        List<Integer> p = flipped(g, 4, 1);
        PairedBootstrap.Comparison c = PairedBootstrap.compare(ClassificationMetrics.F1, p, p, g, 300, 5);
        assertEquals(c.a(), c.b());
        assertEquals(0.0, c.difference().value());
        assertEquals(0.0, c.difference().low());
        assertEquals(0.0, c.difference().high());
        assertEquals(0.0, c.aBetterShare(), "ties are not wins");
    }

    /**
     * Recomputes the comparison by hand: the same {@code SplittableRandom} draws, both systems scored on each
     * draw, the difference sorted and cut at 2.5% and 97.5% with linear interpolation. Drawing A and B with
     * different resamples would give other numbers.
     */
    @Test
    void bothSystemsAreScoredOnTheSameDrawOfExamples() {
        List<Integer> g = gold(150);
        List<Integer> a = flipped(g, 5, 0);
        List<Integer> b = flipped(g, 3, 1);
        int resamples = 400;
        long seed = 9;
        SplittableRandom random = new SplittableRandom(seed);
        double[] diff = new double[resamples];
        int aWins = 0;
        for (int r = 0; r < resamples; r++) {
            List<Integer> sa = new ArrayList<>();
            List<Integer> sb = new ArrayList<>();
            List<Integer> sg = new ArrayList<>();
            for (int i = 0; i < g.size(); i++) {
                int k = random.nextInt(g.size());
                sa.add(a.get(k));
                sb.add(b.get(k));
                sg.add(g.get(k));
            }
            diff[r] = ClassificationMetrics.MCC.compute(sa, sg) - ClassificationMetrics.MCC.compute(sb, sg);
            aWins += diff[r] > 0 ? 1 : 0;
        }
        Arrays.sort(diff);
        double h = (resamples - 1) * 0.025;
        double low = diff[(int) h] + (h - (int) h) * (diff[(int) h + 1] - diff[(int) h]);
        double hh = (resamples - 1) * 0.975;
        double high = diff[(int) hh] + (hh - (int) hh) * (diff[(int) hh + 1] - diff[(int) hh]);

        PairedBootstrap.Comparison c = PairedBootstrap.compare(ClassificationMetrics.MCC, a, b, g, resamples, seed);
        assertEquals(ClassificationMetrics.MCC.compute(a, g) - ClassificationMetrics.MCC.compute(b, g), c.difference().value(), 1e-12);
        assertEquals(low, c.difference().low(), 1e-12);
        assertEquals(high, c.difference().high(), 1e-12);
        assertEquals(aWins / (double) resamples, c.aBetterShare(), 1e-12);
        assertTrue(c.difference().value() > 0, "A errs on 1 in 5, B on 1 in 3");
    }

    /**
     * A and B agree on all but 6 of 600 examples, and A is right on those 6: separately their intervals overlap
     * almost entirely, yet every paired resample in which the two differ at all favours A.
     */
    @Test
    void aSmallConsistentGainIsSignificantWhenPairedThoughTheSeparateIntervalsOverlap() {
        List<Integer> g = gold(600);
        List<Integer> b = flipped(g, 5, 2);
        List<Integer> a = new ArrayList<>(b);
        int fixed = 0;
        for (int i = 0; i < a.size() && fixed < 6; i++) {
            if (!a.get(i).equals(g.get(i))) {
                a.set(i, g.get(i));
                fixed++;
            }
        }
        PairedBootstrap.Comparison c = PairedBootstrap.compare(ClassificationMetrics.ACCURACY, a, b, g, 1000, 1);
        assertEquals(6 / 600.0, c.difference().value(), 1e-12);
        assertTrue(c.difference().low() >= 0, "no resample can favour B: " + c.difference());
        assertTrue(c.aBetterShare() > 0.99, "only a resample that misses all 6 examples ties: " + c.aBetterShare());
        Bootstrap.Interval ia = Bootstrap.interval(ClassificationMetrics.ACCURACY, a, g, 1000, 1);
        Bootstrap.Interval ib = Bootstrap.interval(ClassificationMetrics.ACCURACY, b, g, 1000, 1);
        assertTrue(ia.low() < ib.high(), "the separate intervals overlap: " + ia + " " + ib);
    }

    @Test
    void forALowerIsBetterMetricTheLowerSystemWins() {
        Metric<Integer, Integer> errorRate =
                new NamedMetric<Integer, Integer>("error", false, (p, r) -> 1 - ClassificationMetrics.ACCURACY.compute(p, r));
        List<Integer> g = gold(300);
        PairedBootstrap.Comparison c = PairedBootstrap.compare(errorRate, g, flipped(g, 2, 0), g, 200, 4);
        assertEquals(-0.5, c.difference().value(), 0.02);
        assertTrue(c.difference().high() < 0, c.difference().toString());
        assertEquals(1.0, c.aBetterShare(), "A (no errors) has the lower error rate on every resample");
        assertTrue(!c.higherIsBetter());
    }

    @Test
    void withOneRunPerGroupTheGroupComparisonIsThePairedOne() {
        List<Integer> g = gold(250);
        List<Integer> a = flipped(g, 6, 0);
        List<Integer> b = flipped(g, 4, 3);
        PairedBootstrap.Comparison c = PairedBootstrap.compare(ClassificationMetrics.F1, a, b, g, 300, 7);
        PairedBootstrap.GroupComparison gc = PairedBootstrap.compareGroups(ClassificationMetrics.F1, List.of(a), List.of(b),
                g, 300, 7);
        assertEquals(c.difference(), gc.difference());
        assertEquals(c.difference(), gc.examplesOnly());
        assertEquals(c.aBetterShare(), gc.aBetterShare());
        assertEquals(c.a(), gc.a());
        assertEquals(List.of(c.b()), gc.bRuns());
    }

    /**
     * Two runs per group; recomputes both intervals by hand. Every round draws the examples once (the seed's
     * stream, as {@link Bootstrap#replicates} does) and the runs from the split stream, A's two then B's two;
     * the examples-only round keeps all four runs.
     */
    @Test
    void groupsAreResampledOverRunsAndExamples() {
        List<Integer> g = gold(120);
        List<List<Integer>> a = List.of(flipped(g, 5, 0), flipped(g, 7, 1));
        List<List<Integer>> b = List.of(flipped(g, 3, 1), flipped(g, 9, 2));
        int resamples = 200;
        long seed = 11;
        SplittableRandom examples = new SplittableRandom(seed);
        SplittableRandom runs = new SplittableRandom(seed).split();
        double[] two = new double[resamples];
        double[] only = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            int[] draw = new int[g.size()];
            for (int i = 0; i < draw.length; i++) {
                draw[i] = examples.nextInt(g.size());
            }
            double[] accA = {accuracy(a.get(0), g, draw), accuracy(a.get(1), g, draw)};
            double[] accB = {accuracy(b.get(0), g, draw), accuracy(b.get(1), g, draw)};
            only[r] = (accA[0] + accA[1]) / 2 - (accB[0] + accB[1]) / 2;
            double ta = accA[runs.nextInt(2)];
            ta += accA[runs.nextInt(2)];
            double tb = accB[runs.nextInt(2)];
            tb += accB[runs.nextInt(2)];
            two[r] = ta / 2 - tb / 2;
        }
        PairedBootstrap.GroupComparison c = PairedBootstrap.compareGroups(ClassificationMetrics.ACCURACY, a, b, g,
                resamples, seed);
        double va0 = ClassificationMetrics.ACCURACY.compute(a.get(0), g);
        double va1 = ClassificationMetrics.ACCURACY.compute(a.get(1), g);
        assertEquals(List.of(va0, va1), c.aRuns());
        assertEquals((va0 + va1) / 2 - c.b(), c.difference().value(), 1e-12);
        Bootstrap.Interval twoLevel = Bootstrap.interval(c.difference().value(), two, seed);
        Bootstrap.Interval examplesOnly = Bootstrap.interval(c.difference().value(), only, seed);
        assertEquals(twoLevel.low(), c.difference().low(), 1e-12);
        assertEquals(twoLevel.high(), c.difference().high(), 1e-12);
        assertEquals(examplesOnly.low(), c.examplesOnly().low(), 1e-12);
        assertEquals(examplesOnly.high(), c.examplesOnly().high(), 1e-12);
        assertTrue(c.difference().high() - c.difference().low() > c.examplesOnly().high() - c.examplesOnly().low(),
                "the spread between runs widens the interval: " + c.difference() + " " + c.examplesOnly());
    }

    /** Accuracy of {@code p} on the examples {@code draw} picks. */
    private static double accuracy(List<Integer> p, List<Integer> g, int[] draw) {
        int right = 0;
        for (int k : draw) {
            right += p.get(k).equals(g.get(k)) ? 1 : 0;
        }
        return right / (double) draw.length;
    }
}
