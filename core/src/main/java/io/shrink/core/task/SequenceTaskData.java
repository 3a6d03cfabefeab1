package io.shrink.core.task;

import io.shrink.core.model.Encoder;
import io.shrink.core.tokenize.WordPieceTokenizer;
import io.shrink.core.train.Trainer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link SequenceTask}'s data for one run: its examples and, once a tokenizer is known, their features. */
public final class SequenceTaskData implements TaskData {
    private final SequenceTask task;
    private final SequenceData data;
    private final EncodedOnce<Map<String, List<Features.Feature>>> eval = new EncodedOnce<>();

    SequenceTaskData(SequenceTask task, SequenceData data) {
        this.task = task;
        this.data = data;
    }

    /** The examples, labels and metrics. */
    public SequenceData data() {
        return data;
    }

    @Override
    public SequenceTask task() {
        return task;
    }

    @Override
    public List<Path> files() {
        return data.files();
    }

    @Override
    public int trainSize() {
        return data.train().size();
    }

    @Override
    public int evalSize() {
        return data.evalSets().values().stream().mapToInt(List::size).sum();
    }

    @Override
    public String describeEvaluation(WordPieceTokenizer tok, FeatureOptions features) {
        return evalSize() + " examples";
    }

    /** The training split's features. */
    public List<Features.Feature> trainFeatures(WordPieceTokenizer tok, FeatureOptions features) {
        return Features.encode(tok, data.train(), features.maxLength(), features.headTail());
    }

    /** The evaluation sets' features by set key, made once per tokenizer and options. */
    public Map<String, List<Features.Feature>> evalFeatures(WordPieceTokenizer tok, FeatureOptions features) {
        return eval.get(tok, features, () -> {
            Map<String, List<Features.Feature>> out = new LinkedHashMap<>();
            data.evalSets().forEach((k, v) -> out.put(k, Features.encode(tok, v, features.maxLength(), features.headTail())));
            return out;
        });
    }

    @Override
    public Trainer.Task<?> training(WordPieceTokenizer tok, FeatureOptions features, int batchSize, long seed) {
        List<Features.Feature> train = trainFeatures(tok, features);
        return new SequenceTraining(data, train, evalFeatures(tok, features), batchSize, seed);
    }

    @Override
    @SuppressWarnings("unchecked")
    public TaskScores score(Encoder encoder, WordPieceTokenizer tok, FeatureOptions features, int bootstrap, long seed,
                            Object reuse) {
        Map<String, double[]> predictions = reuse instanceof Map<?, ?> m ? (Map<String, double[]>) m
                : SequenceEvaluator.predictAll(encoder, data, evalFeatures(tok, features));
        return SequenceEvaluator.score(data, predictions, bootstrap, seed);
    }
}
