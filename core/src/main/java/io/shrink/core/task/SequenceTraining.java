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
final class SequenceTraining implements Trainer.Task<List<Features.Feature>> {
    private final SequenceData data;
    private final List<Features.Feature> train;
    private final Map<String, List<Features.Feature>> eval;
    private final int batchSize;
    private final long seed;

    SequenceTraining(SequenceData data, List<Features.Feature> train, Map<String, List<Features.Feature>> eval,
                         int batchSize, long seed) {
        this.data = data;
        this.train = train;
        this.eval = eval;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    @Override
    public List<List<Features.Feature>> batches(int epoch) {
        return Features.bucketedBatches(train, batchSize, seed, epoch);
    }

    @Override
    public int size(List<Features.Feature> batch) {
        return batch.size();
    }

    @Override
    public NDArray loss(Encoder encoder, List<Features.Feature> batch, NDManager step) {
        NDArray[] in = Features.arrays(batch, step);
        NDArray hidden = encoder.forward(in[0], in[1], in[2], true, false).lastHidden(); // (b, s, h)
        NDArray out = encoder.classify(hidden, true); // (b, labels) or (b, 1)
        List<Example> examples = data.train();
        if (data.regression()) {
            float[] targets = new float[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                targets[i] = (float) examples.get(batch.get(i).example()).target();
            }
            return Losses.meanSquaredError(out, step.create(targets, new Shape(batch.size())));
        }
        long[] labels = new long[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
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
