package io.shrink.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.shrink.core.data.Example;
import io.shrink.core.eval.Bootstrap;
import io.shrink.core.eval.Metric;
import io.shrink.core.eval.Metrics;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.model.Encoder;
import io.shrink.core.results.RunResult;
import io.shrink.core.train.PassProgress;
import io.shrink.core.train.Progress;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Scores a sequence classification or regression model on a task's evaluation sets with the task's
 * official metrics, optionally with 95% bootstrap intervals, and keeps every prediction so a run can be
 * re-scored or compared example by example.
 */
public final class SequenceEvaluator {
    /** Examples per evaluation batch. */
    static final int BATCH = 64;

    private SequenceEvaluator() {
    }

    /**
     * Per-example outputs: the predicted class index, or the predicted score for regression.
     *
     * @param features the examples' features, in example order
     */
    public static double[] predict(Encoder encoder, List<Features.Feature> features) {
        float[][] raw = outputs(encoder, features);
        boolean regression = encoder.head().type().equals("regression");
        double[] out = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            out[i] = regression ? raw[i][0] : argMax(raw[i]);
        }
        return out;
    }

    /**
     * The head's raw outputs per example on the fast inference path (FastEncoder hidden states, DJL head on
     * top): logits (labels) for classification, one score for regression.
     *
     * @param features the examples' features; row i of the result belongs to {@code features.get(i).example()}
     * @return (examples, outputs)
     */
    public static float[][] outputs(Encoder encoder, List<Features.Feature> features) {
        return outputs(encoder, features, Progress.NONE, "outputs");
    }

    /**
     * As {@link #outputs(Encoder, List)}, reporting the pass as the phase {@code phase} of {@code progress} (e.g.
     * {@code teacher}: a teacher's outputs on a whole training set take minutes).
     */
    public static float[][] outputs(Encoder encoder, List<Features.Feature> features, Progress progress, String phase) {
        float[][] out = new float[features.size()][];
        List<List<Features.Feature>> batches = Features.sortedBatches(features, BATCH);
        long[] tokens = batches.stream() // padded tokens per batch: sorted by length, the last cost the most
                .mapToLong(b -> (long) b.size() * Features.longest(b)).toArray();
        PassProgress pass = PassProgress.weighted(progress, phase, features.size(), tokens);
        NDManager base = encoder.parameters().values().iterator().next().getManager();
        try (NDManager fastManager = base.newSubManager();
             FastEncoder fast = FastEncoder.of(encoder, fastManager)) {
            for (List<Features.Feature> batch : batches) {
                try (NDManager m = base.newSubManager()) {
                    NDArray[] in = Features.arrays(batch, m);
                    NDArray hidden = fast.forward(in[0], in[1], in[2]); // (b, s, h)
                    NDArray logits = encoder.classify(hidden, false); // (b, labels) or (b, 1)
                    int width = (int) logits.getShape().get(1);
                    float[] values = logits.toFloatArray();
                    for (int i = 0; i < batch.size(); i++) {
                        out[batch.get(i).example()] = java.util.Arrays.copyOfRange(values, i * width, (i + 1) * width);
                    }
                }
                pass.batchDone(batch.size());
            }
        }
        return out;
    }

    /**
     * A metric of a data set's task over raw head outputs ({@link #outputs}) of {@code examples}, e.g. accuracy on
     * a held-out sample of the training split.
     *
     * @param outputs row i belongs to {@code examples.get(i)}
     */
    public static double metric(SequenceData data, String metric, List<Example> examples, float[][] outputs) {
        double[] pred = new double[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            pred[i] = data.regression() ? outputs[i][0] : argMax(outputs[i]);
        }
        return data.regression() ? Metrics.regression(metric).compute(boxed(pred), targets(examples))
                : Metrics.classification(metric).compute(ints(pred), labels(examples));
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Evaluates on every evaluation set.
     *
     * @param features  features of each evaluation set (same keys as {@link SequenceData#evalSets()})
     * @param bootstrap resamples for the 95% intervals (0 = none)
     * @param seed      bootstrap seed
     */
    public static TaskScores evaluate(Encoder encoder, SequenceData data, Map<String, List<Features.Feature>> features,
                                   int bootstrap, long seed) {
        return score(data, predictAll(encoder, data, features), bootstrap, seed);
    }

    /** Per-example outputs ({@link #predict}) on every evaluation set, by set key. */
    public static Map<String, double[]> predictAll(Encoder encoder, SequenceData data,
                                                   Map<String, List<Features.Feature>> features) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String set : data.evalSets().keySet()) {
            out.put(set, predict(encoder, features.get(set)));
        }
        return out;
    }

    /**
     * Scores per-example outputs already computed ({@link #predictAll}) with the task's metrics.
     *
     * @param predictions by set key, one value per example of the set
     */
    public static TaskScores score(SequenceData data, Map<String, double[]> predictions, int bootstrap, long seed) {
        Map<String, RunResult.Metric> metrics = new TreeMap<>();
        Map<String, double[]> replicates = new TreeMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<String, List<Example>> set : data.evalSets().entrySet()) {
            List<Example> examples = set.getValue();
            double[] pred = predictions.get(set.getKey());
            for (String name : data.metrics()) {
                String key = data.key(name, set.getKey());
                metrics.put(key, data.regression()
                        ? score(Metrics.regression(name), boxed(pred), targets(examples), bootstrap, seed, key, replicates)
                        : score(Metrics.classification(name), ints(pred), labels(examples), bootstrap, seed, key, replicates));
            }
            for (int i = 0; i < examples.size(); i++) {
                Example e = examples.get(i);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("set", set.getKey().isEmpty() ? "eval" : set.getKey());
                row.put("id", e.id());
                row.put("source", e.source());
                if (data.regression()) {
                    row.put("prediction", pred[i]);
                    row.put("gold", e.target());
                } else {
                    row.put("prediction", data.labels().get((int) pred[i]));
                    row.put("gold", e.label() >= 0 ? data.labels().get(e.label()) : null);
                }
                rows.add(row);
            }
        }
        Map<String, Double> values = new TreeMap<>();
        metrics.forEach((k, m) -> values.put(k, m.value()));
        double[] scoreReplicates = null;
        if (bootstrap > 0) {
            // every metric of a set was drawn with the same seed, so round b of each saw the same resample
            scoreReplicates = new double[bootstrap];
            for (int b = 0; b < bootstrap; b++) {
                Map<String, Double> round = new TreeMap<>();
                for (Map.Entry<String, double[]> r : replicates.entrySet()) {
                    round.put(r.getKey(), r.getValue()[b]);
                }
                scoreReplicates[b] = data.score(round);
            }
        }
        return new TaskScores(metrics, data.score(values), rows, scoreReplicates);
    }

    private static <P, R> RunResult.Metric score(Metric<P, R> metric, List<P> pred, List<R> gold, int bootstrap, long seed,
                                                 String key, Map<String, double[]> replicates) {
        if (bootstrap > 0) {
            double[] stats = Bootstrap.replicates(metric, pred, gold, bootstrap, seed);
            replicates.put(key, stats);
            return Bootstrap.interval(metric.compute(pred, gold), stats, seed).toMetric(metric.higherIsBetter());
        }
        return RunResult.Metric.of(metric.compute(pred, gold), metric.higherIsBetter());
    }

    private static List<Double> boxed(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double d : a) {
            l.add(d);
        }
        return l;
    }

    private static List<Integer> ints(double[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (double d : a) {
            l.add((int) d);
        }
        return l;
    }

    private static List<Double> targets(List<Example> examples) {
        return examples.stream().map(Example::target).toList();
    }

    private static List<Integer> labels(List<Example> examples) {
        return examples.stream().map(Example::label).toList();
    }
}
