package io.shrink.core.model;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.tensor.TypedTensor;

/**
 * How many bytes a model's weights take as stored (values plus the scales of quantised types), split into the
 * embeddings, the encoder layers and the rest (pooler and head). Quantisation shrinks the layers far more than
 * the total when the embeddings stay float32, so the split is what to compare.
 *
 * @param total      every weight
 * @param embeddings word, position and token-type tables, embedding layer norm and projection
 * @param layers     the transformer layers
 * @param head       pooler and task head
 */
@JsonPropertyOrder({"total", "embeddings", "layers", "head"})
public record WeightBytes(long total, long embeddings, long layers, long head) {

    /** Counts a checkpoint's weights as stored. */
    public static WeightBytes of(Checkpoint ckpt) {
        long emb = 0;
        long layers = 0;
        long head = 0;
        for (TypedTensor t : ckpt.typedTensors().values()) {
            long b = stored(t);
            if (t.name().startsWith("embeddings.")) {
                emb += b;
            } else if (t.name().startsWith("encoder.")) {
                layers += b;
            } else {
                head += b;
            }
        }
        return new WeightBytes(emb + layers + head, emb, layers, head);
    }

    /** Bytes one tensor takes as stored: its values and its float32 scales. */
    public static long stored(TypedTensor t) {
        return t.data().length + 4L * t.scales().length;
    }

    /** The share of the total the embeddings take, 0 for an empty model. */
    public double embeddingShare() {
        return total == 0 ? 0 : (double) embeddings / total;
    }
}
