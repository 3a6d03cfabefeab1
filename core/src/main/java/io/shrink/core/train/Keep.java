package io.shrink.core.train;

import java.util.Locale;

/** Which weights a training run keeps ({@code --keep}): those of the best evaluation or of the last one. */
public enum Keep {
    /** The best evaluation's weights (a choice made on the dev set). */
    BEST,
    /** The end of training, Hugging Face Trainer's default ({@code load_best_model_at_end=False}). */
    LAST;

    /** The name as {@code --keep} takes it: {@code best} or {@code last}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
