package io.shrink.core.compress.quant;

/**
 * The settings of the quantisation methods, as {@code --set NAME=VALUE} pairs give them; a setting left out takes
 * the method's default (see each method's summary).
 *
 * @param attention  convert the attention projections (default true)
 * @param ffn        convert the FFN projections (default true)
 * @param head       convert the pooler and head linears (default false)
 * @param embeddings convert the embedding tables (default: false for dynamic-int8, true for the size methods)
 * @param include    regular expression over module names to convert, or null for all
 * @param exclude    regular expression over module names to leave in float32, or null
 * @param groupSize  weight-int4 only: values per scale along each row (default 128); must divide every row
 * @param activations dynamic-int8 only: {@code per-tensor} (default, 7-bit with a zero point, fbgemm) or
 *                   {@code per-token} (8-bit symmetric, one scale per token, {@code torch._int_mm})
 */
public record QuantSettings(Boolean attention, Boolean ffn, Boolean head, Boolean embeddings, String include,
                            String exclude, Integer groupSize, String activations) {

    /** The selection these settings make, with the method's default for embeddings. */
    LinearSelection selection(boolean embeddingsByDefault) {
        return new LinearSelection(attention == null || attention, ffn == null || ffn, head != null && head,
                embeddings == null ? embeddingsByDefault : embeddings, include, exclude);
    }
}
