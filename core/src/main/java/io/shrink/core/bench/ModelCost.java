package io.shrink.core.bench;

import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelShapes;

/**
 * Parameters and floating-point operations of an encoder, from its shape alone. FLOPs count the matrix
 * multiplies of the encoder (2 per multiply-add), the way the BERT-compression literature does:
 * per layer the query, key and value projections (3 · 2·s·h·A, A = heads · headSize), the attention scores
 * and the context (2·s²·A each), the attention output projection (2·s·A·h) and the two FFN matrices
 * (2 · 2·s·h·f), plus the factorised-embedding projection (2·s·e·h) when there is one. Embedding lookups,
 * biases, LayerNorm, softmax and activations (all O(s·h)) and any head (pooler, MLM, classifier) are not
 * counted.
 */
public final class ModelCost {
    /** What {@link #flopsPerSequence} counts, for result files. */
    public static final String FLOPS_COUNTED = "encoder matmuls only, 2 FLOPs per multiply-add: per layer QKV "
            + "projections, attention scores and context (2*s^2*heads*headSize each), output projection, FFN in "
            + "and out; plus the factorised-embedding projection; embeddings, biases, LayerNorm, softmax, "
            + "activations and heads not counted";

    private ModelCost() {
    }

    /** Parameters of the bare encoder (embeddings and layers, shared layers once), plus BERT's pooler if asked. */
    public static long parameters(EncoderConfig c, boolean pooler) {
        long n = 0;
        for (long[] shape : ModelShapes.expected(c, HeadConfig.none()).values()) {
            long p = 1;
            for (long d : shape) {
                p *= d;
            }
            n += p;
        }
        return pooler ? n + (long) c.hiddenSize() * c.hiddenSize() + c.hiddenSize() : n;
    }

    /** {@link #parameters} without the word, position and token-type tables (as Hugging Face counts). */
    public static long nonEmbeddingParameters(EncoderConfig c, boolean pooler) {
        return parameters(c, pooler) - ModelShapes.embeddingParameters(c);
    }

    /** Matrix-multiply FLOPs of one forward pass over one sequence of {@code seq} tokens (see class comment). */
    public static long flopsPerSequence(EncoderConfig c, int seq) {
        long s = seq;
        long h = c.hiddenSize();
        long total = c.factorisedEmbeddings() ? 2 * s * c.embeddingSize() * h : 0;
        for (int l = 0; l < c.numLayers(); l++) {
            int i = c.storedIndex(l);
            long a = (long) c.headsOf(i) * c.headSize();
            long f = c.ffnOf(i);
            total += 3 * 2 * s * h * a; // query, key, value projections
            total += 2 * 2 * s * s * a; // scores Q K^T and context P V
            total += 2 * s * a * h; // attention output projection
            total += 2 * 2 * s * h * f; // FFN in and out
        }
        return total;
    }
}
