package io.shrink.core.task;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.shrink.core.data.SquadDataset;
import io.shrink.core.eval.Bootstrap;
import io.shrink.core.eval.SquadMetrics;
import io.shrink.core.infer.FastEncoder;
import io.shrink.core.model.Encoder;
import io.shrink.core.results.RunResult;
import io.shrink.core.train.Losses;
import io.shrink.core.train.Trainer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * SQuAD v1.1 fine-tuning and evaluation: cross-entropy on the answer's start and end positions, and
 * n-best span decoding (the 20 best starts and ends per window, spans of at most 30 tokens inside the
 * context, the best over all windows of a question), scored with the official EM and F1.
 */
public final class SquadTraining extends BucketedTraining<SquadFeatures.Window> {
    static final int N_BEST = 20;
    static final int MAX_ANSWER_TOKENS = 30;
    static final int EVAL_BATCH = 16;

    private final List<SquadDataset.Question> evalQuestions;
    private final List<SquadFeatures.Window> eval;

    /** A training task over windows with answers; evaluation on {@code eval}'s questions. */
    public SquadTraining(List<SquadFeatures.Window> train, List<SquadDataset.Question> evalQuestions,
              List<SquadFeatures.Window> eval, int batchSize, long seed) {
        super(train, w -> w.ids().length, batchSize, seed);
        this.evalQuestions = evalQuestions;
        this.eval = eval;
    }

    @Override
    public NDArray loss(Encoder encoder, List<SquadFeatures.Window> batch, NDManager step) {
        NDArray[] in = SquadFeatures.arrays(batch, step);
        NDList logits = encoder.qaLogits(encoder.forward(in[0], in[1], in[2], true, false).lastHidden()); // 2 x (b, s)
        return spanLoss(logits, batch, step);
    }

    /**
     * The mean of the cross-entropies of the gold start and end positions of a batch of windows.
     *
     * @param logits start and end logits, 2 x (b, s)
     */
    public static NDArray spanLoss(NDList logits, List<SquadFeatures.Window> batch, NDManager step) {
        long[] starts = batch.stream().mapToLong(SquadFeatures.Window::start).toArray();
        long[] ends = batch.stream().mapToLong(SquadFeatures.Window::end).toArray();
        NDArray s = Losses.crossEntropy(logits.get(0), step.create(starts));
        NDArray e = Losses.crossEntropy(logits.get(1), step.create(ends));
        return s.add(e).div(step.full(new ai.djl.ndarray.types.Shape(), 2f, ai.djl.ndarray.types.DataType.FLOAT32));
    }

    @Override
    public Trainer.Evaluation evaluate(Encoder encoder) {
        return periodicEvaluation(encoder, evalQuestions, eval);
    }

    /** The training loop's evaluation of a QA model: EM and F1 without intervals, F1 chooses the best weights. */
    public static Trainer.Evaluation periodicEvaluation(Encoder encoder, List<SquadDataset.Question> questions,
                                                        List<SquadFeatures.Window> windows) {
        Outcome o = evaluate(encoder, questions, windows, 0, 0);
        Map<String, Double> values = new TreeMap<>();
        o.metrics().forEach((k, m) -> values.put(k, m.value()));
        return new Trainer.Evaluation(o.metrics().get("f1").value(), true, values);
    }

    /**
     * An evaluation's outcome: EM and F1 (x100) with optional intervals, and one prediction per question.
     *
     * @param metrics     {@code exact_match} and {@code f1}
     * @param predictions one row per question: id, prediction, gold answers
     */
    public record Outcome(Map<String, RunResult.Metric> metrics, List<Map<String, Object>> predictions) {
    }

