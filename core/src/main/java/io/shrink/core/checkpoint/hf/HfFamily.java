package io.shrink.core.checkpoint.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.shrink.core.ShrinkException;
import io.shrink.core.model.EncoderConfig;
import io.shrink.core.model.HeadConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one Hugging Face {@code model_type} names its config fields and parameters. Adding a family is one
 * implementation plus one line in {@link HfFamilies}.
 */
public interface HfFamily {

    /** The {@code model_type} in config.json, e.g. {@code bert}. */
    String modelType();

    /** Reads the encoder shape from a config.json; {@code source} names the file in errors. */
    EncoderConfig readConfig(JsonNode config, String source);

    /** The canonical name of a Hugging Face parameter, or null for one shrink drops (tied copies, buffers, NSP). */
    String canonicalName(String hfName);

    /** The Hugging Face name of a canonical parameter under the given head. */
    String hfName(String canonical, HeadConfig head);

    /** The class name transformers instantiates for this head, e.g. {@code BertForMaskedLM}. */
    String architecture(HeadConfig head);

    /** Fills a config.json for this shape and head; throws a usage error for shapes the family cannot express. */
    void writeConfig(EncoderConfig config, HeadConfig head, ObjectNode out);

    /** An int field that must be present and positive (or zero where allowed). */
    static int requireInt(JsonNode config, String field, String source) {
        JsonNode n = config.get(field);
        if (n == null || !n.canConvertToInt() || n.asInt() < 0) {
            throw ShrinkException.corrupt(source + ": config field '" + field + "' is missing or not a valid integer");
        }
        return n.asInt();
    }

    /** {@code hidden / heads}, or a corrupt-config error naming both fields when heads do not divide hidden. */
    static int headSize(int hidden, int heads, String hiddenField, String headsField, String source) {
        if (heads == 0 || hidden % heads != 0) {
            throw ShrinkException.corrupt(source + ": " + hiddenField + " " + hidden + " is not a multiple of "
                    + headsField + " " + heads);
        }
        return hidden / heads;
    }

    /**
     * Renames the first entry of {@code renames} whose name, followed by a dot, starts {@code name}: from key to
     * value when {@code forward}, from value to key otherwise. Null when no entry matches.
     */
    static String renamePrefix(String name, Map<String, String> renames, boolean forward) {
        for (Map.Entry<String, String> e : renames.entrySet()) {
            String from = forward ? e.getKey() : e.getValue();
            String to = forward ? e.getValue() : e.getKey();
            if (name.startsWith(from + ".")) {
                return to + name.substring(from.length());
            }
        }
        return null;
    }

    /** The transformers class for a head, e.g. {@code BertForMaskedLM} for class prefix {@code Bert}. */
    static String architecture(String classPrefix, HeadConfig head) {
        return classPrefix + switch (head.type()) {
            case "mlm" -> "ForMaskedLM";
            case "classification", "regression" -> "ForSequenceClassification";
            case "qa" -> "ForQuestionAnswering";
            default -> "Model";
        };
    }

    /**
     * Puts config fields in key order (config.json lists them alphabetically); values are Integer, Double,
     * String or Boolean.
     */
    static void putSorted(ObjectNode out, Map<String, Object> fields) {
        for (Map.Entry<String, Object> e : new TreeMap<>(fields).entrySet()) {
            Object v = e.getValue();
            if (v instanceof Integer i) {
                out.put(e.getKey(), i.intValue());
            } else if (v instanceof Double d) {
                out.put(e.getKey(), d.doubleValue());
            } else if (v instanceof Boolean b) {
                out.put(e.getKey(), b.booleanValue());
            } else {
                out.put(e.getKey(), (String) v);
            }
        }
    }

    /** A number field with a default. */
    static double number(JsonNode config, String field, double fallback) {
        JsonNode n = config.get(field);
        return n != null && n.isNumber() ? n.asDouble() : fallback;
    }

