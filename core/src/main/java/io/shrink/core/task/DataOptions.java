package io.shrink.core.task;

import java.nio.file.Path;

/**
 * Which data a run reads for a task.
 *
 * @param dir              the data directory given by the user (null: the task's environment variable)
 * @param maxTrainExamples a seeded sample of at most this many training examples (0 = all)
 * @param maxEvalExamples  a seeded sample of at most this many examples per evaluation set (0 = all)
 * @param trainArticles    extractive QA: dev-set articles to train on, e.g. {@code 0-39} (null: the training file)
 * @param evalArticles     extractive QA: dev-set articles to evaluate on, e.g. {@code 40-47} (null: all of dev)
 */
public record DataOptions(Path dir, int maxTrainExamples, int maxEvalExamples, String trainArticles,
                          String evalArticles) {
    /** All of the task's data in {@code dir}. */
    public static DataOptions all(Path dir) {
        return new DataOptions(dir, 0, 0, null, null);
    }
}
