package io.shrink.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.shrink.core.data.Example;
import io.shrink.core.model.Encoder;
import io.shrink.core.train.Losses;
import io.shrink.core.train.Trainer;

import java.util.List;
import java.util.Map;

/** Fine-tuning on a sequence task: cross-entropy for classification, mean squared error for regression. */
public final class SequenceTraining extends BucketedTraining<Features.Feature> {
    private final SequenceData data;
    private final Map<String, List<Features.Feature>> eval;

    SequenceTraining(SequenceData data, List<Features.Feature> train, Map<String, List<Features.Feature>> eval,
                     int batchSize, long seed) {
        super(train, f -> f.ids().length, batchSize, seed);
        this.data = data;
        this.eval = eval;
    }

    @Override
    public NDArray loss(Encoder encoder, List<Features.Feature> batch, NDManager step) {
        NDArray[] in = Features.arrays(batch, step);
        NDArray hidden = encoder.forward(in[0], in[1], in[2], true, false).lastHidden(); // (b, s, h)
        NDArray out = encoder.classify(hidden, true); // (b, labels) or (b, 1)
        return goldLoss(data, out, batch, step);
    }

    /**
     * The loss against the gold labels of a batch of training features: cross-entropy of the class outputs, or
     * the mean squared error of the scores for regression.
     *
     * @param out the head's outputs, (b, labels) or (b, 1)
     */
    public static NDArray goldLoss(SequenceData data, NDArray out, List<Features.Feature> batch, NDManager step) {
        List<Example> examples = data.train();
        int b = batch.size();
        if (data.regression()) {
            float[] targets = new float[b];
            for (int i = 0; i < b; i++) {
                targets[i] = (float) examples.get(batch.get(i).example()).target();
            }
            return Losses.meanSquaredError(out, step.create(targets, new Shape(b)));
        }
        long[] labels = new long[b];
        for (int i = 0; i < b; i++) {
            labels[i] = examples.get(batch.get(i).example()).label();
        }
        return Losses.crossEntropy(out, step.create(labels));
    }

    @Override
    public Trainer.Evaluation evaluate(Encoder encoder) {
        Map<String, double[]> predictions = SequenceEvaluator.predictAll(encoder, data, eval);
        TaskScores o = SequenceEvaluator.score(data, predictions, 0, 0);
        Map<String, Double> metrics = new java.util.TreeMap<>(o.values());
        metrics.put("score", o.score());
        return new Trainer.Evaluation(o.score(), true, metrics, predictions);
    }
}
