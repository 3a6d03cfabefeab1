package io.shrink.commands;

import io.shrink.core.util.Json;
import java.io.PrintWriter;

/** Where a command writes: results to standard output, progress to standard error unless quiet. */
final class Output {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean quiet;

    Output(PrintWriter out, PrintWriter err, boolean quiet) {
        this.out = out;
        this.err = err;
        this.quiet = quiet;
    }

    /** A result line. */
    void println(String line) {
        out.println(line);
        out.flush();
    }

    /** A value as JSON on standard output. */
    void json(Object value) {
        out.println(Json.write(value));
        out.flush();
    }

    /** Progress, suppressed by {@code -q}. */
    void progress(String line) {
        if (!quiet) {
            err.println(line);
            err.flush();
        }
    }

    /**
     * A training run's result as JSON ({@code json}), or how to continue it if it paused; false when neither, so
     * the caller prints the finished run for people.
     */
    boolean jsonOrPaused(io.shrink.core.results.RunResult r, boolean json) {
        if (json) {
            json(r);
        } else if (r.paused()) {
            pausedRun(r);
        } else {
            return false;
        }
        return true;
    }

    /** How to continue a training run that paused (--stop-after). */
    void pausedRun(io.shrink.core.results.RunResult r) {
        println("paused at step " + r.detailNumber("steps") + "; continue with the same command plus --run-dir "
                + r.detailText("runDir") + " --resume");
    }

    PrintWriter out() {
        return out;
    }
}
