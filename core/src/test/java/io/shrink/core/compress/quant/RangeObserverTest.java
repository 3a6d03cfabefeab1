package io.shrink.core.compress.quant;

import io.shrink.core.ShrinkException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The static int8 range observers on histograms whose best ranges are known, and the tolerance's two forms. */
class RangeObserverTest {
    /** A histogram of {@code n} standard normal values plus {@code outliers} at 40, over 2048 bins. */
    private static Histogram gaussian(int n, int outliers) {
        Random r = new Random(3);
        double[] v = new double[n + outliers];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        for (int i = 0; i < outliers; i++) {
            v[n + i] = 40;
        }
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (double x : v) {
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        double[] counts = new double[2048];
        for (double x : v) {
            counts[Math.min(2047, (int) ((x - lo) / (hi - lo) * 2048))]++;
        }
        return new Histogram(lo, hi, counts);
    }

    @Test
    void minmaxKeepsEverything() {
        Histogram h = gaussian(100_000, 3);
        assertArrayEquals(new double[] {h.lo(), h.hi()}, RangeObserver.of("minmax", 99.99).range(h));
    }

    @Test
    void percentileCutsTheSharesItIsTold() {
        double[] counts = new double[1000];
        java.util.Arrays.fill(counts, 1);
        Histogram uniform = new Histogram(0, 10, counts);
        double[] r = RangeObserver.of("percentile", 99).range(uniform);
        assertEquals(0.1, r[0], 1e-9);
        assertEquals(9.9, r[1], 1e-9);
        Histogram h = gaussian(1_000_000, 3);
        double[] g = RangeObserver.of("percentile", 99.9).range(h);
        // the 0.1% and 99.9% points of a standard normal are -/+3.09
        assertEquals(-3.09, g[0], 0.05);
        assertEquals(3.09, g[1], 0.05);
    }

    @Test
    void mseAndEntropyClipFarOutliersButKeepTheBulk() {
        Histogram h = gaussian(200_000, 5);
        // mean squared error: 200,000 values each rounded with error scale^2 / 12 against 5 values clipped by d each:
        // the optimum clips the outliers by about 7.7 (d/dhi of 200000 (hi - lo)^2 / (12 * 127^2) = 2 * 5 * d)
        double[] mse = RangeObserver.of("mse", 99.99).range(h);
        assertEquals(32.3, mse[1], 1.5, "mse");
        assertTrue(mse[0] < -2.5, "mse clipped the bulk: " + mse[0]);
        // entropy: 5 values in 200,000 carry almost no probability mass, the bulk's resolution does
        double[] kl = RangeObserver.of("entropy", 99.99).range(h);
        assertTrue(kl[1] < 20, "entropy kept the outliers at 40: " + kl[1]);
        assertTrue(kl[1] > 2.5 && kl[0] < -2.5, "entropy clipped the bulk of a standard normal: [" + kl[0] + ", " + kl[1] + "]");
    }

    @Test
    void mseKeepsTheWholeRangeOfAUniformDistribution() {
        double[] counts = new double[2048];
        java.util.Arrays.fill(counts, 10);
        double[] r = RangeObserver.of("mse", 99.99).range(new Histogram(-1, 3, counts));
        assertEquals(-1, r[0], 0.02);
        assertEquals(3, r[1], 0.02);
    }

    @Test
    void badNamesAndPercentilesAreUsageErrors() {
        ShrinkException e = assertThrows(ShrinkException.class, () -> RangeObserver.of("kl", 99.99));
        assertTrue(e.getMessage().contains("minmax, percentile, mse, entropy"), e.getMessage());
        assertThrows(ShrinkException.class, () -> RangeObserver.of("percentile", 40));
    }

    @Test
    void toleranceIsAShareOrPoints() {
        assertEquals(0.9108, StaticQuantCompressor.Tolerance.parse("1%").floor(0.92), 1e-12);
        assertEquals(0.915, StaticQuantCompressor.Tolerance.parse("0.5").floor(0.92), 1e-12);
        assertEquals(0.92, StaticQuantCompressor.Tolerance.parse("0").floor(0.92), 1e-12);
        for (String bad : new String[] {"-1", "abc", "%", "1%%", "Infinity"}) {
            assertThrows(ShrinkException.class, () -> StaticQuantCompressor.Tolerance.parse(bad), bad);
        }
    }
}
