package io.shrink.commands;

import picocli.CommandLine.Parameters;

/** {@code MODEL}: the registry id of the model a command works on, its first positional parameter. */
public final class ModelParameter {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Registry id of the model.") String id;
}
