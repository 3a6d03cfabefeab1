package io.shrink.core.distill;

import java.util.Locale;

/**
 * One distillation loss term of {@link LossWeights}: its name in the recorded JSON, its command-line option, its
 * default weight in general and in task distillation, the mode it is limited to, and how a run's start line words it.
 * The constants are in the order {@link LossWeights#describe()} lists the terms.
 */
public enum LossTerm {
    /** Soft-target cross-entropy with the teacher at temperature T, times T² (regression: MSE to the teacher's score). */
    CE("ce", "--alpha-ce", 5.0, 0.5, null, "soft-target CE") {
        @Override
        String describe(LossWeights w, boolean regression) {
            return regression
                    ? String.format(Locale.ROOT, "teacher-score MSE %.2f", w.ce())
                    : String.format(Locale.ROOT, "soft-target CE %.2f (T=%.1f, x T^2%s)", w.ce(), w.temperature(),
                            w.ceMaskedOnly() ? ", masked positions only" : "");
        }
    },
    /** Masked-LM cross-entropy at the masked positions; general distillation only. */
    MLM("mlm", "--alpha-mlm", 2.0, 0, Boolean.TRUE, "masked-LM"),
    /** Cosine embedding loss between student and teacher hidden states. */
    COSINE("cosine", "--alpha-cos", 1.0, 0, null, "cosine") {
        @Override
        String describe(LossWeights w, boolean regression) {
            return super.describe(w, regression) + (w.cosineOnMappedLayers() ? " (mapped layers)" : "");
        }
    },
    /** Mean squared error between mapped student and teacher hidden states (TinyBERT). */
    HIDDEN_MSE("hiddenMse", "--alpha-mse", 0, 0, null, "hidden MSE"),
    /** KL divergence between mapped attention distributions (MiniLM). */
    ATTENTION("attention", "--alpha-att", 0, 0, null, "attention KL"),
    /** Cross-entropy with the gold labels (regression: MSE to the gold score); task distillation only. */
    HARD("hard", "--alpha-hard", 0, 0.5, Boolean.FALSE, "hard-label") {
        @Override
        String describe(LossWeights w, boolean regression) {
            return String.format(Locale.ROOT, regression ? "gold-score MSE %.2f" : "hard-label %.2f", w.hard());
        }
    };

    private final String key;
    private final String option;
    private final double generalDefault;
    private final double taskDefault;
    private final Boolean onlyGeneral;
    private final String label;

    LossTerm(String key, String option, double generalDefault, double taskDefault, Boolean onlyGeneral, String label) {
        this.key = key;
        this.option = option;
        this.generalDefault = generalDefault;
        this.taskDefault = taskDefault;
        this.onlyGeneral = onlyGeneral;
        this.label = label;
    }

    /** The term's name as {@link LossWeights}' JSON records it, e.g. {@code hiddenMse}. */
    public String key() {
        return key;
    }

    /** The {@code distill} option that sets the term's weight, e.g. {@code --alpha-mse}. */
    public String option() {
        return option;
    }

    /** The weight when not given: the DistilBERT recipe in general distillation, Hugging Face's task defaults otherwise. */
    public double defaultWeight(boolean general) {
        return general ? generalDefault : taskDefault;
    }

    /** Whether the term may have a weight in general ({@code general}) or task distillation. */
    public boolean appliesTo(boolean general) {
        return onlyGeneral == null || onlyGeneral == general;
    }

    /** The reason a non-zero weight is invalid in the mode it does not apply to. */
    String wrongModeMessage() {
        return Boolean.TRUE.equals(onlyGeneral)
                ? option + " applies to general distillation only (a raw-text --corpus)"
                : option + " needs labels: it applies to task distillation only";
    }

    /** The term in a run's start line, its weight non-zero. */
    String describe(LossWeights w, boolean regression) {
        return String.format(Locale.ROOT, "%s %.2f", label, w.weight(this));
    }
}
