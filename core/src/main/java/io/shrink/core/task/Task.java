package io.shrink.core.task;

import io.shrink.core.ShrinkException;
import io.shrink.core.data.DataDirs;
import io.shrink.core.model.HeadConfig;

import java.util.List;
import java.util.Map;

/**
 * A task shrink trains and scores models on (after lm-evaluation-harness' task registry): its name and version,
 * its shape, where its data lives and how it is read, the head a model needs for it, and how it is scored.
 * Tasks are found by name in {@link Tasks}; {@code fine-tune}, {@code distill}, {@code evaluate} and
 * {@code compare} only ever talk to this interface.
 */
public interface Task {
    /** The task's name, version, shape, data directory and default input length. */
    TaskInfo info();

    /** The short lower-case name users type, e.g. {@code sst2}. */
    default String name() {
        return info().name();
    }

    /** The version of the task's data handling and scoring; bumped when a change could move its numbers. */
    default int version() {
        return info().version();
    }

    /** What the examples are and what a model predicts. */
    default TaskKind kind() {
        return info().kind();
    }

    /** Which data directory holds the task's files (option and environment variable). */
    default DataDirs.Kind dataKind() {
        return info().dataKind();
    }

    /** The longest input in tokens when the user gives none: 128 for GLUE, 256 for IMDb, 384 for SQuAD. */
    default int defaultMaxLength() {
        return info().defaultMaxLength();
    }

    /** The head a model needs for the task, pooling the way {@code pooling} names. */
    HeadConfig head(String pooling);

    /** Whether a model with {@code head} can be scored on the task as it is. */
    default boolean accepts(HeadConfig head) {
        HeadConfig wanted = head(head.pooling());
        return head.type().equals(wanted.type()) && head.labels().size() == wanted.labels().size();
    }

    /** What head the task needs, in words: {@code 2 labels}, {@code a regression head}, {@code a QA head}. */
    default String headDescription() {
        HeadConfig wanted = head(null);
        return switch (wanted.type()) {
            case "classification" -> wanted.labels().size() + " labels";
            case "qa" -> "a QA head";
            default -> "a " + wanted.type() + " head";
        };
    }

    /** A usage error unless {@link #accepts} the head of model {@code modelId}; says what to do instead. */
    default void checkHead(HeadConfig head, String modelId) {
        if (!accepts(head)) {
            throw ShrinkException.usage("model '" + modelId + "' has head '" + head.type() + "' with "
                    + head.labels().size() + " labels; " + name() + " needs " + headDescription()
                    + " (fine-tune it on " + name() + " first)");
        }
    }

    /**
     * Reads the task's data: the evaluation sets always, the training split when {@code withTrain}; samples
     * with {@code seed} as {@code data} asks.
     */
    TaskData load(DataOptions data, long seed, boolean withTrain);

    /** The task-specific settings a run records in its provenance (beyond length and head-and-tail). */
    default Map<String, Object> recordedOptions(DataOptions data, FeatureOptions features) {
        return Map.of();
    }

    /** The task's metrics as a paired comparison of two runs' {@code predictions.jsonl} reads them. */
    List<PredictionMetric<?, ?>> predictionMetrics();
}
