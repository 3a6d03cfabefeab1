package io.shrink.core.checkpoint.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Hugging Face {@code bert}: canonical names are BERT's own, under a {@code bert.} prefix for models with a head. */
final class BertFamily implements HfFamily {

    @Override
    public String modelType() {
        return "bert";
    }

    @Override
    public EncoderConfig readConfig(JsonNode c, String source) {
        String pos = HfFamily.text(c, "position_embedding_type", "absolute");
        if (!pos.equals("absolute")) {
            throw ShrinkException.corrupt(source + ": position_embedding_type '" + pos + "' is not supported (only absolute)");
        }
        int hidden = HfFamily.requireInt(c, "hidden_size", source);
        int heads = HfFamily.requireInt(c, "num_attention_heads", source);
        int headSize = HfFamily.headSize(hidden, heads, "hidden_size", "num_attention_heads", source);
        return new EncoderConfig("bert", HfFamily.requireInt(c, "vocab_size", source), hidden,
                HfFamily.requireInt(c, "num_hidden_layers", source), heads, headSize,
                HfFamily.requireInt(c, "intermediate_size", source),
                HfFamily.requireInt(c, "max_position_embeddings", source),
                c.has("type_vocab_size") ? HfFamily.requireInt(c, "type_vocab_size", source) : 2, hidden, false,
                List.of(), List.of(), HfFamily.text(c, "hidden_act", "gelu"), HfFamily.number(c, "layer_norm_eps", 1e-12),
                HfFamily.number(c, "hidden_dropout_prob", 0.1), HfFamily.number(c, "attention_probs_dropout_prob", 0.1),
                c.path("pad_token_id").asInt(0));
    }

    @Override
    public String canonicalName(String hf) {
        String n = hf.startsWith("bert.") ? hf.substring(5) : hf;
        if (n.startsWith("cls.seq_relationship") || n.equals("cls.predictions.decoder.weight")
                || n.equals("cls.predictions.decoder.bias") || n.endsWith("position_ids")) {
            return null;
        }
        if (n.endsWith(".gamma")) {
            n = n.substring(0, n.length() - 6) + ".weight";
        } else if (n.endsWith(".beta")) {
            n = n.substring(0, n.length() - 5) + ".bias";
        }
        return n;
    }

    @Override
    public String hfName(String canonical, HeadConfig head) {
        boolean prefixed = !head.type().equals("none") && (canonical.startsWith("embeddings.")
                || canonical.startsWith("encoder.") || canonical.startsWith("pooler."));
        return prefixed ? "bert." + canonical : canonical;
    }

    @Override
    public String architecture(HeadConfig head) {
        return HfFamily.architecture("Bert", head);
    }

    @Override
    public void writeConfig(EncoderConfig c, HeadConfig head, ObjectNode out) {
        HfFamily.requireStandard(c, "bert");
        if (c.factorisedEmbeddings() || c.shareLayers()) {
            throw ShrinkException.usage("factorised embeddings or shared layers need the albert family, not bert");
        }
        if (c.typeVocabSize() == 0) {
            throw ShrinkException.usage("a bert checkpoint needs token-type embeddings; export it as distilbert");
        }
        if ("pre_classifier".equals(head.pooling())) {
            throw ShrinkException.usage("DistilBERT-style pre_classifier pooling cannot be written as bert");
        }
        HfFamily.putSorted(out, configFields(c));
        HfFamily.writeLabels(head, out);
    }

    /** The config.json fields bert shares with albert (which adds its embedding and group fields). */
    static Map<String, Object> configFields(EncoderConfig c) {
        Map<String, Object> f = new HashMap<>();
        f.put("attention_probs_dropout_prob", c.attentionDropout());
        f.put("hidden_act", c.hiddenAct());
        f.put("hidden_dropout_prob", c.hiddenDropout());
        f.put("hidden_size", c.hiddenSize());
        f.put("initializer_range", 0.02);
        f.put("intermediate_size", c.intermediateSize());
        f.put("layer_norm_eps", c.layerNormEps());
        f.put("max_position_embeddings", c.maxPositions());
        f.put("num_attention_heads", c.numHeads());
        f.put("num_hidden_layers", c.numLayers());
        f.put("pad_token_id", c.padTokenId());
        f.put("position_embedding_type", "absolute");
        f.put("type_vocab_size", c.typeVocabSize());
        f.put("vocab_size", c.vocabSize());
        return f;
    }
}
