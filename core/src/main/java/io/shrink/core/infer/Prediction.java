package io.shrink.core.infer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * What {@code predict} computes for one input: fill-mask candidates, label scores, a regression value,
 * a QA span, or pooled embedding statistics for a bare encoder.
 *
 * @param input     the text as given
 * @param task      {@code fill-mask}, {@code classification}, {@code regression}, {@code qa} or {@code encode}
 * @param masks     for fill-mask: per [MASK] position, the top-k candidates
 * @param labels    for classification: every label with its probability, best first
 * @param value     for regression: the predicted score
 * @param answer    for QA: the best span
 * @param embedding for a bare encoder: the first values of the mean-pooled, L2-normalised last hidden state
 */
@JsonPropertyOrder({"input", "task", "masks", "labels", "value", "answer", "embedding"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Prediction(String input, String task, List<List<Candidate>> masks, List<Candidate> labels,
                         Double value, Answer answer, Embedding embedding) {

    /** A scored token or label. */
    @JsonPropertyOrder({"token", "score"})
    public record Candidate(String token, double score) {
    }

    /** An extractive answer: text and character offsets into the context. */
    @JsonPropertyOrder({"text", "start", "end", "score"})
    public record Answer(String text, int start, int end, double score) {
    }

    /** A pooled sentence embedding, summarised. */
    @JsonPropertyOrder({"dimensions", "head"})
    public record Embedding(int dimensions, List<Double> head) {
    }
}
