package io.shrink.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.shrink.core.tensor.DType;
import io.shrink.core.tensor.FloatTensor;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.shrink.core.model.CanonicalNames.*;

/**
 * The one encoder implementation for the whole BERT family (Devlin et al. 2019; DistilBERT, Sanh et al.
 * 2019; ALBERT, Lan et al. 2020): post-LayerNorm transformer layers with optional token types, factorised
 * embeddings, cross-layer sharing and per-layer head counts and FFN widths, plus the MLM, sequence
 * classification/regression and QA heads. Parameters live in DJL arrays under canonical names
 * ({@link io.shrink.core.model.CanonicalNames}); the forward pass is plain functions over them, so
 * autograd works when the arrays require gradients and dropout is applied only in training.
 *
 * <p>Every constant taking part in a forward pass is a libtorch-owned array, never a Java scalar
 * (FACTS §2.1: Java scalars in differentiable code corrupt gradients).
 */
public final class Encoder implements AutoCloseable {
    private final EncoderConfig config;
    private final HeadConfig head;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final Quantization quantization;
    private final Map<String, DType> storedTypes;
    private Stack stack;
    private Quantization.Precision linears = Quantization.Precision.FP32;

    /**
     * Another implementation of the embeddings and transformer layers of {@link #forward} (the heads stay here),
     * e.g. the fused TorchScript training path of {@code io.shrink.core.train.FusedStack}; it must compute what
     * {@link Encoder#forward} computes, with gradients flowing to {@link #parameters()}.
     */
    public interface Stack extends AutoCloseable {
        /** As {@link Encoder#forward(NDArray, NDArray, NDArray, boolean, boolean, boolean)}. */
        Output forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
                       boolean keepHidden, boolean keepAttention);

