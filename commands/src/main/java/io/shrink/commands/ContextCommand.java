package io.shrink.commands;

import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/**
 * What every shrink command that runs extends: it has the {@link CommandContext} mixed in once, here, and its
 * numeric options are checked against their {@link Range}s ({@link OptionRanges}) before {@link #execute()} runs.
 */
abstract class ContextCommand implements Callable<Integer> {
    @Mixin CommandContext context;

    @Override
    public final Integer call() {
        OptionRanges.check(context.spec());
        return execute();
    }

    /** Runs the command once its options are known to be valid; returns the exit code. */
    abstract Integer execute();
}