    /**
     * Scores a QA model on questions through their windows (fast inference path, n-best decoding).
     *
     * @param bootstrap resamples for 95% intervals (0 = none)
     */
    public static Outcome evaluate(Encoder encoder, List<SquadDataset.Question> questions, List<SquadFeatures.Window> windows,
                            int bootstrap, long seed) {
        String[] best = new String[questions.size()];
        double[] bestScore = new double[questions.size()];
        java.util.Arrays.fill(bestScore, Double.NEGATIVE_INFINITY);
        NDManager base = encoder.parameters().values().iterator().next().getManager();
        List<SquadFeatures.Window> sorted = new ArrayList<>(windows);
        sorted.sort(Comparator.comparingInt(w -> w.ids().length));
        try (NDManager fm = base.newSubManager(); FastEncoder fast = FastEncoder.of(encoder, fm)) {
            for (int from = 0; from < sorted.size(); from += EVAL_BATCH) {
                List<SquadFeatures.Window> batch = sorted.subList(from, Math.min(sorted.size(), from + EVAL_BATCH));
                try (NDManager m = base.newSubManager()) {
                    NDArray[] in = SquadFeatures.arrays(batch, m);
                    NDList logits = encoder.qaLogits(fast.forward(in[0], in[1], in[2])); // 2 x (b, s)
                    int len = (int) logits.get(0).getShape().get(1);
                    float[] st = logits.get(0).toFloatArray();
                    float[] en = logits.get(1).toFloatArray();
                    for (int i = 0; i < batch.size(); i++) {
                        decode(batch.get(i), questions, st, en, i * len, best, bestScore);
                    }
                }
            }
        }
        List<String> predictions = new ArrayList<>();
        List<List<String>> golds = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int q = 0; q < questions.size(); q++) {
            String p = best[q] == null ? "" : best[q];
            predictions.add(p);
            golds.add(questions.get(q).answerTexts());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", questions.get(q).id());
            row.put("prediction", p);
            row.put("gold", questions.get(q).answerTexts());
            rows.add(row);
        }
        Map<String, RunResult.Metric> metrics = new TreeMap<>();
        metrics.put("exact_match", metric(SquadMetrics.EXACT_MATCH, predictions, golds, bootstrap, seed));
        metrics.put("f1", metric(SquadMetrics.F1, predictions, golds, bootstrap, seed));
        return new Outcome(metrics, rows);
    }

    private static RunResult.Metric metric(io.shrink.core.eval.Metric<String, List<String>> m, List<String> p,
                                           List<List<String>> g, int bootstrap, long seed) {
        return bootstrap > 0 ? Bootstrap.interval(m, p, g, bootstrap, seed).toMetric(true)
                : RunResult.Metric.of(m.compute(p, g), true);
    }

    /**
     * Folds one window's best span into its question's best so far (as Hugging Face's {@code run_qa.py} post-processing
     * does for SQuAD v1.1): the {@link #N_BEST} highest start logits times the {@link #N_BEST} highest end logits,
     * keeping spans that lie inside the context, end at or after their start and span at most
     * {@link #MAX_ANSWER_TOKENS} tokens, scored by start + end logit; the answer is the context text from the start
     * token's first character to the end token's last. There is no "max context" check: a span seen by two windows
     * counts with whichever window scores it higher.
     *
     * @param st        start logits of the batch, row-major
     * @param en        end logits of the batch, row-major
     * @param base      offset of this window's row in {@code st} and {@code en}
     * @param best      per question, the best answer text so far (updated)
     * @param bestScore per question, the best span score so far (updated)
     */
    static void decode(SquadFeatures.Window w, List<SquadDataset.Question> questions, float[] st, float[] en,
                               int base, String[] best, double[] bestScore) {
        int n = w.ids().length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Integer[] byStart = idx.clone();
        java.util.Arrays.sort(byStart, (a, b) -> Float.compare(st[base + b], st[base + a]));
        Integer[] byEnd = idx.clone();
        java.util.Arrays.sort(byEnd, (a, b) -> Float.compare(en[base + b], en[base + a]));
        for (int si = 0; si < Math.min(N_BEST, n); si++) {
            int s = byStart[si];
            if (w.charStarts()[s] < 0) {
                continue;
            }
            for (int ei = 0; ei < Math.min(N_BEST, n); ei++) {
                int e = byEnd[ei];
                if (w.charEnds()[e] < 0 || e < s || e - s + 1 > MAX_ANSWER_TOKENS) {
                    continue;
                }
                double score = st[base + s] + en[base + e];
                if (score > bestScore[w.question()]) {
                    bestScore[w.question()] = score;
                    String ctx = questions.get(w.question()).context();
                    best[w.question()] = ctx.substring(w.charStarts()[s], w.charEnds()[e]);
                }
            }
        }
    }
}
