package io.shrink.commands;

import io.shrink.core.util.Folders;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --run-dir/--out DIR}: the run folder, where result.json (and the run's other files) go. */
public final class RunDirOption {
    @Option(names = {"--run-dir", "--out"}, paramLabel = "DIR",
            description = "Run folder: result.json goes here, with the run's other files (predictions.jsonl, training "
                    + "checkpoints) (default: $SHRINK_RESULTS/<run-id>, else results/runs/<run-id>).") Path dir;

    /** The run folder given, or null; a usage error when it is, or lies under, a file. */
    Path checked() {
        return dir == null ? null : Folders.requireUsable(dir, "--run-dir");
    }
}
