package io.shrink.core.distill;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * BERT's masked-LM corruption (Devlin et al. 2019), as Hugging Face's language-modelling collator does it:
 * each real, non-special token is selected with probability {@code rate} (15%); a selected token becomes
 * [MASK] 80% of the time, a random vocabulary token 10% and stays unchanged 10%. A sequence with no
 * selected token gets one, so every sequence contributes to the loss. The same {@link Random} state gives
 * the same corruption, which keeps resumed runs exact.
 */
public final class MlmMasking {
    /** The share of tokens selected for prediction. */
    public static final double RATE = 0.15;

    private final int maskId;
    private final int vocabSize;
    private final Set<Integer> special;
    private final double rate;

    /**
     * @param maskId    the [MASK] token id
     * @param vocabSize random replacements are drawn uniformly from {@code [0, vocabSize)}
     * @param special   ids never selected ([CLS], [SEP], [PAD])
     * @param rate      selection probability
     */
    public MlmMasking(int maskId, int vocabSize, Set<Integer> special, double rate) {
        if (!(rate > 0 && rate < 1)) {
            throw new IllegalArgumentException("masking rate " + rate);
        }
        this.maskId = maskId;
        this.vocabSize = vocabSize;
        this.special = Set.copyOf(special);
        this.rate = rate;
    }

    /**
     * A corrupted sequence and what the model must predict.
     *
     * @param ids       the input ids after corruption
     * @param positions indices of the selected tokens, ascending
     * @param labels    the original ids at {@code positions}
     */
    public record Masked(int[] ids, int[] positions, int[] labels) {
    }

    /** Corrupts one sequence. */
    public Masked apply(int[] original, Random rnd) {
        int[] ids = original.clone();
        List<Integer> chosen = new ArrayList<>();
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (special.contains(ids[i])) {
                continue;
            }
            candidates.add(i);
            if (rnd.nextDouble() < rate) {
                chosen.add(i);
            }
        }
        if (chosen.isEmpty() && !candidates.isEmpty()) {
            chosen.add(candidates.get(rnd.nextInt(candidates.size())));
        }
        int[] positions = new int[chosen.size()];
        int[] labels = new int[chosen.size()];
        for (int k = 0; k < chosen.size(); k++) {
            int i = chosen.get(k);
            positions[k] = i;
            labels[k] = original[i];
            double r = rnd.nextDouble();
            if (r < 0.8) {
                ids[i] = maskId;
            } else if (r < 0.9) {
                ids[i] = rnd.nextInt(vocabSize);
            }
        }
        return new Masked(ids, positions, labels);
    }
}
