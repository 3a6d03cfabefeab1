package io.shrink.commands;

import io.shrink.core.util.Json;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;

/** Where a command writes: results to standard output, progress to standard error unless quiet. */
final class Output {
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean quiet;

    Output(CommandSpec spec, ShrinkCommand root) {
        this.out = spec.commandLine().getOut();
        this.err = spec.commandLine().getErr();
        this.quiet = root.quiet();
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

    PrintWriter out() {
        return out;
    }
}
