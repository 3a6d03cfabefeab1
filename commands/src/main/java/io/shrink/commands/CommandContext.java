package io.shrink.commands;

import io.shrink.core.models.ModelService;
import io.shrink.core.train.Progress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

/**
 * What every command reaches through the root {@code shrink} command: the model service over the registry in
 * force, where to print, and progress reporting. Mixed into each command once, in {@link ContextCommand}; the only place
 * that looks up the root's user object. (It has no options; picocli takes a mixin by its {@code @Command}.)
 */
@Command
public final class CommandContext {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    private ShrinkCommand root() {
        return (ShrinkCommand) mixee.root().userObject();
    }

    /** The command this context is mixed into (for usage errors and for running other command lines). */
    CommandSpec spec() {
        return mixee;
    }

    /** A usage error (exit code 2) about this command's options. */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(mixee.commandLine(), message);
    }

    /** The registry directory in force ({@code --registry}, else the default). */
    Path registryHome() {
        return root().registryHome();
    }

    /** The model service over the registry in force. */
    ModelService models() {
        return new ModelService(registryHome());
    }

    /** Where this command prints. */
    Output output() {
        return new Output(mixee.commandLine().getOut(), mixee.commandLine().getErr(), root().quiet());
    }

    /** A progress reporter for a long-running phase; silent with {@code -q}. */
    Progress progress() {
        return root().newProgress();
    }
}
