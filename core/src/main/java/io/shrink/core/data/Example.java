package io.shrink.core.data;

import java.nio.file.Path;

/**
 * One example of a text classification or regression data set, as the loaders read it: one or two texts,
 * a label or a target, and where it came from so that errors and predictions can point back to the file.
 *
 * @param id     the example's id: the file's id column where it has one, else its 0-based row index
 * @param index  0-based row index within the split (header excluded)
 * @param textA  the first (or only) text
 * @param textB  the second text of a pair task, or null for single-text tasks
 * @param label  the class index into the task's label list, or {@link #UNLABELLED} (also for regression)
 * @param target the regression target (STS-B score), or {@code NaN} for classification or unlabelled rows
 * @param file   the file the example was read from
 * @param line   the 1-based line of {@code file} it was read from
 */
public record Example(String id, int index, String textA, String textB, int label, double target, Path file, int line) {
    /** The label of an example without one (unlabelled test splits and regression tasks). */
    public static final int UNLABELLED = -1;

    /** Whether the example has a gold label or target. */
    public boolean labelled() {
        return label != UNLABELLED || !Double.isNaN(target);
    }

    /** Whether the example is a text pair. */
    public boolean pair() {
        return textB != null;
    }

    /** {@code file:line}, for messages. */
    public String source() {
        return file + ":" + line;
    }
}
