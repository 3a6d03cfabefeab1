package io.shrink.core.finetune;

import io.shrink.core.data.DataDirs;
import io.shrink.core.data.Example;
import io.shrink.core.data.GlueReader;
import io.shrink.core.data.GlueTask;
import io.shrink.core.data.ImdbReader;
import io.shrink.core.eval.GlueScore;

import java.nio.file.Path;
import java.util.ArrayList;
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

    /** Names of the non-GLUE sequence tasks. */
    public static final String IMDB = "imdb";

    /** Whether {@code task} names a sequence task (a GLUE task or IMDb). */
    public static boolean isSequenceTask(String task) {
        return task.equalsIgnoreCase(IMDB) || GlueTask.find(task).isPresent();
    }

    /**
     * Loads a task. {@code dataDir} is the option value (null: the environment variable, see {@link DataDirs});
     * {@code withTrain} false skips reading the training split (evaluation only).
     */
    public static SequenceData load(String task, Path dataDir, boolean withTrain) {
        if (task.equalsIgnoreCase(IMDB)) {
            Path dir = DataDirs.resolve(DataDirs.Kind.IMDB, dataDir);
            List<Example> train = withTrain ? ImdbReader.read(dir, "train") : List.of();
            Map<String, List<Example>> eval = new LinkedHashMap<>();
            eval.put("", ImdbReader.read(dir, "test"));
            List<Path> files = new ArrayList<>();
            if (withTrain) {
                files.addAll(ImdbReader.sources(dir, "train"));
            }
            files.addAll(ImdbReader.sources(dir, "test"));
            return new SequenceData(IMDB, ImdbReader.LABELS, false, train, eval, List.of("accuracy"), files, null);
        }
        GlueTask glue = GlueTask.of(task);
        Path dir = DataDirs.resolve(DataDirs.Kind.GLUE, dataDir);
        List<Example> train = withTrain ? GlueReader.read(dir, glue, "train") : List.of();
        Map<String, List<Example>> eval = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        if (withTrain) {
            files.add(dir.resolve(glue.dirName()).resolve(glue.split("train").fileName()));
        }
        for (GlueTask.Split s : glue.evalSplits()) {
            String suffix = glue.evalSplits().size() > 1 ? s.name().replaceFirst("^dev_", "") : "";
            eval.put(suffix, GlueReader.read(dir, glue, s.name()));
            files.add(dir.resolve(glue.dirName()).resolve(s.fileName()));
        }
        List<String> labels = glue.regression() ? List.of("score") : glue.labels();
        return new SequenceData(glue.name(), labels, glue.regression(), train, eval, glue.metrics(), files, glue);
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
