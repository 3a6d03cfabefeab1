package io.shrink.commands;

import picocli.CommandLine.Option;

/** {@code --json}: print the command's result as JSON instead of the text for people. */
public final class JsonOption {
    @Option(names = "--json", description = "Print the result as JSON, for scripts.") boolean json;
}
