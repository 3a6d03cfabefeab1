package io.shrink.core.checkpoint.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;

import java.util.List;
import java.util.Map;

/** Hugging Face {@code distilbert}: no token types, {@code q_lin}-style names, pre_classifier pooling. */
final class DistilBertFamily implements HfFamily {
    /** DistilBERT's per-layer names, HF suffix to canonical suffix. */
    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("attention.q_lin", "attention.self.query"),
            Map.entry("attention.k_lin", "attention.self.key"),
            Map.entry("attention.v_lin", "attention.self.value"),
            Map.entry("attention.out_lin", "attention.output.dense"),
            Map.entry("sa_layer_norm", "attention.output.LayerNorm"),
            Map.entry("ffn.lin1", "intermediate.dense"),
            Map.entry("ffn.lin2", "output.dense"),
            Map.entry("output_layer_norm", "output.LayerNorm"));
    private static final Map<String, String> HEAD = Map.of(
            "vocab_transform", "cls.predictions.transform.dense",
            "vocab_layer_norm", "cls.predictions.transform.LayerNorm");

    @Override
    public String modelType() {
        return "distilbert";
    }

    @Override
    public EncoderConfig readConfig(JsonNode c, String source) {
        if (c.path("sinusoidal_pos_embds").asBoolean(false)) {
            throw ShrinkException.corrupt(source + ": sinusoidal_pos_embds is not supported");
        }
        int dim = HfFamily.requireInt(c, "dim", source);
        int heads = HfFamily.requireInt(c, "n_heads", source);
        int headSize = HfFamily.headSize(dim, heads, "dim", "n_heads", source);
        return new EncoderConfig("distilbert", HfFamily.requireInt(c, "vocab_size", source), dim,
                HfFamily.requireInt(c, "n_layers", source), heads, headSize,
                HfFamily.requireInt(c, "hidden_dim", source), HfFamily.requireInt(c, "max_position_embeddings", source),
                0, dim, false, List.of(), List.of(), HfFamily.text(c, "activation", "gelu"), 1e-12,
                HfFamily.number(c, "dropout", 0.1), HfFamily.number(c, "attention_dropout", 0.1),
                c.path("pad_token_id").asInt(0));
    }

    @Override
    public String canonicalName(String hf) {
        String n = hf.startsWith("distilbert.") ? hf.substring("distilbert.".length()) : hf;
        if (n.startsWith("vocab_projector.weight") || n.endsWith("position_ids")) {
            return null;
        }
        if (n.equals("vocab_projector.bias")) {
            return "cls.predictions.bias";
        }
        if (n.startsWith("transformer.layer.")) {
            String rest = n.substring("transformer.layer.".length());
            int dot = rest.indexOf('.');
            if (dot < 0) {
                return n;
            }
            String idx = rest.substring(0, dot);
            String layer = HfFamily.renamePrefix(rest.substring(dot + 1), LAYER, true);
            return layer != null ? "encoder.layer." + idx + "." + layer : n;
        }
        String head = HfFamily.renamePrefix(n, HEAD, true);
        return head != null ? head : n;
    }

    @Override
    public String hfName(String canonical, HeadConfig head) {
        String prefix = head.type().equals("none") ? "" : "distilbert.";
        if (canonical.equals("cls.predictions.bias")) {
            return "vocab_projector.bias";
        }
        String headName = HfFamily.renamePrefix(canonical, HEAD, false);
        if (headName != null) {
            return headName;
        }
        if (canonical.startsWith("encoder.layer.")) {
            String rest = canonical.substring("encoder.layer.".length());
            int dot = rest.indexOf('.');
            String layer = HfFamily.renamePrefix(rest.substring(dot + 1), LAYER, false);
            if (layer != null) {
                return prefix + "transformer.layer." + rest.substring(0, dot) + "." + layer;
            }
        }
        if (canonical.startsWith("embeddings.")) {
            return prefix + canonical;
        }
        return canonical;
    }

    @Override
    public String architecture(HeadConfig head) {
        return HfFamily.architecture("DistilBert", head);
    }

    @Override
    public void writeConfig(EncoderConfig c, HeadConfig head, ObjectNode out) {
        HfFamily.requireStandard(c, "distilbert");
        if (c.typeVocabSize() != 0) {
            throw ShrinkException.usage("a distilbert checkpoint has no token-type embeddings; export it as bert");
        }
        if (c.factorisedEmbeddings() || c.shareLayers()) {
            throw ShrinkException.usage("factorised embeddings or shared layers need the albert family, not distilbert");
        }
        if ("pooler".equals(head.pooling())) {
            throw ShrinkException.usage("BERT-style pooler pooling cannot be written as distilbert");
        }
        if (Math.abs(c.layerNormEps() - 1e-12) > 1e-15) {
            throw ShrinkException.usage("distilbert checkpoints fix layer_norm_eps at 1e-12");
        }
        out.put("activation", c.hiddenAct());
        out.put("attention_dropout", c.attentionDropout());
        out.put("dim", c.hiddenSize());
        out.put("dropout", c.hiddenDropout());
        out.put("hidden_dim", c.intermediateSize());
        out.put("initializer_range", 0.02);
        out.put("max_position_embeddings", c.maxPositions());
        out.put("n_heads", c.numHeads());
        out.put("n_layers", c.numLayers());
        out.put("pad_token_id", c.padTokenId());
        out.put("qa_dropout", 0.1);
        out.put("seq_classif_dropout", 0.2);
        out.put("sinusoidal_pos_embds", false);
        out.put("tie_weights_", true);
        out.put("vocab_size", c.vocabSize());
        HfFamily.writeLabels(head, out);
    }
}
