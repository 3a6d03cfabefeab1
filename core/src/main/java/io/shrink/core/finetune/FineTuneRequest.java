package io.shrink.core.finetune;

import io.shrink.core.train.TrainOptions;

import java.nio.file.Path;

/**
 * Everything {@code fine-tune} was asked to do.
 *
 * @param model            registry id of the model to start from
 * @param task             task name: a GLUE task, {@code imdb} or {@code squad}
 * @param dataDir          data directory option (null: the task's environment variable)
 * @param outputId         registry id of the fine-tuned model (null: {@code <model>-<task>})
 * @param train            optimisation settings
 * @param maxLength        longest input in tokens (0: the task's default, 128; SQuAD 384; IMDb 256)
 * @param headTail         for long single texts keep head and tail instead of the head only
 * @param maxTrainExamples use at most this many training examples, a seeded sample (0 = all)
 * @param maxEvalExamples  evaluate on at most this many examples per set, a seeded sample (0 = all)
 * @param bootstrap        resamples for the final 95% intervals (0 = none)
 * @param runDir           where checkpoints, result and predictions go (null: a new run directory)
 * @param resume           continue the interrupted run in {@code runDir}
 * @param force            replace an existing registry model with the output id
 * @param docStride        SQuAD: tokens shared by consecutive context windows
 * @param maxQueryLength   SQuAD: longest question in tokens
 * @param trainArticles    SQuAD: dev-set articles to train on, e.g. {@code 0-39} (null: train-v1.1.json)
 * @param evalArticles     SQuAD: dev-set articles to evaluate on, e.g. {@code 40-47} (null: all of dev)
 * @param stopAfter        take at most this many optimizer steps in this process, then pause with a checkpoint (0 = run to the end)
 */
public record FineTuneRequest(String model, String task, Path dataDir, String outputId, TrainOptions train,
                              int maxLength, boolean headTail, int maxTrainExamples, int maxEvalExamples,
                              int bootstrap, Path runDir, boolean resume, boolean force,
                              int docStride, int maxQueryLength, String trainArticles, String evalArticles,
                              int stopAfter) {
}
