package io.shrink.core.task;

import io.shrink.core.results.RunResult;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's scores on a task's evaluation data.
 *
 * @param metrics         metric values (with intervals when bootstrapped) by result key
 * @param score           the task score: the single number best-checkpoint selection and macro scores use
 * @param predictions     one row per example, as written to {@code predictions.jsonl} ({@link Predictions})
 * @param scoreReplicates the task score on each bootstrap resample, in draw order (null without bootstrap):
 *                        what a bootstrap interval of a score combining several tasks (the GLUE macro) is built from
 */
public record TaskScores(Map<String, RunResult.Metric> metrics, double score, List<Map<String, Object>> predictions,
                         double[] scoreReplicates) {
    /** Scores without bootstrap replicates of the task score. */
    public TaskScores(Map<String, RunResult.Metric> metrics, double score, List<Map<String, Object>> predictions) {
        this(metrics, score, predictions, null);
    }

    /** The point values only, by result key. */
    public Map<String, Double> values() {
        Map<String, Double> v = new TreeMap<>();
        metrics.forEach((k, m) -> v.put(k, m.value()));
        return v;
    }
}
