package io.shrink.core;

import io.shrink.core.model.CanonicalNames;
import io.shrink.core.model.Checkpoint;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;
import io.shrink.core.model.ModelInit;
import io.shrink.core.tensor.FloatTensor;
import io.shrink.core.tensor.TypedTensor;
import io.shrink.core.tokenize.TokenizerSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tiny randomly initialised models of every family, for fast tests. */
public final class TinyModels {
    private TinyModels() {
    }

    /** A small uncased vocabulary: specials, letters, digits, punctuation, a few words and pieces. */
    public static TokenizerSpec vocab() {
        List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
            v.add("##" + c);
        }
        for (char c = '0'; c <= '9'; c++) {
            v.add(String.valueOf(c));
        }
        v.addAll(List.of(".", ",", "!", "?", "'", "the", "cat", "sat", "on", "mat", "dog", "is", "good",
                "bad", "movie", "paris", "capital", "of", "france", "##ing", "##ed"));
        return new TokenizerSpec(v, true);
    }

    /** A 2-layer BERT-shaped config (hidden 32, 4 heads, FFN 64, 64 positions). */
    public static EncoderConfig bert() {
        return new EncoderConfig("bert", vocab().vocab().size(), 32, 2, 4, 8, 64, 64, 2, 32, false, List.of(),
                List.of(), "gelu", 1e-12, 0.1, 0.1, 0);
    }

    /** DistilBERT-style: no token types. */
    public static EncoderConfig distilbert() {
        return new EncoderConfig("distilbert", vocab().vocab().size(), 32, 2, 4, 8, 64, 64, 0, 32, false,
                List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1, 0);
    }

    /** ALBERT-style: factorised 16-wide embeddings, 3 layers sharing one set of weights, gelu_new. */
    public static EncoderConfig albert() {
        return new EncoderConfig("albert", vocab().vocab().size(), 32, 3, 4, 8, 64, 64, 2, 16, true, List.of(),
                List.of(), "gelu_new", 1e-12, 0.0, 0.0, 0);
    }

    /** A random checkpoint of a config and head. */
    public static Checkpoint model(EncoderConfig config, HeadConfig head, long seed) {
        return ModelInit.random(config, head, vocab(), seed);
    }

    /**
     * The checkpoint with every Linear weight (all 2-D weights but the embedding tables) stored as symmetric per-row
     * int8 and its float view the dequantised values, as a quantised registry model holds them.
     */
    public static Checkpoint int8Linears(Checkpoint base) {
        Map<String, TypedTensor> stored = new LinkedHashMap<>();
        Map<String, FloatTensor> floats = new LinkedHashMap<>(base.tensors());
        for (FloatTensor t : base.tensors().values()) {
            boolean linear = t.shape().length == 2 && t.name().endsWith(".weight") && t.shape()[0] > 0
                    && (!t.name().startsWith("embeddings.") || t.name().startsWith(CanonicalNames.EMB_PROJ));
            if (linear) {
                TypedTensor q = TypedTensor.int8PerChannel(t);
                stored.put(t.name(), q);
                floats.put(t.name(), q.toFloat());
            }
        }
        return new Checkpoint(base.config(), base.head(), floats, base.tokenizer(), stored);
    }

    /** A two-label classification head with the given pooling. */
    public static HeadConfig classifier(String pooling) {
        return new HeadConfig("classification", pooling, List.of("negative", "positive"));
    }

    /**
     * A padded batch of random ids for {@code c}: rows of the given real lengths (padded with id 0 to the longest),
     * token type 1 on the second half of each row's real tokens, and the attention mask.
     *
     * @return ids, types and mask, each (rows, longest) int64 in {@code m}
     */
    public static ai.djl.ndarray.NDArray[] paddedBatch(ai.djl.ndarray.NDManager m, EncoderConfig c, long seed, int... lengths) {
        int b = lengths.length;
        int s = java.util.Arrays.stream(lengths).max().orElseThrow();
        long[] ids = new long[b * s];
        long[] types = new long[b * s];
        long[] mask = new long[b * s];
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                boolean real = j < lengths[i];
                ids[i * s + j] = real ? 5 + r.nextInt(c.vocabSize() - 5) : 0;
                types[i * s + j] = real && j > lengths[i] / 2 ? 1 : 0;
                mask[i * s + j] = real ? 1 : 0;
            }
        }
        ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(b, s);
        return new ai.djl.ndarray.NDArray[] {m.create(ids, shape), m.create(types, shape), m.create(mask, shape)};
    }

    /**
     * One config of each encoder shape the fast paths must run: BERT, DistilBERT, ALBERT-style (factorised, shared),
     * a pruned BERT (a layer without heads, a layer without FFN) and a relu DistilBERT with per-layer widths.
     */
    public static java.util.List<EncoderConfig> everyShape() {
        EncoderConfig pruned = bert().withLayers(java.util.List.of(2, 0), java.util.List.of(0, 40));
        EncoderConfig relu = distilbert().withLayers(java.util.List.of(4, 3), java.util.List.of(64, 16));
        relu = new EncoderConfig(relu.family(), relu.vocabSize(), relu.hiddenSize(), relu.numLayers(), relu.numHeads(),
                relu.headSize(), relu.intermediateSize(), relu.maxPositions(), relu.typeVocabSize(),
                relu.embeddingSize(), false, relu.layerHeads(), relu.layerFfn(), "relu", 1e-5, 0.1, 0.1, 0);
        return java.util.List.of(bert(), distilbert(), albert(), pruned, relu);
    }
}
