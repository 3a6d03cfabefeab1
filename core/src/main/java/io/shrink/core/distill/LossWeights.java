package io.shrink.core.distill;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The weight of each distillation loss term (0 switches a term off) and the softmax temperature.
 *
 * @param ce           soft-target cross-entropy with the teacher at temperature T, times T² (for a regression
 *                     task: mean squared error to the teacher's score)
 * @param mlm          masked-LM cross-entropy at the masked positions (15% of the real tokens; general distillation only)
 * @param cosine       cosine embedding loss between student and teacher hidden states (padding masked)
 * @param hiddenMse    mean squared error between mapped student and teacher hidden states (TinyBERT)
 * @param attention    KL divergence between mapped attention distributions (MiniLM)
 * @param hard         cross-entropy with the gold labels (mean squared error for regression); task distillation only
 * @param temperature  softmax temperature T of the soft targets
 * @param ceMaskedOnly general distillation: soft targets only at the masked positions (default: every real token)
 * @param cosineLayers which hidden states the cosine loss compares: {@link #LAST} (DistilBERT: the last layer's) or
 *                     {@link #MAPPED} (every mapped pair of layers, embeddings included, averaged)
 */
@JsonPropertyOrder({"ce", "mlm", "cosine", "cosineLayers", "hiddenMse", "attention", "hard", "temperature", "ceMaskedOnly"})
public record LossWeights(double ce, double mlm, double cosine, double hiddenMse, double attention, double hard,
                          double temperature, boolean ceMaskedOnly, String cosineLayers) {
    /** {@link #cosineLayers}: the last hidden states only, as DistilBERT. */
    public static final String LAST = "last";
    /** {@link #cosineLayers}: every mapped pair of hidden states, averaged. */
    public static final String MAPPED = "mapped";

    /** Weights whose cosine loss compares the last hidden states. */
    public LossWeights(double ce, double mlm, double cosine, double hiddenMse, double attention, double hard,
                       double temperature, boolean ceMaskedOnly) {
        this(ce, mlm, cosine, hiddenMse, attention, hard, temperature, ceMaskedOnly, LAST);
    }

    /** The default softmax temperature of both modes. */
    private static final double DEFAULT_TEMPERATURE = 2.0;

    /** The released DistilBERT recipe (Sanh et al. 2019): CE 5.0, MLM 2.0, cosine 1.0, T = 2. */
    public static final LossWeights GENERAL = resolve(true, Map.of(), null, false, null);
    /**
     * Task-specific distillation with the defaults of Hugging Face's {@code run_squad_w_distillation.py}
     * (the script behind DistilBERT's SQuAD student): soft targets 0.5, gold labels 0.5, T = 2.
     */
    public static final LossWeights TASK = resolve(false, Map.of(), null, false, null);

    /**
     * The defaults of a mode ({@link LossTerm#defaultWeight}) with each given weight (a null value: the default)
     * replacing its term's; a null temperature is the default 2.0, null cosine layers {@link CosineLayers#LAST}.
     */
    public static LossWeights resolve(boolean general, Map<LossTerm, Double> given, Double temperature,
                                      boolean ceMaskedOnly, CosineLayers cosineLayers) {
        EnumMap<LossTerm, Double> w = new EnumMap<>(LossTerm.class);
        for (LossTerm term : LossTerm.values()) {
            Double v = given == null ? null : given.get(term);
            w.put(term, v != null ? v : term.defaultWeight(general));
        }
        return new LossWeights(w.get(LossTerm.CE), w.get(LossTerm.MLM), w.get(LossTerm.COSINE),
                w.get(LossTerm.HIDDEN_MSE), w.get(LossTerm.ATTENTION), w.get(LossTerm.HARD),
                temperature != null ? temperature : DEFAULT_TEMPERATURE, ceMaskedOnly,
                cosineLayers == null ? LAST : cosineLayers.toString());
    }

    /** The weight of one term. */
    public double weight(LossTerm term) {
        return switch (term) {
            case CE -> ce;
            case MLM -> mlm;
            case COSINE -> cosine;
            case HIDDEN_MSE -> hiddenMse;
            case ATTENTION -> attention;
            case HARD -> hard;
        };
    }

    /** Whether the cosine loss compares every mapped pair of hidden states rather than the last ones. */
    public boolean cosineOnMappedLayers() {
        return MAPPED.equals(cosineLayers);
    }

    /** Checks the weights for a mode; a usage error lists every problem. */
    public LossWeights validate(boolean general) {
        List<String> bad = new ArrayList<>();
        for (LossTerm term : LossTerm.values()) {
            double w = weight(term);
            if (!(w >= 0) || Double.isInfinite(w)) {
                bad.add("loss weights must be finite and >= 0");
                break;
            }
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            bad.add("temperature " + temperature + " (expected > 0)");
        }
        if (!LAST.equals(cosineLayers) && !MAPPED.equals(cosineLayers)) {
            bad.add("--cos-layers must be last or mapped, not '" + cosineLayers + "'");
        }
        double sum = 0;
        for (LossTerm term : LossTerm.values()) {
            sum += weight(term);
        }
        if (sum <= 0) {
            bad.add("every loss weight is 0");
        }
        for (LossTerm term : LossTerm.values()) {
            if (!term.appliesTo(general) && weight(term) > 0) {
                bad.add(term.wrongModeMessage());
            }
        }
        if (!bad.isEmpty()) {
            throw ShrinkException.usage("invalid distillation losses: " + String.join("; ", bad));
        }
        return this;
    }

    /** Whether any term needs the teacher's hidden states or attention (an online teacher forward pass). */
    public boolean needsTeacherStates() {
        return cosine > 0 || hiddenMse > 0 || attention > 0;
    }

    /** One line for the start of a run, e.g. {@code ce 5.0 (T=2.0), mlm 2.0, cos 1.0}. */
    public String describe() {
        return describe(false);
    }

    /**
     * The name of the teacher term in live progress: {@code ce} for a soft-target cross-entropy, {@code teacher-mse}
     * on a regression task (STS-B), where the student matches the teacher's score by mean squared error.
     */
    public static String softTermName(boolean regression) {
        return regression ? "teacher-mse" : "ce";
    }

    /**
     * As {@link #describe()}; for a regression task (STS-B) the soft target is the teacher's score, matched by mean
     * squared error without a temperature, and the gold labels are scores too, and the line says so.
     */
    public String describe(boolean regression) {
        List<String> parts = new ArrayList<>();
        for (LossTerm term : LossTerm.values()) {
            if (weight(term) > 0) {
                parts.add(term.describe(this, regression));
            }
        }
        return String.join(", ", parts);
    }
}
