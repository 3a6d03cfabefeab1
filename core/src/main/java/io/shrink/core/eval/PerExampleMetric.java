package io.shrink.core.eval;

import java.util.List;

/**
 * A metric that is the mean of a score per example (accuracy, SQuAD exact match and F1), so that per-example
 * scores can be stored and a run re-scored or bootstrapped without the model.
 *
 * @param <P> the type of one prediction
 * @param <R> the type of one reference
 */
public interface PerExampleMetric<P, R> extends Metric<P, R> {
    /** The score of each example, on the same scale as {@link #compute}. */
    double[] perExample(List<? extends P> predictions, List<? extends R> references);

    /** The mean of {@link #perExample}; {@code NaN} for no examples. */
    @Override
    default double compute(List<? extends P> predictions, List<? extends R> references) {
        double[] scores = perExample(predictions, references);
        double sum = 0;
        for (double s : scores) {
            sum += s;
        }
        return scores.length == 0 ? Double.NaN : sum / scores.length;
    }
}
