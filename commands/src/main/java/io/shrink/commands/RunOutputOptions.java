package io.shrink.commands;

import picocli.CommandLine.Mixin;

import java.nio.file.Path;

/** Where a run's result goes and how it is printed: {@code --out DIR} (the run folder) and {@code --json}. */
public final class RunOutputOptions {
    @Mixin RunDirOption runDir;
    @Mixin JsonOption json;

    /** The run folder given, or null for a new one under the default runs folder. */
    Path dir() {
        return runDir.checked();
    }

    /** Whether to print the result as JSON. */
    boolean json() {
        return json.json;
    }
}
