package io.shrink.core.task;

import io.shrink.core.model.Encoder;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.train.Trainer;

import java.nio.file.Path;
import java.util.List;

/**
 * A task's data as read for one run: what a training loop trains on and how a model is scored on the
 * evaluation sets. Features are made once per tokenizer: {@link #training} encodes the evaluation sets too,
 * and a later {@link #score} with the same tokenizer reuses them.
 */
public interface TaskData {
    /** The task this data belongs to. */
    Task task();

    /** The data files read, for provenance. */
    List<Path> files();

    /** The number of training examples (0 when the training split was not read). */
    int trainSize();

    /** The number of evaluation examples, over every evaluation set. */
    int evalSize();

    /** A short description of what is scored, e.g. {@code 872 examples} or {@code 120 SQuAD questions (130 windows)}. */
    String describeEvaluation(WordPieceTokenizer tok, FeatureOptions features);

    /** The training loop's view of the task: batches, loss and the periodic evaluation. */
    Trainer.Task<?> training(WordPieceTokenizer tok, FeatureOptions features, int batchSize, long seed);

    /**
     * Scores {@code encoder} on the evaluation sets with 95% bootstrap intervals ({@code bootstrap} resamples,
     * 0 = none). {@code reuse} holds the outputs of the training loop's last evaluation of these very weights
     * when it ran in this process ({@link Trainer.Outcome#bestOutputs()}), else null.
     */
    TaskScores score(Encoder encoder, WordPieceTokenizer tok, FeatureOptions features, int bootstrap, long seed,
                     Object reuse);
}
