package io.shrink.core.eval;

import java.util.List;

/**
 * An evaluation metric computed from predictions and references (gold labels) of the same length. Every metric
 * knows whether higher is better, so results, gates and leaderboards can compare runs without a table of
 * exceptions. The registry of named metrics is {@link Metrics}.
 *
 * @param <P> the type of one prediction (a class index, a score, an answer text)
 * @param <R> the type of one reference (a class index, a score, the list of gold answers)
 */
public interface Metric<P, R> {
    /** The registry name, e.g. {@code mcc}. */
    String name();

    /** Whether larger values are better. */
    boolean higherIsBetter();

    /** The metric over all examples; {@code NaN} where it is undefined (e.g. Pearson of a constant). */
    double compute(List<? extends P> predictions, List<? extends R> references);

    /** Throws when the two lists differ in length. */
    static void checkSameSize(List<?> predictions, List<?> references) {
        if (predictions.size() != references.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions but " + references.size() + " references");
        }
    }
}
