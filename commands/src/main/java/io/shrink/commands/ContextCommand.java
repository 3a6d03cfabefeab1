package io.shrink.commands;

import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** What every shrink command that runs extends: it has the {@link CommandContext} mixed in once, here. */
abstract class ContextCommand implements Callable<Integer> {
    @Mixin CommandContext context;
}
