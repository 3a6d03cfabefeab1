package io.shrink.core.eval;

import io.shrink.core.ShrinkException;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry of named metrics: {@code accuracy}, {@code f1}, {@code mcc} (class indexes), {@code pearson},
 * {@code spearman} (scores), {@code squad_em}, {@code squad_f1} (answer texts against gold answer lists). GLUE tasks
 * name their metrics by these keys ({@code io.shrink.core.data.GlueTask#metrics}).
 */
public final class Metrics {
    private static final Map<String, Metric<Integer, Integer>> CLASSIFICATION = byName(
            List.of(ClassificationMetrics.ACCURACY, ClassificationMetrics.F1, ClassificationMetrics.MCC));
    private static final Map<String, Metric<Double, Double>> REGRESSION = byName(
            List.of(CorrelationMetrics.PEARSON, CorrelationMetrics.SPEARMAN));
    private static final Map<String, Metric<String, List<String>>> SQUAD = byName(
            List.of(SquadMetrics.EXACT_MATCH, SquadMetrics.F1));

    private Metrics() {
    }

    private static <M extends Metric<?, ?>> Map<String, M> byName(List<M> metrics) {
        Map<String, M> map = new LinkedHashMap<>();
        metrics.forEach(m -> map.put(m.name(), m));
        return map;
    }

    /** Every registered metric name. */
    public static Set<String> names() {
        Set<String> names = new LinkedHashSet<>(CLASSIFICATION.keySet());
        names.addAll(REGRESSION.keySet());
        names.addAll(SQUAD.keySet());
        return names;
    }

    /** The metric called {@code name}, of whatever type, or a usage error listing the names. */
    public static Metric<?, ?> get(String name) {
        Metric<?, ?> m = CLASSIFICATION.get(name);
        m = m != null ? m : REGRESSION.get(name);
        m = m != null ? m : SQUAD.get(name);
        if (m == null) {
            throw unknown("", name);
        }
        return m;
    }

    /** The metric over class indexes called {@code name} ({@code accuracy}, {@code f1}, {@code mcc}). */
    public static Metric<Integer, Integer> classification(String name) {
        return lookup(CLASSIFICATION, "classification ", name);
    }

    /** The metric over scores called {@code name} ({@code pearson}, {@code spearman}). */
    public static Metric<Double, Double> regression(String name) {
        return lookup(REGRESSION, "regression ", name);
    }

    /** The metric over answer texts called {@code name} ({@code squad_em}, {@code squad_f1}). */
    public static Metric<String, List<String>> squad(String name) {
        return lookup(SQUAD, "SQuAD ", name);
    }

    private static <M> M lookup(Map<String, M> map, String kind, String name) {
        M m = map.get(name);
        if (m == null) {
            throw unknown(kind, name);
        }
        return m;
    }

    private static ShrinkException unknown(String kind, String name) {
        return ShrinkException.usage("unknown " + kind + "metric '" + name + "'; known: " + String.join(", ", names()));
    }
}
