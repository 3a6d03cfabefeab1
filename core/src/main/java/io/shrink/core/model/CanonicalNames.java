package io.shrink.core.model;

import java.util.List;

/**
 * shrink's canonical parameter names: Hugging Face BERT names without the {@code bert.} prefix,
 * PyTorch {@code [out, in]} layout for every Linear weight. Every importer produces them, every
 * exporter maps them to a format's own names, and the encoder reads them.
 *
 * <pre>
 * embeddings.word_embeddings.weight             [vocab, emb]
 * embeddings.position_embeddings.weight         [maxPositions, emb]
 * embeddings.token_type_embeddings.weight       [typeVocab, emb]      (absent when typeVocab = 0)
 * embeddings.LayerNorm.weight / .bias           [emb]
 * embeddings.projection.weight / .bias          [hidden, emb], [hidden] (only when emb != hidden; ALBERT)
 * encoder.layer.N.attention.self.query.weight   [heads_N*headSize, hidden]  (+ .bias; also key, value)
 * encoder.layer.N.attention.output.dense.weight [hidden, heads_N*headSize]  (+ .bias)
 * encoder.layer.N.attention.output.LayerNorm.weight / .bias [hidden]
 * encoder.layer.N.intermediate.dense.weight     [ffn_N, hidden]  (+ .bias)
 * encoder.layer.N.output.dense.weight           [hidden, ffn_N]  (+ .bias)
 * encoder.layer.N.output.LayerNorm.weight / .bias [hidden]
 * pooler.dense.weight / .bias                   [hidden, hidden], [hidden]   (BERT-style pooling)
 * pre_classifier.weight / .bias                 [hidden, hidden], [hidden]   (DistilBERT-style pooling)
 * classifier.weight / .bias                     [labels, hidden], [labels]
 * qa_outputs.weight / .bias                     [2, hidden], [2]
 * cls.predictions.transform.dense.weight / .bias       [emb, hidden], [emb]
 * cls.predictions.transform.LayerNorm.weight / .bias   [emb]
 * cls.predictions.bias                          [vocab]   (decoder weight is tied to the word embeddings)
 * </pre>
 * With cross-layer sharing only layer 0 is stored.
 */
public final class CanonicalNames {
    public static final String WORD_EMB = "embeddings.word_embeddings.weight";
    public static final String POS_EMB = "embeddings.position_embeddings.weight";
    public static final String TYPE_EMB = "embeddings.token_type_embeddings.weight";
    public static final String EMB_LN = "embeddings.LayerNorm";
    public static final String EMB_PROJ = "embeddings.projection";
    public static final String POOLER = "pooler.dense";
    public static final String PRE_CLASSIFIER = "pre_classifier";
    public static final String CLASSIFIER = "classifier";
    public static final String QA = "qa_outputs";
    public static final String MLM_DENSE = "cls.predictions.transform.dense";
    public static final String MLM_LN = "cls.predictions.transform.LayerNorm";
    public static final String MLM_BIAS = "cls.predictions.bias";

    private CanonicalNames() {
    }

    /**
     * The embedding parameters a fused TorchScript encoder takes as its first seven arguments: word, position and
     * token-type tables, the embedding LayerNorm's weight and bias, the factorised projection's weight and bias.
     * Slots a config does not have (no token types, no factorisation) repeat the position table as a placeholder,
     * so the layers' arguments always start at index 7.
     */
    public static List<String> embeddingSlots(EncoderConfig c) {
        return List.of(WORD_EMB, POS_EMB, c.typeVocabSize() > 0 ? TYPE_EMB : POS_EMB, EMB_LN + ".weight",
                EMB_LN + ".bias", c.factorisedEmbeddings() ? EMB_PROJ + ".weight" : POS_EMB,
                c.factorisedEmbeddings() ? EMB_PROJ + ".bias" : POS_EMB);
    }

    /** Prefix of stored layer {@code n}, e.g. {@code encoder.layer.3.}. */
    public static String layer(int n) {
        return "encoder.layer." + n + ".";
    }

    /**
     * Prefixes of stored layer {@code n}'s eight weight-and-bias modules, in stored order: query, key, value,
     * attention output, attention LayerNorm, FFN input, FFN output, FFN LayerNorm.
     */
    public static List<String> layerModules(int n) {
        return List.of(query(n), key(n), value(n), attnOut(n), attnLn(n), ffnIn(n), ffnOut(n), ffnLn(n));
    }

    /** Prefix of stored layer {@code n}'s query projection. */
    public static String query(int n) {
        return layer(n) + "attention.self.query";
    }

    /** Prefix of stored layer {@code n}'s key projection. */
    public static String key(int n) {
        return layer(n) + "attention.self.key";
    }

    /** Prefix of stored layer {@code n}'s value projection. */
    public static String value(int n) {
        return layer(n) + "attention.self.value";
    }

    /** Prefix of stored layer {@code n}'s attention output projection. */
    public static String attnOut(int n) {
        return layer(n) + "attention.output.dense";
    }

    /** Prefix of stored layer {@code n}'s LayerNorm after attention. */
    public static String attnLn(int n) {
        return layer(n) + "attention.output.LayerNorm";
    }

    /** Prefix of stored layer {@code n}'s FFN input projection. */
    public static String ffnIn(int n) {
        return layer(n) + "intermediate.dense";
    }

    /** Prefix of stored layer {@code n}'s FFN output projection. */
    public static String ffnOut(int n) {
        return layer(n) + "output.dense";
    }

    /** Prefix of stored layer {@code n}'s LayerNorm after the FFN. */
    public static String ffnLn(int n) {
        return layer(n) + "output.LayerNorm";
    }
}
