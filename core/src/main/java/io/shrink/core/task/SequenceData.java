package io.shrink.core.task;

import io.shrink.core.data.Example;
import io.shrink.core.data.GlueTask;
import io.shrink.core.eval.GlueScore;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A text classification or regression task ready for fine-tuning and evaluation: a GLUE task or IMDb,
 * its training examples, its evaluation sets (MNLI has two), the metrics it is scored with, and the files
 * read (for provenance).
 *
 * @param name       task name ({@code sst2}, ..., {@code imdb})
 * @param labels     class names in label order; a single name for regression
 * @param regression whether the task is regression (STS-B)
 * @param train      training examples
 * @param evalSets   evaluation examples by result-key suffix ("" for one set; "matched"/"mismatched" for MNLI)
 * @param metrics    metric names, as {@link io.shrink.core.eval.Metrics} knows them
 * @param files      data files read (directories of the IMDb tree layout stand for every file below them)
 * @param glue       the GLUE task, or null for IMDb
 */
public record SequenceData(String name, List<String> labels, boolean regression, List<Example> train,
                           Map<String, List<Example>> evalSets, List<String> metrics, List<Path> files,
                           GlueTask glue) {

    /** The same task with at most {@code maxTrain} training and {@code maxEval} examples per evaluation set, a seeded sample (0 = all; order kept). */
    public SequenceData sample(int maxTrain, int maxEval, long seed) {
        Map<String, List<Example>> eval = new LinkedHashMap<>();
        evalSets.forEach((k, v) -> eval.put(k, Sampling.take(v, maxEval, seed)));
        return new SequenceData(name, labels, regression, Sampling.take(train, maxTrain, seed), eval, metrics, files, glue);
    }

    /** The result key of a metric on an evaluation set, e.g. {@code accuracy_matched}. */
    public String key(String metric, String suffix) {
        return suffix.isEmpty() ? metric : metric + "_" + suffix;
    }

    /** The single number best-checkpoint selection and the GLUE macro score use. */
    public double score(Map<String, Double> metricValues) {
        if (glue != null) {
            return GlueScore.taskScore(glue, metricValues);
        }
        return metricValues.get("accuracy");
    }
}