    /** A text field with a default. */
    static String text(JsonNode config, String field, String fallback) {
        JsonNode n = config.get(field);
        return n != null && n.isTextual() ? n.asText() : fallback;
    }

    /**
     * Reads the head from {@code architectures}, {@code problem_type}, {@code id2label}; null when absent.
     * Heads shrink does not implement are refused rather than silently dropped.
     */
    static HeadConfig readHead(JsonNode config, String pooling, String source) {
        if ("multi_label_classification".equals(text(config, "problem_type", ""))) {
            throw ShrinkException.corrupt(source + ": multi-label classification heads are not supported");
        }
        if (!config.path("tie_word_embeddings").asBoolean(true)) {
            throw ShrinkException.corrupt(source + ": an MLM decoder not tied to the word embeddings "
                    + "(tie_word_embeddings: false) is not supported");
        }
        JsonNode arch = config.path("architectures").path(0);
        if (!arch.isTextual()) {
            return null;
        }
        String a = arch.asText();
        if (a.endsWith("ForMaskedLM") || a.endsWith("ForPreTraining")) {
            return HeadConfig.mlm();
        }
        if (a.endsWith("ForQuestionAnswering")) {
            return new HeadConfig("qa", null, List.of());
        }
        if (a.endsWith("ForSequenceClassification")) {
            List<String> labels = labels(config);
            boolean regression = "regression".equals(text(config, "problem_type", ""))
                    || (labels.size() == 1 && !"single_label_classification".equals(text(config, "problem_type", "")));
            return regression ? new HeadConfig("regression", pooling, labels)
                    : new HeadConfig("classification", pooling, labels);
        }
        if (a.endsWith("Model")) {
            return HeadConfig.none();
        }
        throw ShrinkException.corrupt(source + ": architecture " + a + " is not supported (supported: *Model, "
                + "*ForMaskedLM, *ForPreTraining, *ForSequenceClassification, *ForQuestionAnswering)");
    }

    /** Labels from {@code id2label} in id order, or {@code LABEL_i} for {@code num_labels}. */
    static List<String> labels(JsonNode config) {
        Map<Integer, String> byId = new TreeMap<>();
        JsonNode id2label = config.get("id2label");
        if (id2label != null && id2label.isObject()) {
            id2label.fields().forEachRemaining(e -> {
                try {
                    byId.put(Integer.parseInt(e.getKey()), e.getValue().asText());
                } catch (NumberFormatException ex) {
                    throw ShrinkException.corrupt("config id2label key '" + e.getKey() + "' is not an integer");
                }
            });
        }
        List<String> labels = new ArrayList<>(byId.values());
        if (labels.isEmpty()) {
            int n = config.path("num_labels").asInt(2);
            for (int i = 0; i < n; i++) {
                labels.add("LABEL_" + i);
            }
        }
        return labels;
    }

    /** Writes {@code id2label}, {@code label2id} and {@code problem_type} for classification and regression heads. */
    static void writeLabels(HeadConfig head, ObjectNode out) {
        if (!head.type().equals("classification") && !head.type().equals("regression")) {
            return;
        }
        List<String> labels = head.labels().isEmpty() ? List.of("LABEL_0") : head.labels();
        ObjectNode id2label = out.putObject("id2label");
        ObjectNode label2id = out.putObject("label2id");
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        out.put("problem_type", head.type().equals("regression") ? "regression" : "single_label_classification");
    }

    /** Fails with a usage error when a per-layer-pruned or non-standard shape cannot be written in this family. */
    static void requireStandard(EncoderConfig c, String family) {
        if (!c.homogeneous()) {
            throw ShrinkException.usage("a model with per-layer head counts or FFN widths cannot be written as a "
                    + family + " Hugging Face checkpoint");
        }
        if (c.headSize() * c.numHeads() != c.hiddenSize()) {
            throw ShrinkException.usage("head size " + c.headSize() + " x " + c.numHeads()
                    + " heads != hidden size " + c.hiddenSize() + ": not expressible as a " + family + " checkpoint");
        }
    }
}
