package io.shrink.core.model;

import io.shrink.core.ShrinkException;
import io.shrink.core.tensor.FloatTensor;

import java.util.Collection;
import java.util.Locale;

/**
 * Checks that weights are usable numbers before a model is imported, loaded for training or inference, or resumed:
 * every value finite and, for model weights, at most {@link #MAX_ABS} in magnitude. The bound is far above real
 * weights: the largest magnitudes in Google's BERT-base-uncased are 6.8 (an FFN output kernel), in all-MiniLM-L6-v2
 * 7.9 and in bge-small-en-v1.5 11.3 ({@code WeightChecksTest} measures BERT-base's); a value past it, like 1e30 in a
 * LayerNorm, only comes from corruption and makes every output NaN or Inf. A failed check is a
 * {@link ShrinkException#corrupt} naming the tensor, the first bad index and the value.
 */
public final class WeightChecks {
    /** The largest magnitude a model weight may have. */
    public static final float MAX_ABS = 1e4f;

    private WeightChecks() {
    }

    /**
     * A corrupt error for the first weight that is non-finite or past {@link #MAX_ABS}: prefixed with {@code where}
     * (the file or model), ending with {@code remedy} (what to do, e.g. "re-import the model").
     */
    public static void requireUsable(Collection<FloatTensor> tensors, String where, String remedy) {
        check(tensors, where, MAX_ABS, remedy);
    }

    /** A corrupt error, as {@link #requireUsable}, for the first value that is NaN or infinite (e.g. optimizer moments). */
    public static void requireFinite(Collection<FloatTensor> tensors, String where, String remedy) {
        check(tensors, where, Float.POSITIVE_INFINITY, remedy);
    }

    private static void check(Collection<FloatTensor> tensors, String where, float bound, String remedy) {
        for (FloatTensor t : tensors) {
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                float v = d[i];
                if (!(Math.abs(v) <= bound) || Float.isInfinite(v)) {
                    String what = Float.isNaN(v) || Float.isInfinite(v) ? "is " + v
                            : String.format(Locale.ROOT, "is %s, beyond the bound |x| <= %.0f of real weights", v, bound);
                    throw ShrinkException.corrupt(where + ": tensor " + t.name() + " " + t.shapeString() + " at index " + i
                            + " " + what + "; " + remedy);
                }
            }
        }
    }
}
