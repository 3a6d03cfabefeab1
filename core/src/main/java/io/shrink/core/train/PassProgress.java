package io.shrink.core.train;

import java.util.Locale;

/**
 * Reports a long pass over examples that is not training (a teacher's outputs on a whole training set):
 * one phase of {@code examples} units, updated about every 5% of the batches and at the end, with the
 * examples per second so far, so a bar or a log shows how far it is and when it ends.
 */
public final class PassProgress {
    /** Updates in a whole pass, at most (plus the last). */
    static final int UPDATES = 20;

    private final Progress progress;
    private final int batches;
    private final int every;
    private final long started = System.nanoTime();
    private long examples;
    private int batchesDone;

    /**
     * Starts the phase.
     *
     * @param label    the phase's name, e.g. {@code teacher}
     * @param examples examples in the whole pass
     * @param batches  batches the pass makes of them
     */
    public PassProgress(Progress progress, String label, long examples, int batches) {
        this.progress = progress;
        this.batches = batches;
        this.every = Math.max(1, batches / UPDATES);
        progress.start(label, examples);
        progress.update(0, "started"); // marks the start, so the ETA of the first real report counts from here
    }

    /** A batch of {@code size} examples is done. */
    public void batchDone(int size) {
        examples += size;
        batchesDone++;
        if (batchesDone % every == 0 || batchesDone == batches) {
            double secs = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            progress.update(examples, String.format(Locale.ROOT, "%.1f ex/s", examples / secs));
        }
    }
}
