package io.shrink.commands;

import io.shrink.core.distill.CosineLayers;
import io.shrink.core.distill.LossTerm;
import io.shrink.core.distill.LossWeights;
import picocli.CommandLine.Option;

import java.util.EnumMap;
import java.util.Map;

/** {@code distill}'s loss weights and temperature; those not given take the general or task defaults. */
public final class LossWeightOptions {
    @Range(min = 0)
    @Option(names = "--alpha-ce", paramLabel = "W", description = "Soft-target cross-entropy weight, at least 0 (general 5.0, task 0.5); for a regression task (STS-B), the mean squared error to the teacher's score.")
    Double alphaCe;

    @Range(min = 0) @Option(names = "--alpha-mlm", paramLabel = "W", description = "Masked-LM loss weight, at least 0 (general 2.0).") Double alphaMlm;
    @Range(min = 0) @Option(names = "--alpha-cos", paramLabel = "W", description = "Cosine loss weight on hidden states, at least 0 (general 1.0, task 0).") Double alphaCos;

    @Option(names = "--cos-layers", paramLabel = "LAYERS", defaultValue = "last",
            description = "Hidden states the cosine loss compares (${COMPLETION-CANDIDATES}): last, as DistilBERT; mapped, every student layer with the teacher layer it came from, embeddings included, averaged (default: ${DEFAULT-VALUE}).")
    CosineLayers cosLayers;

    @Range(min = 0) @Option(names = "--alpha-mse", paramLabel = "W", description = "Hidden-state MSE weight on mapped layers, at least 0 (default 0).") Double alphaMse;
    @Range(min = 0) @Option(names = "--alpha-att", paramLabel = "W", description = "Attention KL weight on mapped layers, at least 0 (default 0).") Double alphaAtt;
    @Range(min = 0) @Option(names = "--alpha-hard", paramLabel = "W", description = "Gold-label loss weight, at least 0 (task 0.5).") Double alphaHard;
    @Range(min = 0, minExclusive = true)
    @Option(names = "--temperature", paramLabel = "T", description = "Softmax temperature of the soft targets, greater than 0 (default 2.0).") Double temperature;

    @Option(names = "--ce-masked-only", description = "General: soft targets only at masked positions (default: every real token).")
    boolean ceMaskedOnly;

    /** The weights in force for general ({@code general}) or task distillation. */
    LossWeights resolve(boolean general) {
        Map<LossTerm, Double> given = new EnumMap<>(LossTerm.class);
        given(given, LossTerm.CE, alphaCe);
        given(given, LossTerm.MLM, alphaMlm);
        given(given, LossTerm.COSINE, alphaCos);
        given(given, LossTerm.HIDDEN_MSE, alphaMse);
        given(given, LossTerm.ATTENTION, alphaAtt);
        given(given, LossTerm.HARD, alphaHard);
        return LossWeights.resolve(general, given, temperature, ceMaskedOnly, cosLayers);
    }

    private static void given(Map<LossTerm, Double> given, LossTerm term, Double weight) {
        if (weight != null) {
            given.put(term, weight);
        }
    }
}
