package io.shrink.core.eval;

import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

import java.util.List;

/**
 * The regression metrics GLUE reports for STS-B, computed with Apache Commons Math as SciPy's {@code pearsonr} and
 * {@code spearmanr} compute them: Pearson's r of the scores, and Spearman's rho as Pearson's r of the ranks with
 * tied values given their average rank. {@code NaN} when undefined (fewer than two examples or a constant side).
 */
public final class CorrelationMetrics {
    private CorrelationMetrics() {
    }

    /** Pearson's correlation coefficient. */
    public static final Metric<Double, Double> PEARSON =
            new NamedMetric<Double, Double>("pearson", true, (p, r) -> correlation(p, r, false));
    /** Spearman's rank correlation coefficient, ties by average rank. */
    public static final Metric<Double, Double> SPEARMAN =
            new NamedMetric<Double, Double>("spearman", true, (p, r) -> correlation(p, r, true));

    private static double correlation(List<? extends Double> predictions, List<? extends Double> references,
                                      boolean ranks) {
        Metric.checkSameSize(predictions, references);
        if (predictions.size() < 2) {
            return Double.NaN;
        }
        double[] x = predictions.stream().mapToDouble(Double::doubleValue).toArray();
        double[] y = references.stream().mapToDouble(Double::doubleValue).toArray();
        if (ranks) {
            return new SpearmansCorrelation(new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE))
                    .correlation(x, y);
        }
        return new PearsonsCorrelation().correlation(x, y);
    }
}
