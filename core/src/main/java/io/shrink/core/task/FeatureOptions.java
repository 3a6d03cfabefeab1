package io.shrink.core.task;

import io.shrink.core.ShrinkException;

/**
 * How examples become model inputs.
 *
 * @param maxLength      longest input in tokens (0: the task's default, {@link Task#defaultMaxLength()})
 * @param headTail       long single texts keep their first quarter and last three quarters instead of the head only
 * @param docStride      extractive QA: tokens shared by consecutive context windows
 * @param maxQueryLength extractive QA: longest question in tokens
 */
public record FeatureOptions(int maxLength, boolean headTail, int docStride, int maxQueryLength) {
    /** SQuAD's usual window overlap, as in Hugging Face's run_qa. */
    public static final int DOC_STRIDE = 128;
    /** SQuAD's usual longest question. */
    public static final int MAX_QUERY_LENGTH = 64;

    /** The defaults: the task's length, no head-and-tail, SQuAD's usual windows. */
    public static FeatureOptions defaults() {
        return new FeatureOptions(0, false, DOC_STRIDE, MAX_QUERY_LENGTH);
    }

    /** The same options with the length resolved against {@code task}'s default. */
    public FeatureOptions resolvedFor(Task task) {
        return maxLength > 0 ? this : withMaxLength(task.defaultMaxLength());
    }

    /** The same options with another length. */
    public FeatureOptions withMaxLength(int length) {
        return new FeatureOptions(length, headTail, docStride, maxQueryLength);
    }

    /**
     * A usage error unless {@code maxLength} is between 8 and {@code positions}, the positions of {@code whose}
     * model (e.g. "model 'bert-base'"); the upper bound of --max-length is only known once the model is.
     */
    public static void checkMaxLength(int maxLength, int positions, String whose) {
        if (maxLength < 8 || maxLength > positions) {
            throw ShrinkException.outOfRange("--max-length", "between 8 and " + positions + " (" + whose + " has "
                    + positions + " positions)", maxLength);
        }
    }
}
