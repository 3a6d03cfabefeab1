package io.shrink.core.finetune;

import java.nio.file.Path;

/**
 * Everything {@code evaluate} was asked to do.
 *
 * @param model       registry id of the model (for {@code glue}: the model whose fine-tuned children are evaluated)
 * @param task        a GLUE task, {@code glue} (every GLUE task in the directory), or {@code imdb}
 * @param dataDir     data directory option (null: the task's environment variable)
 * @param maxExamples evaluate on at most this many examples per set, a seeded sample (0 = all)
 * @param maxLength   longest input in tokens (0 = what the model was fine-tuned with, else 128)
 * @param bootstrap   resamples for the 95% intervals (0 = none)
 * @param seed        seed of the sample and the bootstrap
 * @param evalArticles SQuAD: the dev-set articles to evaluate on, e.g. {@code 40-47} (null: all)
 * @param outDir      where result.json and predictions.jsonl go (null: a new run directory)
 */
public record EvaluateRequest(String model, String task, Path dataDir, int maxExamples, int maxLength, int bootstrap,
                              long seed, String evalArticles, Path outDir) {
}
