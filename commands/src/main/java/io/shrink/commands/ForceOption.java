package io.shrink.commands;

import picocli.CommandLine.Option;

/** {@code -f/--force}: replace a registry model that has the id the command would create. */
public final class ForceOption {
    @Option(names = {"-f", "--force"}, description = "Replace an existing registry model with the same id.") boolean force;
}
