package io.shrink.core.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Percentiles as numpy's default 'linear' method computes them, on small samples worked by hand. */
class LatencyStatsTest {
    static final double EPS = 1e-12;

    @Test
    void percentilesInterpolateLinearlyBetweenClosestRanks() {
        // sorted [15, 20, 35, 40, 50], rank h = (n - 1) q / 100 = 4q/100
        LatencyStats s = LatencyStats.of(new double[] {50, 15, 40, 20, 35});
        assertEquals(35, s.p50(), EPS); // h = 2
        assertEquals(46, s.p90(), EPS); // h = 3.6: 40 + 0.6 * 10
        assertEquals(48, s.p95(), EPS); // h = 3.8: 40 + 0.8 * 10
        assertEquals(49.6, s.p99(), EPS); // h = 3.96: 40 + 0.96 * 10
        assertEquals(20, LatencyStats.percentile(new double[] {15, 20, 35, 40, 50}, 25), EPS); // h = 1
        assertEquals(15, s.min(), EPS);
        assertEquals(50, s.max(), EPS);
        assertEquals(32, s.mean(), EPS);
        // population stdev (ddof 0): deviations -17 -12 3 8 18, squares sum 830, / 5 = 166
        assertEquals(Math.sqrt(166), s.stdev(), EPS);
        assertEquals(5, s.count());
    }

    @Test
    void evenSamplesAndSingletons() {
        // [1, 2, 3, 4]: median h = 1.5 -> 2.5; p90 h = 2.7 -> 3.7; p99 h = 2.97 -> 3.97 (numpy agrees)
        LatencyStats s = LatencyStats.of(new double[] {4, 3, 2, 1});
        assertEquals(2.5, s.p50(), EPS);
        assertEquals(3.7, s.p90(), EPS);
        assertEquals(3.97, s.p99(), EPS);
        assertEquals(Math.sqrt(1.25), s.stdev(), EPS);
        LatencyStats one = LatencyStats.of(new double[] {7});
        assertEquals(7, one.p99(), EPS);
        assertEquals(0, one.stdev(), EPS);
        assertEquals(7000, one.scaled(1000).p50(), EPS);
        assertThrows(IllegalArgumentException.class, () -> LatencyStats.of(new double[0]));
    }

    @Test
    void spreadOfRatios() {
        BenchmarkReport.Spread s = BenchmarkReport.Spread.of(new double[] {2.0, 1.8, 2.2, 1.9});
        assertEquals(1.95, s.median(), EPS);
        assertEquals(1.875, s.q1(), EPS); // h = 0.75: 1.8 + 0.75 * 0.1
        assertEquals(2.05, s.q3(), EPS); // h = 2.25: 2.0 + 0.25 * 0.2
        assertEquals(1.8, s.min(), EPS);
        assertEquals(2.2, s.max(), EPS);
        assertEquals(4, s.rounds());
    }
}
