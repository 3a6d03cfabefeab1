package io.shrink.cli;

import io.shrink.commands.ShrinkCommand;
import io.shrink.core.ShrinkException;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * The {@code shrink} entry point: builds the command tree, maps failures to the documented exit codes
 * and one-line messages, and is the only place that calls {@link System#exit}.
 */
public final class Main {
    /** Exit code of a failed run. */
    public static final int FAILED = 1;
    /** Exit code of a usage error or invalid recipe. */
    public static final int USAGE = 2;
    /** Exit code of a missing or corrupt model, checkpoint or data file. */
    public static final int MISSING_OR_CORRUPT = 3;

    /** Width of help text: fixed, so help reads the same everywhere and golden files stay stable. */
    static final int HELP_WIDTH = 110;

    private Main() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }

    /** Runs the command line with the given streams and returns the exit code (testable in-process). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = commandLine(out, err);
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("shrink: out of memory; give the JVM more with SHRINK_OPTS=-Xmx8g");
            return FAILED;
        } catch (Throwable e) {
            err.println("shrink: internal error: " + e);
            return FAILED;
        }
    }

    /** Every subcommand lists the same exit codes as the root in its help. */
    private static void shareExitCodes(CommandLine cl, CommandLine.Model.UsageMessageSpec root) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.getCommandSpec().usageMessage().exitCodeListHeading(root.exitCodeListHeading())
                    .exitCodeList(root.exitCodeList());
            shareExitCodes(sub, root);
        }
    }

    /** The configured command tree. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        ShrinkCommand root = new ShrinkCommand();
        root.progressFactory(ConsoleProgress::forConsole);
        CommandLine cli = new CommandLine(root);
        cli.addSubcommand("shell", new ShellCommand(() -> TerminalBuilder.builder().system(true).build()));
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setUsageHelpWidth(HELP_WIDTH);
        shareExitCodes(cli, cli.getCommandSpec().usageMessage());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable cause = ex;
            while (!(cause instanceof ShrinkException) && cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
            PrintWriter e = commandLine.getErr();
            if (cause instanceof ShrinkException se) {
                e.println("shrink: " + se.getMessage());
                if (root.verbose()) {
                    ex.printStackTrace(e);
                }
                return switch (se.kind()) {
                    case USAGE -> USAGE;
                    case MISSING_OR_CORRUPT -> MISSING_OR_CORRUPT;
                    case FAILED -> FAILED;
                };
            }
            e.println("shrink: internal error: " + ex + (root.verbose() ? "" : " (run with -v for details)"));
            if (root.verbose()) {
                ex.printStackTrace(e);
            }
            return FAILED;
        });
        return cli;
    }
}
