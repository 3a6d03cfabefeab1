package io.shrink.core.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/**
 * One run's result in shrink's single versioned schema (documented in {@code results/README.md}):
 * what ran, on which models and task, the metrics with their intervals, how long it took, command-specific
 * details, and full provenance.
 *
 * @param schemaVersion the schema version ({@link #SCHEMA_VERSION})
 * @param runId         unique id of the run, also its directory name
 * @param command       the shrink command, e.g. {@code evaluate} or {@code benchmark}
 * @param models        the models involved (one for most commands; several for a benchmark)
 * @param task          the task or data set, or null
 * @param metrics       metric name to value (sorted by name)
 * @param timings       when the run started and finished, and named phases in seconds
 * @param details       command-specific content (sorted by key)
 * @param provenance    everything needed to reproduce the run
 */
@JsonPropertyOrder({"schemaVersion", "runId", "command", "models", "task", "metrics", "timings", "details", "provenance"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunResult(int schemaVersion, String runId, String command, List<ModelRef> models, String task,
                        Map<String, Metric> metrics, Timings timings, Map<String, Object> details,
                        Provenance provenance) {
    /** The schema version this code writes. */
    public static final int SCHEMA_VERSION = 1;

    /** Whether a training run paused before its end ({@code details.status} is {@code paused}); it continues with --resume. */
    public boolean paused() {
        return "paused".equals(detail("status"));
    }

    /** A number in {@link #details}, following nested maps by key (e.g. {@code "teacherEvaluation", "score"}); null when absent. */
    public Number detailNumber(String... path) {
        return detail(path) instanceof Number n ? n : null;
    }

    /** A text in {@link #details}, following nested maps by key; null when absent. */
    public String detailText(String... path) {
        return detail(path) instanceof String s ? s : null;
    }

    private Object detail(String... path) {
        Object at = details;
        for (String key : path) {
            if (!(at instanceof Map<?, ?> m)) {
                return null;
            }
            at = m.get(key);
        }
        return at;
    }

    /**
     * A model a run used.
     *
     * @param id            registry id
     * @param contentSha256 the registry's content hash of its weights
     * @param family        model family
     * @param parameters    parameter count
     */
    @JsonPropertyOrder({"id", "contentSha256", "family", "parameters"})
    public record ModelRef(String id, String contentSha256, String family, long parameters) {
    }

    /**
     * A metric value with an optional confidence interval.
     *
     * @param value          the point estimate
     * @param ciLow          lower end of the 95% interval, or null
     * @param ciHigh         upper end of the 95% interval, or null
     * @param higherIsBetter whether larger values are better, or null when that does not apply
     */
    @JsonPropertyOrder({"value", "ciLow", "ciHigh", "higherIsBetter"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metric(double value, Double ciLow, Double ciHigh, Boolean higherIsBetter) {
        /** A value without an interval. */
        public static Metric of(double value, Boolean higherIsBetter) {
            return new Metric(value, null, null, higherIsBetter);
        }
    }

    /**
     * When a run happened and where its time went.
     *
     * @param startedAt   ISO-8601 UTC start
     * @param finishedAt  ISO-8601 UTC end
     * @param wallSeconds total wall-clock seconds
     * @param phases      named phases in seconds (sorted by name), e.g. {@code load}, {@code measure}
     */
    @JsonPropertyOrder({"startedAt", "finishedAt", "wallSeconds", "phases"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Timings(String startedAt, String finishedAt, double wallSeconds, Map<String, Double> phases) {
    }
}
