package io.shrink.core.train;

import java.util.Arrays;
import java.util.Locale;

/**
 * Reports a long pass over examples that is not training (a teacher's outputs on a whole training set):
 * one phase, updated about every 5% of the batches and at the end, with the examples per second so far, so a
 * bar or a log shows how far it is and when it ends.
 *
 * <p>Batches that cost about the same make a phase counted in examples. Batches sorted by length cost more
 * towards the end (a teacher pass over SST-2 by examples said "eta 0:05:16" after 5% of them and took 18.5
 * minutes), so such a pass is counted in padded tokens ({@link #weighted}): the bar and its ETA follow the
 * work, and the status says how many examples are done.
 */
public final class PassProgress {
    /** Updates in a whole pass, at most (plus the last). */
    static final int UPDATES = 20;

    private final Progress progress;
    private final long totalExamples;
    private final int batches;
    private final long[] batchTokens; // null: counted in examples
    private final int every;
    private final long started = System.nanoTime();
    private long examples;
    private long done;
    private int batchesDone;

    private PassProgress(Progress progress, String label, long examples, int batches, long[] batchTokens) {
        this.progress = progress;
        this.totalExamples = examples;
        this.batches = batches;
        this.batchTokens = batchTokens;
        this.every = Math.max(1, batches / UPDATES);
        progress.start(label, batchTokens == null ? examples : Arrays.stream(batchTokens).sum());
        progress.update(0, "started"); // marks the start, so the ETA of the first real report counts from here
    }

    /**
     * Starts a phase counted in examples, for batches that cost about the same.
     *
     * @param label    the phase's name, e.g. {@code teacher}
     * @param examples examples in the whole pass
     * @param batches  batches the pass makes of them
     */
    public PassProgress(Progress progress, String label, long examples, int batches) {
        this(progress, label, examples, batches, null);
    }

    /**
     * Starts a phase counted in padded tokens, for batches whose cost grows with their length.
     *
     * @param label       the phase's name, e.g. {@code teacher}
     * @param examples    examples in the whole pass
     * @param batchTokens padded tokens (batch size x longest input) of each batch, in the order they run
     */
    public static PassProgress weighted(Progress progress, String label, long examples, long[] batchTokens) {
        return new PassProgress(progress, label, examples, batchTokens.length, batchTokens.clone());
    }

    /** A batch of {@code size} examples is done. */
    public void batchDone(int size) {
        examples += size;
        done += batchTokens == null ? size : batchTokens[batchesDone];
        batchesDone++;
        if (batchesDone % every == 0 || batchesDone == batches) {
            double secs = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            String rate = String.format(Locale.ROOT, "%.1f ex/s", examples / secs);
            progress.update(done, batchTokens == null ? rate : examples + "/" + totalExamples + " examples, " + rate);
        }
    }
}
