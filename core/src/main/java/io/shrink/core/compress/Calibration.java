package io.shrink.core.compress;

import io.shrink.core.task.Features;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Task data a data-driven compression method calibrates on (static int8's activation ranges) and scores candidates
 * against (its accuracy-aware fallback), drawn from a task's training split, never from the split that is reported.
 *
 * @param task    the task's name
 * @param metric  the metric {@code score} computes (higher is better), e.g. {@code accuracy}
 * @param ranges  the examples the ranges are observed on
 * @param heldOut other examples of the same split, that candidates are scored on
 * @param score   the metric of a model's head outputs on {@code heldOut} (row i belongs to {@code heldOut.get(i)}),
 *                as a fraction (accuracy 0.92) or a correlation
 */
public record Calibration(String task, String metric, List<Features.Feature> ranges, List<Features.Feature> heldOut,
                          ToDoubleFunction<float[][]> score) {
}
