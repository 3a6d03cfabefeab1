package io.shrink.core.task;

import io.shrink.core.model.Encoder;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.train.Trainer;

import java.nio.file.Path;
import java.util.List;

/** An extractive-QA task's data for one run: questions and, once a tokenizer is known, their context windows. */
public final class QaTaskData implements TaskData {
    private final Task task;
    private final SquadSplit split;
    private final String evalArticles;
    private final EncodedOnce<List<SquadFeatures.Window>> evalWindows = new EncodedOnce<>();

    QaTaskData(Task task, SquadSplit split, String evalArticles) {
        this.task = task;
        this.split = split;
        this.evalArticles = evalArticles;
    }

    /** The training and evaluation questions. */
    public SquadSplit split() {
        return split;
    }

    /** The dev-set articles evaluated on, or null for all of dev. */
    public String evalArticles() {
        return evalArticles;
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public List<Path> files() {
        return split.files();
    }

    @Override
    public int trainSize() {
        return split.train().size();
    }

    @Override
    public int evalSize() {
        return split.eval().size();
    }

    @Override
    public String describeEvaluation(WordPieceTokenizer tok, FeatureOptions features) {
        return evalSize() + " SQuAD questions (" + evalWindows(tok, features).size() + " windows)";
    }

    /** The training questions' windows, each with its answer span. */
    public List<SquadFeatures.Window> trainWindows(WordPieceTokenizer tok, FeatureOptions f) {
        return SquadFeatures.encode(tok, split.train(), f.maxLength(), f.docStride(), f.maxQueryLength(), true);
    }

    /** The evaluation questions' windows, made once per tokenizer and options. */
    public List<SquadFeatures.Window> evalWindows(WordPieceTokenizer tok, FeatureOptions f) {
        return evalWindows.get(tok, f, () ->
                SquadFeatures.encode(tok, split.eval(), f.maxLength(), f.docStride(), f.maxQueryLength(), false));
    }

    @Override
    public Trainer.Task<?> training(WordPieceTokenizer tok, FeatureOptions features, int batchSize, long seed) {
        List<SquadFeatures.Window> train = trainWindows(tok, features);
        return new SquadTraining(train, split.eval(), evalWindows(tok, features), batchSize, seed);
    }

    @Override
    public TaskScores score(Encoder encoder, WordPieceTokenizer tok, FeatureOptions features, int bootstrap, long seed,
                            Object reuse) {
        SquadTraining.Outcome o = SquadTraining.evaluate(encoder, split.eval(), evalWindows(tok, features), bootstrap, seed);
        return new TaskScores(o.metrics(), o.metrics().get("f1").value(), o.predictions());
    }
}
