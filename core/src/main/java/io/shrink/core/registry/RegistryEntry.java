package io.shrink.core.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.Quantization;
import io.shrink.core.model.WeightBytes;
import io.shrink.core.results.RunResult;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the registry knows about one stored model; it is the content of {@code models/<id>/entry.json}.
 *
 * @param schemaVersion           version of this layout, {@link #SCHEMA_VERSION}
 * @param id                      the model's id (see {@link ModelId})
 * @param family                  model family, e.g. {@code bert}, {@code distilbert} or {@code albert}
 * @param config                  shape of the encoder
 * @param head                    head on top of the encoder
 * @param parameters              number of parameters, embeddings included
 * @param nonEmbeddingParameters  number of parameters outside the embeddings
 * @param bytesOnDisk             sum of the sizes of the model's files, {@code entry.json} excluded; set by the registry
 * @param weightBytes             the weights' bytes as stored, embeddings, layers and head apart; null in entries
 *                                written before it was recorded
 * @param quantization            how stored types run (int8, bf16, weight-only), null for a float32 model
 * @param tokenizer               summary of the tokenizer stored with the model
 * @param parent                  id of the model this one was derived from, or null
 * @param producedBy              the command that produced the model
 * @param contentSha256           lower-case hex SHA-256 of the weights file
 * @param createdAt               ISO-8601 UTC time the model was added; set by the registry when null
 * @param metrics                 task name to metric name to value, both levels sorted by key; empty when none
 */
@JsonPropertyOrder({"schemaVersion", "id", "family", "config", "head", "parameters", "nonEmbeddingParameters",
        "bytesOnDisk", "weightBytes", "quantization", "tokenizer", "parent", "producedBy", "contentSha256", "createdAt", "metrics"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegistryEntry(
        int schemaVersion,
        String id,
        String family,
        EncoderConfig config,
        HeadConfig head,
        long parameters,
        long nonEmbeddingParameters,
        long bytesOnDisk,
        WeightBytes weightBytes,
        Quantization quantization,
        Tokenizer tokenizer,
        String parent,
        Lineage producedBy,
        String contentSha256,
        String createdAt,
        Map<String, Map<String, Object>> metrics) {

    /** The layout version this code writes and reads. */
    public static final int SCHEMA_VERSION = 1;

    public RegistryEntry {
        metrics = copyMetrics(metrics);
    }

    /**
     * Summary of the tokenizer stored with a model.
     *
     * @param vocabSize word-piece vocabulary size
     * @param lowercase whether text is lower-cased (uncased model)
     */
    @JsonPropertyOrder({"vocabSize", "lowercase"})
    public record Tokenizer(int vocabSize, boolean lowercase) {
    }

    /**
     * How a model came to be.
     *
     * @param command the shrink command, e.g. {@code models import} or {@code distill}
     * @param source  where the input came from: a Maven coordinate such as {@code maven:group:artifact:version},
     *                a path, or a parent model id
     * @param options the command's options, or null
     * @param recipe  the recipe text or file the command followed, or null
     */
    @JsonPropertyOrder({"command", "source", "options", "recipe"})
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Lineage(String command, String source, Map<String, Object> options, String recipe) {

        public Lineage {
            options = options == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(options));
        }
    }

    /** A copy of this entry whose metrics for {@code task} are {@code values}, replacing earlier ones for that task. */
    public RegistryEntry withMetrics(String task, Map<String, Object> values) {
        if (task == null || task.isBlank()) {
            throw new IllegalArgumentException("task name is empty");
        }
        Map<String, Map<String, Object>> updated = new TreeMap<>(metrics);
        updated.put(task, values == null ? Map.of() : values);
        return new RegistryEntry(schemaVersion, id, family, config, head, parameters, nonEmbeddingParameters,
                bytesOnDisk, weightBytes, quantization, tokenizer, parent, producedBy, contentSha256, createdAt, updated);
    }

    /** A copy of this entry with the current schema version, the given size and creation time. */
    RegistryEntry stamped(long bytes, String created) {
        return new RegistryEntry(SCHEMA_VERSION, id, family, config, head, parameters, nonEmbeddingParameters,
                bytes, weightBytes, quantization, tokenizer, parent, producedBy, contentSha256, created, metrics);
    }

    private static Map<String, Map<String, Object>> copyMetrics(Map<String, Map<String, Object>> source) {
        SortedMap<String, Map<String, Object>> copy = new TreeMap<>();
        if (source != null) {
            source.forEach((task, values) -> copy.put(task, values == null
                    ? Collections.emptySortedMap()
                    : Collections.unmodifiableSortedMap(new TreeMap<>(values))));
        }
        return Collections.unmodifiableSortedMap(copy);
    }

    /** This model as a run result names it: id, content hash, family and parameters. */
    public RunResult.ModelRef ref() {
        return new RunResult.ModelRef(id, contentSha256, family, parameters);
    }
}
