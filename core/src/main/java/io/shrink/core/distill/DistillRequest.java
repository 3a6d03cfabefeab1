package io.shrink.core.distill;

import io.shrink.core.compress.layers.StudentInit;
import io.shrink.core.task.DataOptions;
import io.shrink.core.task.FeatureOptions;
import io.shrink.core.train.RunOptions;
import io.shrink.core.train.TrainOptions;

import java.nio.file.Path;

/**
 * Everything {@code distill} was asked to do.
 *
 * @param teacher  registry id of the teacher (general: with an MLM head; task: fine-tuned on the task)
 * @param student  the student: an existing model or one made from teacher layers
 * @param task     a task name for task distillation ({@link io.shrink.core.task.Tasks}); null or {@code general}
 *                 for general distillation on a corpus
 * @param corpus   general distillation: the raw text
 * @param data     task distillation: which data to read
 * @param features how examples become inputs (length 0: the task's default, 128 for general, at most the teacher's
 *                 positions)
 * @param weights  loss weights and temperature
 * @param train    optimisation settings
 * @param run      run directory, resume, pause and bootstrap settings
 * @param outputId registry id of the student (null: {@code <teacher>-student})
 * @param force    replace an existing registry model with the output id
 * @param cacheDir teacher-output cache (null: {@code <registry home>/cache/teacher})
 */
public record DistillRequest(String teacher, Student student, String task, Corpus corpus, DataOptions data,
                             FeatureOptions features, LossWeights weights, TrainOptions train, RunOptions run,
                             String outputId, boolean force, Path cacheDir) {

    /**
     * The student to train.
     *
     * @param from           registry id of an existing student, or null to create one from the teacher
     * @param layers         teacher layers a new student copies ({@link io.shrink.core.compress.LayerSelection}; null:
     *                       0,2,4,7,9,11 for a 12-layer teacher, else every other layer)
     * @param dropTokenTypes the new student has no token-type embeddings (DistilBERT style)
     * @param hidden         hidden size of a narrower new student (0: the teacher's)
     * @param heads          attention heads of a narrower new student (0: hidden / head size)
     * @param ffn            FFN width of a narrower new student (0: the teacher's ratio)
     * @param init           how a narrower student's weights start
     */
    public record Student(String from, String layers, boolean dropTokenTypes, int hidden, int heads, int ffn,
                          StudentInit.Init init) {
        /** Whether any option describes a new student's shape. */
        boolean describesShape() {
            return layers != null || hidden > 0 || heads > 0 || ffn > 0;
        }
    }

    /**
     * Raw text for general distillation.
     *
     * @param file         a text file (one document per line), JSON Lines with {@code text}, or a folder of .txt files
     * @param maxDocuments read at most this many documents (0 = all)
     * @param evalChunks   chunks held out for evaluation (0: min(256, 5%))
     */
    public record Corpus(Path file, int maxDocuments, int evalChunks) {
    }

    /** Whether this is general (masked-LM, raw text) distillation. */
    public boolean general() {
        return task == null || task.equalsIgnoreCase("general");
    }
}