        /** Releases what the stack holds (not the encoder's parameters). */
        @Override
        void close();
    }

    private Encoder(EncoderConfig config, HeadConfig head, NDManager manager, Map<String, NDArray> params,
                    Quantization quantization, Map<String, DType> storedTypes) {
        this.config = config;
        this.head = head;
        this.manager = manager;
        this.params = params;
        this.quantization = quantization;
        this.storedTypes = storedTypes;
    }

    /**
     * Seeds PyTorch's random generator (dropout masks and any other random op), so that a training forward
     * pass on CPU repeats exactly for the same seed.
     */
    public static void seed(int seed) {
        ai.djl.engine.Engine.getEngine("PyTorch").setRandomSeed(seed);
    }

    /** Copies a checkpoint's weights into arrays owned by a new child manager of {@code parent}. */
    public static Encoder load(Checkpoint ckpt, NDManager parent) {
        NDManager m = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (FloatTensor t : ckpt.tensors().values()) {
            NDArray a = m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
            a.setName(t.name());
            params.put(t.name(), a);
        }
        Map<String, DType> types = new LinkedHashMap<>();
        ckpt.stored().forEach((name, t) -> types.put(name, t.dtype()));
        return new Encoder(ckpt.config(), ckpt.head(), m, params, ckpt.quantization(), Map.copyOf(types));
    }

    /** The encoder's shape. */
    public EncoderConfig config() {
        return config;
    }

    /** The head on top of the encoder. */
    public HeadConfig head() {
        return head;
    }

    /**
     * How the checkpoint this encoder was loaded from runs on the fast inference path (int8, bf16), or null for
     * float32. The arrays here are always the float32 view; {@link io.shrink.core.infer.FastEncoder#of(Encoder,
     * NDManager)} applies the quantization.
     */
    public Quantization quantization() {
        return quantization;
    }

    /** The type each weight was stored in where it is not F32 (what {@link #quantization()} runs), by name. */
    public Map<String, DType> storedTypes() {
        return storedTypes;
    }

    /**
     * Runs {@link #forward} through {@code s} from now on (null: this class's DJL operations again), closing the
     * stack used before.
     */
    public void useStack(Stack s) {
        if (stack != null && stack != s) {
            stack.close();
        }
        stack = s;
    }

    /**
     * Makes the fast inference path built on this encoder ({@link io.shrink.core.infer.FastEncoder#of(Encoder,
     * NDManager)}) run the linear layers that are not quantised in {@code p} (FP32 or BF16), e.g. the evaluations
     * of a bf16 training run.
     */
    public void runLinearsIn(Quantization.Precision p) {
        if (p.int8() || p == Quantization.Precision.INT8_TOKEN) {
            throw new IllegalArgumentException("int8 needs quantised weights: use shrink quantize");
        }
        linears = p;
    }

    /** What the float32 linear layers run in on the fast inference path (FP32 unless {@link #runLinearsIn} said otherwise). */
    public Quantization.Precision linearsIn() {
        return linears;
    }

    /** The parameter arrays by canonical name (live: training updates them in place). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(params);
    }

    /** Reads the current weights back into a checkpoint with the given tokenizer. */
    public Checkpoint toCheckpoint(io.shrink.core.tokenize.TokenizerSpec tokenizer) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        params.forEach((name, a) -> out.put(name, new FloatTensor(name, a.getShape().getShape(), a.toFloatArray())));
        return new Checkpoint(config, head, out, tokenizer);
    }

    /**
     * What one forward pass computes.
     *
     * @param lastHidden   (batch, seq, hidden) output of the last layer
     * @param hiddenStates the embedding output then every layer's output, each (batch, seq, hidden); null unless asked
     * @param attentions   every layer's attention distributions, each (batch, heads, seq, seq) before dropout
     *                     (null for a layer without heads); null unless asked
     */
    public record Output(NDArray lastHidden, List<NDArray> hiddenStates, List<NDArray> attentions) {
    }

    /**
     * Runs the encoder.
     *
     * @param inputIds      (batch, seq) int64 token ids
     * @param tokenTypeIds  (batch, seq) int64 segment ids, or null for all zeros (ignored without token types)
     * @param attentionMask (batch, seq) 1 for real tokens, 0 for padding; null for no padding
     * @param training      apply dropout
     * @param keepHidden    also return the embedding output and every layer's output
     */
    public Output forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
                          boolean keepHidden) {
        return forward(inputIds, tokenTypeIds, attentionMask, training, keepHidden, false);
    }

    /**
     * Runs the encoder, optionally keeping every layer's attention distributions (for attention-transfer
     * losses such as MiniLM's).
     *
     * @param keepAttention also return each layer's attention probabilities
     */
    public Output forward(NDArray inputIds, NDArray tokenTypeIds, NDArray attentionMask, boolean training,
                          boolean keepHidden, boolean keepAttention) {
        if (stack != null) {
            return stack.forward(inputIds, tokenTypeIds, attentionMask, training, keepHidden, keepAttention);
        }
        NDManager m = inputIds.getManager();
        long seq = inputIds.getShape().get(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + seq + " exceeds max positions " + config.maxPositions());
        }
        NDArrayEx ex = inputIds.getNDArrayInternal();
        // (batch, seq, emb)
        NDArray x = ex.embedding(inputIds, params.get(WORD_EMB), SparseFormat.DENSE).singletonOrThrow();
        NDArray positions = m.arange(0, (int) seq, 1, DataType.INT64).expandDims(0); // (1, seq)
        x = x.add(ex.embedding(positions, params.get(POS_EMB), SparseFormat.DENSE).singletonOrThrow());
        if (config.typeVocabSize() > 0) {
            NDArray types = tokenTypeIds != null ? tokenTypeIds : m.zeros(inputIds.getShape(), DataType.INT64);
            x = x.add(ex.embedding(types, params.get(TYPE_EMB), SparseFormat.DENSE).singletonOrThrow());
        }
        x = layerNorm(x, EMB_LN);
        x = dropout(x, config.hiddenDropout(), training);
        if (config.factorisedEmbeddings()) {
            x = linear(x, EMB_PROJ); // (batch, seq, hidden)
        }
        // (batch, 1, 1, seq): 0 where attended, a large negative number at padding
        NDArray maskBias = null;
        if (attentionMask != null) {
            NDArray keep = attentionMask.toType(DataType.FLOAT32, false).expandDims(1).expandDims(1);
            maskBias = keep.sub(scalar(m, 1f)).mul(scalar(m, Float.MAX_VALUE)); // (1 - mask) * -max
        }
        List<NDArray> hidden = keepHidden ? new ArrayList<>() : null;
        if (keepHidden) {
            hidden.add(x);
        }
        List<NDArray> attentions = keepAttention ? new ArrayList<>() : null;
        for (int l = 0; l < config.numLayers(); l++) {
            int i = config.storedIndex(l);
            x = attention(x, maskBias, i, training, attentions);
            x = feedForward(x, i, training);
            if (keepHidden) {
                hidden.add(x);
            }
        }
        return new Output(x, hidden, attentions);
    }

    private NDArray attention(NDArray x, NDArray maskBias, int i, boolean training, List<NDArray> attentions) {
        NDManager m = x.getManager();
        int heads = config.headsOf(i);
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        NDArray out;
        if (heads == 0) {
            if (attentions != null) {
                attentions.add(null);
            }
            out = x.zerosLike().add(params.get(attnOut(i) + ".bias"));
        } else {
            int d = config.headSize();
            NDArray q = splitHeads(linear(x, query(i)), batch, seq, heads, d); // (batch, heads, seq, d)
            NDArray k = splitHeads(linear(x, key(i)), batch, seq, heads, d);
            NDArray v = splitHeads(linear(x, value(i)), batch, seq, heads, d);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scalar(m, (float) (1.0 / Math.sqrt(d)))); // (batch, heads, seq, seq)
            if (maskBias != null) {
                scores = scores.add(maskBias);
            }
            NDArray dist = scores.softmax(-1); // (batch, heads, seq, seq)
            if (attentions != null) {
                attentions.add(dist);
            }
            NDArray probs = dropout(dist, config.attentionDropout(), training);
            NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, (long) heads * d); // (batch, seq, heads*d)
            out = linear(ctx, attnOut(i)); // (batch, seq, hidden)
        }
        out = dropout(out, config.hiddenDropout(), training);
        return layerNorm(out.add(x), attnLn(i));
    }

    private static NDArray splitHeads(NDArray t, long batch, long seq, int heads, int d) {
        return t.reshape(batch, seq, heads, d).transpose(0, 2, 1, 3);
    }

    private NDArray feedForward(NDArray x, int i, boolean training) {
        NDArray out;
        if (config.ffnOf(i) == 0) {
            out = x.zerosLike().add(params.get(ffnOut(i) + ".bias"));
        } else {
            NDArray inter = activation(linear(x, ffnIn(i))); // (batch, seq, ffn)
            out = linear(inter, ffnOut(i)); // (batch, seq, hidden)
        }
        out = dropout(out, config.hiddenDropout(), training);
        return layerNorm(out.add(x), ffnLn(i));
    }

    /**
     * Masked-LM logits for the given hidden states.
     *
     * @param hidden (..., hidden) states, e.g. only the masked positions as (n, hidden)
     * @return (..., vocab) logits
     */
    public NDArray mlmLogits(NDArray hidden) {
        NDArray t = mlmTransform(hidden); // (..., emb)
        // decoder tied to the word embeddings: t W^T + b, the result in t's manager
        return t.getNDArrayInternal().linear(t, mlmDecoderWeight(), mlmDecoderBias()).singletonOrThrow(); // (..., vocab)
    }

    /**
     * The masked-LM head up to its decoder: dense, activation and layer norm. {@link #mlmLogits} is this
     * followed by {@code t W^T + b} with {@link #mlmDecoderWeight()} and {@link #mlmDecoderBias()}; losses over
     * the vocabulary that decode in chunks start here.
     *
     * @param hidden (..., hidden) states
     * @return (..., emb) transformed states
     */
    public NDArray mlmTransform(NDArray hidden) {
        requireHead("mlm");
        return layerNorm(activation(linear(hidden, MLM_DENSE)), MLM_LN); // (..., emb)
    }

    /** The masked-LM decoder's weight, tied to the word embeddings: (vocab, emb). */
    public NDArray mlmDecoderWeight() {
        requireHead("mlm");
        return params.get(WORD_EMB);
    }

    /** The masked-LM decoder's bias: (vocab). */
    public NDArray mlmDecoderBias() {
        requireHead("mlm");
        return params.get(MLM_BIAS);
    }

    /**
     * Sequence classification or regression outputs from the first token.
     *
     * @param hidden (batch, seq, hidden) encoder output
     * @return (batch, labels) logits, or (batch, 1) scores for regression
     */
    public NDArray classify(NDArray hidden, boolean training) {
        if (!head.type().equals("classification") && !head.type().equals("regression")) {
            requireHead("classification");
        }
        NDArray cls = hidden.get(new NDIndex(":, 0, :")); // (batch, hidden)
        NDArray pooled = head.pooling().equals("pooler") ? linear(cls, POOLER).tanh()
                : ai.djl.nn.Activation.relu(linear(cls, PRE_CLASSIFIER));
        return linear(dropout(pooled, config.hiddenDropout(), training), CLASSIFIER);
    }

    /**
     * Extractive QA span logits.
     *
     * @param hidden (batch, seq, hidden) encoder output
     * @return start logits and end logits, each (batch, seq)
     */
    public NDList qaLogits(NDArray hidden) {
        requireHead("qa");
        NDArray logits = linear(hidden, QA); // (batch, seq, 2)
        NDList parts = logits.split(2, 2);
        return new NDList(parts.get(0).squeeze(2), parts.get(1).squeeze(2));
    }

    private void requireHead(String type) {
        if (!head.type().equals(type)) {
            throw new IllegalStateException("model has head '" + head.type() + "', not '" + type + "'");
        }
    }

    private NDArray linear(NDArray x, String prefix) {
        return x.getNDArrayInternal().linear(x, params.get(prefix + ".weight"), params.get(prefix + ".bias"))
                .singletonOrThrow();
    }

    private NDArray layerNorm(NDArray x, String prefix) {
        NDArray gamma = params.get(prefix + ".weight");
        return x.getNDArrayInternal().layerNorm(x, gamma.getShape(), gamma, params.get(prefix + ".bias"),
                (float) config.layerNormEps()).singletonOrThrow();
    }

    private NDArray activation(NDArray x) {
        return switch (config.hiddenAct()) {
            case "relu" -> ai.djl.nn.Activation.relu(x);
            case "gelu_new" -> {
                NDManager m = x.getManager();
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                NDArray inner = x.add(x.pow(scalar(m, 3f)).mul(scalar(m, 0.044715f)))
                        .mul(scalar(m, (float) Math.sqrt(2.0 / Math.PI)));
                yield x.mul(inner.tanh().add(scalar(m, 1f))).mul(scalar(m, 0.5f));
            }
            default -> x.getNDArrayInternal().gelu();
        };
    }

    private static NDArray dropout(NDArray x, double rate, boolean training) {
        if (!training || rate <= 0) {
            return x;
        }
        return x.getNDArrayInternal().dropout(x, (float) rate, true).singletonOrThrow();
    }

    /** A libtorch-owned float scalar (never a Java-memory scalar; FACTS §2.1). */
    static NDArray scalar(NDManager m, float v) {
        return m.full(new Shape(), v, DataType.FLOAT32);
    }

    @Override
    public void close() {
        useStack(null);
        manager.close();
    }
}
