package io.shrink.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The shape of one BERT-family encoder: BERT, DistilBERT, ALBERT-style (factorised embeddings,
 * cross-layer sharing) and pruned models whose layers differ in head count and FFN width.
 *
 * @param family           model family the weights came from: {@code bert}, {@code distilbert} or {@code albert}
 * @param vocabSize        word-piece vocabulary size
 * @param hiddenSize       width of the residual stream
 * @param numLayers        number of transformer layers applied (with sharing, the same weights are applied this often)
 * @param numHeads         attention heads of an unpruned layer
 * @param headSize         width of one attention head (BERT: hiddenSize / numHeads)
 * @param intermediateSize FFN width of an unpruned layer
 * @param maxPositions     learned position embeddings, i.e. the longest sequence
 * @param typeVocabSize    token-type (segment) embeddings; 0 means none, as in DistilBERT
 * @param embeddingSize    width of the embeddings; smaller than hiddenSize means factorised embeddings (ALBERT)
 * @param shareLayers      whether all layers share one set of weights (ALBERT)
 * @param layerHeads       heads per layer, or empty when every layer has {@code numHeads}
 * @param layerFfn         FFN width per layer, or empty when every layer has {@code intermediateSize}
 * @param hiddenAct        {@code gelu} (erf), {@code gelu_new} (tanh approximation) or {@code relu}
 * @param layerNormEps     epsilon of every LayerNorm
 * @param hiddenDropout    dropout on hidden states during training
 * @param attentionDropout dropout on attention probabilities during training
 * @param padTokenId       id of the padding token
 */
