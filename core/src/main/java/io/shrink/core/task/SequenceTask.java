package io.shrink.core.task;

import io.shrink.core.ShrinkException;
import io.shrink.core.eval.Metrics;
import io.shrink.core.model.HeadConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A text classification or regression task: one or two texts in, a label or a score out (GLUE, IMDb). A
 * subclass says how its files are read ({@link #read}); features, training, scoring and comparison are shared.
 */
public abstract class SequenceTask implements Task {
    private final TaskInfo info;
    private final List<String> labels;
    private final List<String> metricNames;

    /**
     * A task described by {@code info}, with its label strings in class-index order (a single name for
     * regression) and its metric names as {@link Metrics} knows them, the first reported first.
     */
    protected SequenceTask(TaskInfo info, List<String> labels, List<String> metricNames) {
        this.info = info;
        this.labels = List.copyOf(labels);
        this.metricNames = List.copyOf(metricNames);
    }

    @Override
    public TaskInfo info() {
        return info;
    }

    /** Reads the evaluation sets, and the training split when {@code withTrain}; {@code dir} as the user gave it. */
    protected abstract SequenceData read(Path dir, boolean withTrain);

    /** The label strings in class-index order; a single name for regression. */
    public List<String> labels() {
        return labels;
    }

    /** Whether the task is a regression. */
    public boolean regression() {
        return kind() == TaskKind.REGRESSION;
    }

    /** The metric names, as {@link Metrics} knows them; the first is the one reported first. */
    public List<String> metricNames() {
        return metricNames;
    }

    @Override
    public HeadConfig head(String pooling) {
        return new HeadConfig(regression() ? "regression" : "classification", pooling, labels());
    }

    @Override
    public TaskData load(DataOptions data, long seed, boolean withTrain) {
        SequenceData d = read(data.dir(), withTrain).sample(data.maxTrainExamples(), data.maxEvalExamples(), seed);
        if (withTrain && (d.train().isEmpty() || d.train().stream().anyMatch(e -> !e.labelled()))) {
            throw ShrinkException.corrupt("the training split of " + d.name() + " is empty or has unlabelled rows");
        }
        return new SequenceTaskData(this, d);
    }

    @Override
    public List<PredictionMetric<?, ?>> predictionMetrics() {
        List<PredictionMetric<?, ?>> out = new ArrayList<>();
        if (regression()) {
            for (String n : metricNames()) {
                out.add(new PredictionMetric<>(n, Metrics.regression(n), this::score, this::score));
            }
        } else {
            for (String n : metricNames()) {
                out.add(new PredictionMetric<>(n, Metrics.classification(n), this::labelIndex, this::labelIndex));
            }
        }
        return out;
    }

    private Double score(com.fasterxml.jackson.databind.JsonNode n) {
        if (!n.isNumber()) {
            throw ShrinkException.corrupt("a " + name() + " score must be a number, got " + n);
        }
        return n.asDouble();
    }

    private Integer labelIndex(com.fasterxml.jackson.databind.JsonNode n) {
        int i = labels().indexOf(n.asText());
        if (i < 0) {
            throw ShrinkException.corrupt("predictions of " + name() + " use the unknown label '" + n.asText()
                    + "' (labels: " + String.join(", ", labels()) + ")");
        }
        return i;
    }
}
