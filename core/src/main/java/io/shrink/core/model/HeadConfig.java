package io.shrink.core.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;

import java.util.List;
import java.util.Locale;

/**
 * Which head sits on top of the encoder.
 *
 * @param type    {@code none} (bare encoder), {@code mlm} (masked-LM, decoder tied to the word embeddings),
 *                {@code classification}, {@code regression} or {@code qa} (extractive span start/end)
 * @param pooling for classification and regression: {@code pooler} (BERT: tanh dense on [CLS]) or
 *                {@code pre_classifier} (DistilBERT: relu dense on [CLS]); null otherwise
 * @param labels  class names for classification (their order is the logit order); one name for regression
 */
@JsonPropertyOrder({"type", "pooling", "labels"})
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record HeadConfig(String type, String pooling, List<String> labels) {

    /** Head types this encoder implements. */
    public static final List<String> TYPES = List.of("none", "mlm", "classification", "regression", "qa");

    public HeadConfig {
        type = type == null ? "none" : type.toLowerCase(Locale.ROOT);
        labels = labels == null ? List.of() : List.copyOf(labels);
        if (!TYPES.contains(type)) {
            throw ShrinkException.corrupt("unknown head type '" + type + "' (known: " + String.join(", ", TYPES) + ")");
        }
        if ((type.equals("classification") || type.equals("regression"))) {
            if (pooling == null) {
                pooling = "pooler";
            }
            if (!pooling.equals("pooler") && !pooling.equals("pre_classifier")) {
                throw ShrinkException.corrupt("unknown pooling '" + pooling + "' (known: pooler, pre_classifier)");
            }
        } else {
            pooling = null;
        }
    }

    /** The bare encoder. */
    public static HeadConfig none() {
        return new HeadConfig("none", null, List.of());
    }

    /** The masked-LM head. */
    public static HeadConfig mlm() {
        return new HeadConfig("mlm", null, List.of());
    }

    /** Number of outputs of the head's final layer (0 for none and mlm, 2 for qa). */
    public int numOutputs() {
        return switch (type) {
            case "classification" -> labels.size();
            case "regression" -> 1;
            case "qa" -> 2;
            default -> 0;
        };
    }
}