@JsonPropertyOrder({"family", "vocabSize", "hiddenSize", "numLayers", "numHeads", "headSize", "intermediateSize",
        "maxPositions", "typeVocabSize", "embeddingSize", "shareLayers", "layerHeads", "layerFfn", "hiddenAct",
        "layerNormEps", "hiddenDropout", "attentionDropout", "padTokenId"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EncoderConfig(
        String family,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int headSize,
        int intermediateSize,
        int maxPositions,
        int typeVocabSize,
        int embeddingSize,
        boolean shareLayers,
        List<Integer> layerHeads,
        List<Integer> layerFfn,
        String hiddenAct,
        double layerNormEps,
        double hiddenDropout,
        double attentionDropout,
        int padTokenId) {

    /** Families this encoder implements. */
    public static final List<String> FAMILIES = List.of("bert", "distilbert", "albert");

    /** Activations this encoder implements. */
    public static final List<String> ACTIVATIONS = List.of("gelu", "gelu_new", "relu");

    public EncoderConfig {
        layerHeads = layerHeads == null ? List.of() : List.copyOf(layerHeads);
        layerFfn = layerFfn == null ? List.of() : List.copyOf(layerFfn);
        family = family == null ? "bert" : family.toLowerCase(Locale.ROOT);
        hiddenAct = hiddenAct == null ? "gelu" : hiddenAct.toLowerCase(Locale.ROOT);
    }

    /** A plain BERT shape with BERT's defaults (gelu, eps 1e-12, dropout 0.1, two token types). */
    public static EncoderConfig bert(int vocab, int hidden, int layers, int heads, int ffn, int maxPositions) {
        return new EncoderConfig("bert", vocab, hidden, layers, heads, hidden / heads, ffn, maxPositions, 2, hidden,
                false, List.of(), List.of(), "gelu", 1e-12, 0.1, 0.1, 0);
    }

    /** Checks that the numbers describe a model this encoder can run; throws a usage-kind error otherwise. */
    public EncoderConfig validate() {
        List<String> bad = new ArrayList<>();
        if (!FAMILIES.contains(family)) {
            bad.add("family '" + family + "' (known: " + String.join(", ", FAMILIES) + ")");
        }
        if (!ACTIVATIONS.contains(hiddenAct)) {
            bad.add("hiddenAct '" + hiddenAct + "' (known: " + String.join(", ", ACTIVATIONS) + ")");
        }
        positive(bad, "vocabSize", vocabSize);
        positive(bad, "hiddenSize", hiddenSize);
        positive(bad, "numLayers", numLayers);
        positive(bad, "numHeads", numHeads);
        positive(bad, "headSize", headSize);
        positive(bad, "intermediateSize", intermediateSize);
        positive(bad, "maxPositions", maxPositions);
        positive(bad, "embeddingSize", embeddingSize);
        if (typeVocabSize < 0) {
            bad.add("typeVocabSize " + typeVocabSize);
        }
        if (embeddingSize > hiddenSize) {
            bad.add("embeddingSize " + embeddingSize + " > hiddenSize " + hiddenSize);
        }
        if (!layerHeads.isEmpty() && layerHeads.size() != storedLayers()) {
            bad.add("layerHeads has " + layerHeads.size() + " entries for " + storedLayers() + " layers");
        }
        if (!layerFfn.isEmpty() && layerFfn.size() != storedLayers()) {
            bad.add("layerFfn has " + layerFfn.size() + " entries for " + storedLayers() + " layers");
        }
        if (layerHeads.stream().anyMatch(h -> h < 0) || layerFfn.stream().anyMatch(f -> f < 0)) {
            bad.add("negative per-layer head count or FFN width");
        }
        if (padTokenId < 0 || padTokenId >= Math.max(1, vocabSize)) {
            bad.add("padTokenId " + padTokenId);
        }
        if (!bad.isEmpty()) {
            throw ShrinkException.corrupt("invalid encoder config: " + String.join("; ", bad));
        }
        return this;
    }

    private static void positive(List<String> bad, String name, int value) {
        if (value <= 0) {
            bad.add(name + " " + value);
        }
    }

    /** Number of distinct weight sets stored: 1 with cross-layer sharing, else {@code numLayers}. */
    public int storedLayers() {
        return shareLayers ? 1 : numLayers;
    }

    /** Index of the stored weights that layer {@code layer} applies. */
    public int storedIndex(int layer) {
        return shareLayers ? 0 : layer;
    }

    /** Attention heads of stored layer {@code i}. */
    public int headsOf(int i) {
        return layerHeads.isEmpty() ? numHeads : layerHeads.get(i);
    }

    /** FFN width of stored layer {@code i}. */
    public int ffnOf(int i) {
        return layerFfn.isEmpty() ? intermediateSize : layerFfn.get(i);
    }

    /** Whether the embeddings are narrower than the hidden states and need a projection. */
    public boolean factorisedEmbeddings() {
        return embeddingSize != hiddenSize;
    }

    /** Whether every stored layer has the unpruned head count and FFN width. */
    public boolean homogeneous() {
        for (int i = 0; i < storedLayers(); i++) {
            if (headsOf(i) != numHeads || ffnOf(i) != intermediateSize) {
                return false;
            }
        }
        return true;
    }

    /** This config with another family name. */
    public EncoderConfig withFamily(String newFamily) {
        return new EncoderConfig(newFamily, vocabSize, hiddenSize, numLayers, numHeads, headSize, intermediateSize,
                maxPositions, typeVocabSize, embeddingSize, shareLayers, layerHeads, layerFfn, hiddenAct,
                layerNormEps, hiddenDropout, attentionDropout, padTokenId);
    }

    /** This config with explicit per-layer head counts and FFN widths (a pruned model). */
    public EncoderConfig withLayers(List<Integer> heads, List<Integer> ffn) {
        return new EncoderConfig(family, vocabSize, hiddenSize, numLayers, numHeads, headSize, intermediateSize,
                maxPositions, typeVocabSize, embeddingSize, shareLayers, Collections.unmodifiableList(heads),
                Collections.unmodifiableList(ffn), hiddenAct, layerNormEps, hiddenDropout, attentionDropout,
                padTokenId);
    }
}
