package io.shrink.core.distill;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.shrink.core.ShrinkException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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

    /** The released DistilBERT recipe (Sanh et al. 2019): CE 5.0, MLM 2.0, cosine 1.0, T = 2. */
    public static final LossWeights GENERAL = new LossWeights(5.0, 2.0, 1.0, 0, 0, 0, 2.0, false);
    /**
     * Task-specific distillation with the defaults of Hugging Face's {@code run_squad_w_distillation.py}
     * (the script behind DistilBERT's SQuAD student): soft targets 0.5, gold labels 0.5, T = 2.
     */
    public static final LossWeights TASK = new LossWeights(0.5, 0, 0, 0, 0, 0.5, 2.0, false);

    /** The defaults of a mode with any given value (non-null) replacing the default. */
    public static LossWeights resolve(boolean general, Double ce, Double mlm, Double cosine, Double hiddenMse,
                                      Double attention, Double hard, Double temperature, boolean ceMaskedOnly) {
        return resolve(general, ce, mlm, cosine, hiddenMse, attention, hard, temperature, ceMaskedOnly, (String) null);
    }

    /** As {@link #resolve(boolean, Double, Double, Double, Double, Double, Double, Double, boolean)}, with the cosine layers (null: last). */
    public static LossWeights resolve(boolean general, Double ce, Double mlm, Double cosine, Double hiddenMse,
                                      Double attention, Double hard, Double temperature, boolean ceMaskedOnly,
                                      String cosineLayers) {
        LossWeights d = general ? GENERAL : TASK;
        return new LossWeights(or(ce, d.ce), or(mlm, d.mlm), or(cosine, d.cosine), or(hiddenMse, d.hiddenMse),
                or(attention, d.attention), or(hard, d.hard), or(temperature, d.temperature), ceMaskedOnly,
                cosineLayers == null ? LAST : cosineLayers.toLowerCase(Locale.ROOT));
    }

    /** As {@link #resolve(boolean, Double, Double, Double, Double, Double, Double, Double, boolean, String)}, typed. */
    public static LossWeights resolve(boolean general, Double ce, Double mlm, Double cosine, Double hiddenMse,
                                      Double attention, Double hard, Double temperature, boolean ceMaskedOnly,
                                      CosineLayers cosineLayers) {
        return resolve(general, ce, mlm, cosine, hiddenMse, attention, hard, temperature, ceMaskedOnly,
                cosineLayers == null ? null : cosineLayers.toString());
    }

    /** Whether the cosine loss compares every mapped pair of hidden states rather than the last ones. */
    public boolean cosineOnMappedLayers() {
        return MAPPED.equals(cosineLayers);
    }

    private static double or(Double v, double d) {
        return v != null ? v : d;
    }

    /** Checks the weights for a mode; a usage error lists every problem. */
    public LossWeights validate(boolean general) {
        List<String> bad = new ArrayList<>();
        for (double w : new double[] {ce, mlm, cosine, hiddenMse, attention, hard}) {
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
        if (ce + mlm + cosine + hiddenMse + attention + hard <= 0) {
            bad.add("every loss weight is 0");
        }
        if (general && hard > 0) {
            bad.add("--alpha-hard needs labels: it applies to task distillation only");
        }
        if (!general && mlm > 0) {
            bad.add("--alpha-mlm applies to general distillation only (a raw-text --corpus)");
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
        if (ce > 0 && regression) {
            parts.add(String.format(Locale.ROOT, "teacher-score MSE %.2f", ce));
        } else if (ce > 0) {
            parts.add(String.format(Locale.ROOT, "soft-target CE %.2f (T=%.1f, x T^2%s)", ce, temperature,
                    ceMaskedOnly ? ", masked positions only" : ""));
        }
        if (mlm > 0) {
            parts.add(String.format(Locale.ROOT, "masked-LM %.2f", mlm));
        }
        if (cosine > 0) {
            parts.add(String.format(Locale.ROOT, "cosine %.2f%s", cosine, cosineOnMappedLayers() ? " (mapped layers)" : ""));
        }
        if (hiddenMse > 0) {
            parts.add(String.format(Locale.ROOT, "hidden MSE %.2f", hiddenMse));
        }
        if (attention > 0) {
            parts.add(String.format(Locale.ROOT, "attention KL %.2f", attention));
        }
        if (hard > 0) {
            parts.add(String.format(Locale.ROOT, regression ? "gold-score MSE %.2f" : "hard-label %.2f", hard));
        }
        return String.join(", ", parts);
    }
}
