package io.shrink.core.checkpoint.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;

import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code albert} (Lan et al. 2020): factorised embeddings and one layer group shared by all
 * layers. Only {@code num_hidden_groups = inner_group_num = 1} is supported, as in every released ALBERT.
 */
final class AlbertFamily implements HfFamily {
    private static final String GROUP = "encoder.albert_layer_groups.0.albert_layers.0.";
    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("attention.query", "attention.self.query"),
            Map.entry("attention.key", "attention.self.key"),
            Map.entry("attention.value", "attention.self.value"),
            Map.entry("attention.dense", "attention.output.dense"),
            Map.entry("attention.LayerNorm", "attention.output.LayerNorm"),
            Map.entry("ffn_output", "output.dense"),
            Map.entry("ffn", "intermediate.dense"),
            Map.entry("full_layer_layer_norm", "output.LayerNorm"));
    private static final Map<String, String> OTHER = Map.of(
            "encoder.embedding_hidden_mapping_in", "embeddings.projection",
            "pooler", "pooler.dense",
            "predictions.dense", "cls.predictions.transform.dense",
            "predictions.LayerNorm", "cls.predictions.transform.LayerNorm");

    @Override
    public String modelType() {
        return "albert";
    }

    @Override
    public EncoderConfig readConfig(JsonNode c, String source) {
        if (c.path("num_hidden_groups").asInt(1) != 1 || c.path("inner_group_num").asInt(1) != 1) {
            throw ShrinkException.corrupt(source + ": only num_hidden_groups = inner_group_num = 1 is supported");
        }
        String pos = HfFamily.text(c, "position_embedding_type", "absolute");
        if (!pos.equals("absolute")) {
            throw ShrinkException.corrupt(source + ": position_embedding_type '" + pos + "' is not supported");
        }
        int hidden = HfFamily.requireInt(c, "hidden_size", source);
        int heads = HfFamily.requireInt(c, "num_attention_heads", source);
        int headSize = HfFamily.headSize(hidden, heads, "hidden_size", "num_attention_heads", source);
        if (HfFamily.requireInt(c, "embedding_size", source) >= hidden) {
            throw ShrinkException.corrupt(source + ": embedding_size must be smaller than hidden_size");
        }
        return new EncoderConfig("albert", HfFamily.requireInt(c, "vocab_size", source), hidden,
                HfFamily.requireInt(c, "num_hidden_layers", source), heads, headSize,
                HfFamily.requireInt(c, "intermediate_size", source),
                HfFamily.requireInt(c, "max_position_embeddings", source),
                c.has("type_vocab_size") ? HfFamily.requireInt(c, "type_vocab_size", source) : 2,
                HfFamily.requireInt(c, "embedding_size", source), true, List.of(), List.of(),
                HfFamily.text(c, "hidden_act", "gelu_new"), HfFamily.number(c, "layer_norm_eps", 1e-12),
                HfFamily.number(c, "hidden_dropout_prob", 0.0), HfFamily.number(c, "attention_probs_dropout_prob", 0.0),
                c.path("pad_token_id").asInt(0));
    }

    @Override
    public String canonicalName(String hf) {
        String n = hf.startsWith("albert.") ? hf.substring(7) : hf;
        if (n.startsWith("predictions.decoder.") || n.endsWith("position_ids") || n.startsWith("sop_classifier")) {
            return null;
        }
        if (n.equals("predictions.bias")) {
            return "cls.predictions.bias";
        }
        if (n.startsWith(GROUP)) {
            String layer = HfFamily.renamePrefix(n.substring(GROUP.length()), LAYER, true);
            if (layer != null) {
                return "encoder.layer.0." + layer;
            }
        }
        String other = HfFamily.renamePrefix(n, OTHER, true);
        return other != null ? other : n;
    }

    @Override
    public String hfName(String canonical, HeadConfig head) {
        if (canonical.equals("cls.predictions.bias")) {
            return "predictions.bias";
        }
        String prefix = head.type().equals("none") ? "" : "albert.";
        if (canonical.startsWith("encoder.layer.0.")) {
            String layer = HfFamily.renamePrefix(canonical.substring("encoder.layer.0.".length()), LAYER, false);
            if (layer != null) {
                return prefix + GROUP + layer;
            }
        }
        String name = HfFamily.renamePrefix(canonical, OTHER, false);
        if (name != null) {
            return name.startsWith("predictions.") ? name : prefix + name;
        }
        return canonical.startsWith("embeddings.") ? prefix + canonical : canonical;
    }

    @Override
    public String architecture(HeadConfig head) {
        return HfFamily.architecture("Albert", head);
    }

    @Override
    public void writeConfig(EncoderConfig c, HeadConfig head, ObjectNode out) {
        HfFamily.requireStandard(c, "albert");
        if (!c.shareLayers()) {
            throw ShrinkException.usage("an albert checkpoint needs cross-layer sharing");
        }
        if ("pre_classifier".equals(head.pooling())) {
            throw ShrinkException.usage("DistilBERT-style pre_classifier pooling cannot be written as albert");
        }
        if (!c.factorisedEmbeddings()) {
            throw ShrinkException.usage("albert checkpoints always project embeddings; use embeddingSize < hiddenSize");
        }
        Map<String, Object> fields = BertFamily.configFields(c);
        fields.put("embedding_size", c.embeddingSize());
        fields.put("inner_group_num", 1);
        fields.put("num_hidden_groups", 1);
        HfFamily.putSorted(out, fields);
        HfFamily.writeLabels(head, out);
    }
}
