package io.shrink.core.task;

import com.fasterxml.jackson.databind.JsonNode;
import io.shrink.core.eval.Metric;

import java.util.function.Function;

/**
 * One of a task's metrics together with the functions that read a prediction and its reference back from a
 * row of {@code predictions.jsonl}: what a paired comparison of two runs needs.
 *
 * @param key        the metric's result key, e.g. {@code accuracy}
 * @param metric     the metric
 * @param prediction reads a row's {@code prediction} field
 * @param reference  reads a row's {@code gold} field
 * @param <P>        the prediction type
 * @param <R>        the reference type
 */
public record PredictionMetric<P, R>(String key, Metric<P, R> metric, Function<JsonNode, P> prediction,
                                     Function<JsonNode, R> reference) {
}
