package io.shrink.core.distill;

import io.shrink.core.train.TrainOptions;

import java.nio.file.Path;

/**
 * Everything {@code distill} was asked to do.
 *
 * @param teacher          registry id of the teacher (general: with an MLM head; task: fine-tuned on the task)
 * @param student          registry id of an existing student to train, or null to create one from the teacher
 * @param layers           teacher layers the new student copies ({@link LayerSelection}; null: 0,2,4,7,9,11 for a
 *                         12-layer teacher, else every other layer)
 * @param dropTokenTypes   the new student has no token-type embeddings (DistilBERT style)
 * @param hidden           hidden size of a narrower new student (0: the teacher's)
 * @param heads            attention heads of a narrower new student (0: hidden / head size)
 * @param ffn              FFN width of a narrower new student (0: the teacher's ratio)
 * @param init             how a narrower student's weights start
 * @param task             a GLUE task, {@code imdb} or {@code squad} for task distillation; null for general distillation
 * @param dataDir          task data directory option (null: the task's environment variable)
 * @param corpus           general distillation: a text file (one document per line), JSON Lines with {@code text}, or a folder of .txt files
 * @param maxDocuments     general distillation: read at most this many documents (0 = all)
 * @param evalChunks       general distillation: corpus chunks held out for evaluation (0: min(256, 5%))
 * @param outputId         registry id of the student (null: {@code <teacher>-student})
 * @param train            optimisation settings
 * @param weights          loss weights and temperature
 * @param maxLength        longest input in tokens (0: 128, IMDb 256, SQuAD 384, at most the teacher's positions)
 * @param headTail         IMDb: keep head and tail of long reviews
 * @param maxTrainExamples task distillation: a seeded sample of at most this many training examples (0 = all)
 * @param maxEvalExamples  task distillation: evaluate on at most this many examples per set (0 = all)
 * @param bootstrap        resamples for the final 95% intervals (0 = none)
 * @param runDir           run directory (null: a new one under results/runs)
 * @param resume           continue the interrupted run in {@code runDir}
 * @param force            replace an existing registry model with the output id
 * @param cacheDir         teacher-output cache (null: {@code <registry home>/cache/teacher})
 * @param stopAfter        take at most this many optimizer steps now, then pause with a checkpoint (0 = run to the end)
 * @param docStride        SQuAD: tokens shared by consecutive context windows
 * @param maxQueryLength   SQuAD: longest question in tokens
 * @param trainArticles    SQuAD: dev-set articles to train on, e.g. {@code 0-39} (null: train-v1.1.json)
 * @param evalArticles     SQuAD: dev-set articles to evaluate on (null: all of dev)
 */
public record DistillRequest(String teacher, String student, String layers, boolean dropTokenTypes, int hidden, int heads,
                             int ffn, StudentInit.Init init, String task, Path dataDir, Path corpus, int maxDocuments,
                             int evalChunks, String outputId, TrainOptions train, LossWeights weights, int maxLength,
                             boolean headTail, int maxTrainExamples, int maxEvalExamples, int bootstrap, Path runDir,
                             boolean resume, boolean force, Path cacheDir, int stopAfter, int docStride,
                             int maxQueryLength, String trainArticles, String evalArticles) {

    /** Whether this is general (masked-LM, raw text) distillation. */
    public boolean general() {
        return task == null || task.equalsIgnoreCase("general");
    }

    /** Whether this is SQuAD distillation. */
    public boolean squad() {
        return "squad".equalsIgnoreCase(task);
    }
}
