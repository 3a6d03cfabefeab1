package io.shrink.core.distill;

import java.util.Locale;

/** Which hidden states the cosine distillation loss compares ({@code --cos-layers}); see {@link LossWeights#cosineLayers()}. */
public enum CosineLayers {
    /** The last hidden states only, as DistilBERT. */
    LAST,
    /** Every student layer with the teacher layer it came from, embeddings included, averaged. */
    MAPPED;

    /** The name as {@code --cos-layers} takes it and {@link LossWeights#cosineLayers()} records it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
