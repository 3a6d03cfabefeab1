package io.shrink.core.train;

/**
 * Where long-running work reports how far it is: a live bar on a terminal, plain periodic log lines
 * otherwise. The library reports; the command line decides how it looks.
 */
public interface Progress extends AutoCloseable {
    /** Reports nothing. */
    Progress NONE = new Progress() {
        @Override
        public void start(String label, long total) {
        }

        @Override
        public void update(long done, String status) {
        }

        @Override
        public void message(String line) {
        }

        @Override
        public void close() {
        }
    };

    /** Begins a phase of {@code total} units (e.g. optimizer steps). */
    void start(String label, long total);

    /** {@code done} units are finished; {@code status} is a short line such as loss, learning rate and speed. */
    void update(long done, String status);

    /** A line of its own (evaluation results, checkpoints). */
    void message(String line);

    @Override
    void close();

    /** Makes a {@link Progress} for a phase. */
    @FunctionalInterface
    interface Factory {
        Progress create();
    }
}
