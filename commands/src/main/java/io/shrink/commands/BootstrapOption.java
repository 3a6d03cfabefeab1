package io.shrink.commands;

import picocli.CommandLine.Option;

/** {@code --bootstrap N}: bootstrap resamples behind a run's 95% intervals. */
public final class BootstrapOption {
    @Range(min = 0)
    @Option(names = "--bootstrap", paramLabel = "N", defaultValue = "1000",
            description = "Bootstrap resamples for the 95%% intervals, at least 0; 0 = none (compare needs at least 1) "
                    + "(default: ${DEFAULT-VALUE}).") int bootstrap;
}
