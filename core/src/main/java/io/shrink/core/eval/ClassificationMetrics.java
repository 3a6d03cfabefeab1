package io.shrink.core.eval;

import java.util.List;

/**
 * The classification metrics GLUE reports, computed as scikit-learn computes them (the reference the GLUE
 * baselines and Hugging Face's {@code glue} metric use). Predictions and references are class indexes; values are
 * fractions (accuracy 0.85, not 85).
 */
public final class ClassificationMetrics {
    private ClassificationMetrics() {
    }

    /** Fraction of predictions equal to the reference; per example 1 or 0. */
    public static final PerExampleMetric<Integer, Integer> ACCURACY = new PerExampleMetric<>() {
        @Override
        public String name() {
            return "accuracy";
        }

        @Override
        public boolean higherIsBetter() {
            return true;
        }

        @Override
        public double[] perExample(List<? extends Integer> predictions, List<? extends Integer> references) {
            Metric.checkSameSize(predictions, references);
            double[] out = new double[predictions.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = predictions.get(i).equals(references.get(i)) ? 1 : 0;
            }
            return out;
        }
    };

    /**
     * F1 of the positive class 1 (MRPC, QQP): {@code 2·TP / (2·TP + FP + FN)}; 0 when there is no positive
     * prediction or reference at all (scikit-learn's {@code zero_division} default).
     */
    public static final Metric<Integer, Integer> F1 =
            new NamedMetric<Integer, Integer>("f1", true, ClassificationMetrics::f1);

    /**
     * Matthews correlation coefficient (Matthews 1975), in the multi-class form of Gorodkin 2004 that scikit-learn's
     * {@code matthews_corrcoef} uses: {@code (c·s − Σ p_k·t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²))} with c correct
     * predictions, s examples, p_k and t_k the predicted and true counts of class k. Defined as 0 when the
     * denominator is 0 (constant predictions or references), like scikit-learn.
     */
    public static final Metric<Integer, Integer> MCC =
            new NamedMetric<Integer, Integer>("mcc", true, ClassificationMetrics::mcc);

    private static double f1(List<? extends Integer> predictions, List<? extends Integer> references) {
        Metric.checkSameSize(predictions, references);
        long tp = 0;
        long fp = 0;
        long fn = 0;
        for (int i = 0; i < predictions.size(); i++) {
            boolean p = predictions.get(i) == 1;
            boolean r = references.get(i) == 1;
            if (p && r) {
                tp++;
            } else if (p) {
                fp++;
            } else if (r) {
                fn++;
            }
        }
        long denominator = 2 * tp + fp + fn;
        return denominator == 0 ? 0 : 2.0 * tp / denominator;
    }

    private static double mcc(List<? extends Integer> predictions, List<? extends Integer> references) {
        Metric.checkSameSize(predictions, references);
        int classes = 0;
        for (int i = 0; i < predictions.size(); i++) {
            classes = Math.max(classes, Math.max(predictions.get(i), references.get(i)) + 1);
        }
        long[] predicted = new long[classes];
        long[] truth = new long[classes];
        long correct = 0;
        for (int i = 0; i < predictions.size(); i++) {
            int p = predictions.get(i);
            int t = references.get(i);
            predicted[p]++;
            truth[t]++;
            if (p == t) {
                correct++;
            }
        }
        double s = predictions.size();
        double pt = 0;
        double pp = 0;
        double tt = 0;
        for (int k = 0; k < classes; k++) {
            pt += (double) predicted[k] * truth[k];
            pp += (double) predicted[k] * predicted[k];
            tt += (double) truth[k] * truth[k];
        }
        double denominator = Math.sqrt((s * s - pp) * (s * s - tt));
        return denominator == 0 ? 0 : (correct * s - pt) / denominator;
    }
}
