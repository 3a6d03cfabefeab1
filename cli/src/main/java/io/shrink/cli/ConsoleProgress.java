package io.shrink.cli;

import io.shrink.core.train.Progress;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * Progress on standard error: a live JLine-drawn bar (with the status line, speed and ETA) when
 * standard error is a terminal, plain periodic lines with ETA otherwise (logs, CI, pipes).
 */
final class ConsoleProgress implements Progress {
    private final PrintStream err;
    private final boolean terminal;
    private ProgressBar bar;
    private String label = "shrink";
    private long total;
    private long startNanos;
    private long firstDone = -1;

    ConsoleProgress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * A progress reporter for this process: a bar when standard error is a terminal (the launcher tests it and
     * passes {@code -Dshrink.stderrTerminal}; without it, whether the process has a console), lines otherwise.
     */
    static ConsoleProgress forConsole() {
        String stderrTerminal = System.getProperty("shrink.stderrTerminal");
        boolean terminal = stderrTerminal != null ? Boolean.parseBoolean(stderrTerminal) : System.console() != null;
        return new ConsoleProgress(System.err, terminal && System.getenv("CI") == null);
    }

    @Override
    public void start(String phase, long units) {
        this.label = phase;
        this.total = units;
        this.startNanos = System.nanoTime();
        this.firstDone = -1;
        close();
    }

    @Override
    public void update(long done, String status) {
        if (terminal && bar == null) {
            // drawn from the first report, so a resumed run's bar starts at its step and its ETA counts only
            // the steps this process takes
            bar = new ProgressBarBuilder().setTaskName(label).setInitialMax(total).startsFrom(done, Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                    .setConsumer(new ConsoleProgressBarConsumer(err)).build();
        }
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage(" " + status);
            return;
        }
        if (firstDone < 0) {
            firstDone = done; // the first report marks where this process started (a resumed run's step)
        }
        double secs = (System.nanoTime() - startNanos) / 1e9;
        long doneHere = done - firstDone;
        if (doneHere == 0) {
            err.printf(Locale.ROOT, "[%s] %d/%d %s%n", label, done, total, status);
            err.flush();
            return;
        }
        String eta = doneHere > 0 && total > done ? format(Duration.ofSeconds((long) (secs / doneHere * (total - done)))) : "-";
        err.printf(Locale.ROOT, "[%s] %d/%d (%.0f%%) %s, elapsed %s, eta %s%n", label, done, total,
                total > 0 ? 100.0 * done / total : 0.0, status, format(Duration.ofSeconds((long) secs)), eta);
        err.flush();
    }

    @Override
    public void message(String line) {
        if (bar != null) {
            err.print("\r\033[2K");
        }
        err.println("[" + label + "] " + line);
        err.flush();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    static String format(Duration d) {
        long s = d.getSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
