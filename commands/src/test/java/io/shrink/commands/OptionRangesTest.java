package io.shrink.commands;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every numeric option has a range, states it in its help, and a value outside is one usage error of one form. */
class OptionRangesTest {
    /** Numeric options every value of which is valid. */
    private static final Set<String> UNBOUNDED = Set.of("--seed");

    @Test
    void everyNumericOptionOfEveryCommandHasARangeStatedInItsHelp() {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (CommandSpec spec : commands(new CommandLine(new ShrinkCommand()))) {
            for (OptionSpec o : spec.options()) {
                if (!numeric(o) || UNBOUNDED.contains(o.longestName())) {
                    continue;
                }
                Range r = OptionRanges.range(o);
                String where = spec.qualifiedName() + " " + o.longestName();
                if (r == null) {
                    problems.add(where + " has no @Range");
                } else if (!String.join(" ", o.description()).contains(OptionRanges.describe(r))) {
                    problems.add(where + "'s help does not say '" + OptionRanges.describe(r) + "'");
                } else {
                    checked++;
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(checked >= 40, "numeric options found: " + checked);
    }

    @Test
    void outOfRangeValuesAreUsageErrorsNamingOptionRangeAndValue() {
        assertUsage("--max-length must be 0 or between 8 and 512, not -3", "fine-tune", "m", "--task", "sst2", "--max-length", "-3");
        assertUsage("--max-length must be 0 or between 8 and 512, not -7", "evaluate", "m", "--task", "sst2", "--max-length", "-7");
        assertUsage("--max-length must be 0 or between 8 and 512, not 100000", "evaluate", "m", "--task", "sst2", "--max-length", "100000");
        assertUsage("--warmup must be in [0, 1), not 1.0", "fine-tune", "m", "--task", "sst2", "--warmup", "1");
        assertUsage("--lr must be in (0, 1), not NaN", "fine-tune", "m", "--task", "sst2", "--lr", "NaN");
        assertUsage("--lr must be in (0, 1), not 0.0", "distill", "t", "--task", "sst2", "--lr", "0");
        assertUsage("--temperature must be greater than 0, not 0.0", "distill", "t", "--task", "sst2", "--temperature", "0");
        assertUsage("--temperature must be greater than 0, not Infinity", "distill", "t", "--task", "sst2", "--temperature", "Infinity");
        assertUsage("--batch-size must be at least 1, not 0", "distill", "t", "--task", "sst2", "--batch-size", "0");
        assertUsage("--epochs must be at least 1, not -1", "fine-tune", "m", "--task", "sst2", "--epochs", "-1");
        assertUsage("--bootstrap must be at least 0, not -5", "compare", "a", "b", "--bootstrap", "-5");
        assertUsage("--duration must be greater than 0, not 0.0", "benchmark", "m", "--duration", "0");
        assertUsage("--batch must be between 1 and 4096, not 0", "benchmark", "m", "--batch", "1,0");
        assertUsage("--threads must be at least 1, not 0", "benchmark", "m", "--threads", "0");
        assertUsage("--top-k must be between 1 and 1000, not 0", "predict", "m", "x", "--top-k", "0");
        assertUsage("--alpha-ce must be at least 0, not -0.5", "distill", "t", "--task", "sst2", "--alpha-ce", "-0.5");
    }

    @Test
    void boundaryValuesInsideTheRangePass() {
        assertValid("fine-tune", "m", "--task", "sst2", "--max-length", "0", "--warmup", "0", "--epochs", "1");
        assertValid("fine-tune", "m", "--task", "sst2", "--max-length", "8", "--warmup", "0.999", "--lr", "0.5");
        assertValid("evaluate", "m", "--task", "sst2", "--max-length", "512", "--bootstrap", "0");
        assertValid("distill", "t", "--task", "sst2", "--temperature", "1e-3", "--alpha-ce", "0");
        assertValid("benchmark", "m", "--seq", "1,512", "--batch", "1", "--threads", "1", "--iterations", "1");
        assertValid("predict", "m", "x", "--top-k", "1000");
        assertUsage("--max-length must be 0 or between 8 and 512, not 7", "fine-tune", "m", "--task", "sst2", "--max-length", "7");
        assertUsage("--max-length must be 0 or between 8 and 512, not 513", "fine-tune", "m", "--task", "sst2", "--max-length", "513");
    }

    private static void assertUsage(String message, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ShrinkCommand());
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        assertEquals(2, cli.execute(args), String.join(" ", args) + ": " + err);
        assertEquals(message, err.toString().lines().findFirst().orElse(""), String.join(" ", args));
    }

    private static void assertValid(String... args) {
        CommandLine cli = new CommandLine(new ShrinkCommand());
        CommandLine.ParseResult parsed = cli.parseArgs(args);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        CommandSpec spec = parsed.commandSpec();
        assertDoesNotThrow(() -> OptionRanges.check(spec), String.join(" ", args));
    }

    private static boolean numeric(OptionSpec o) {
        Class<?> t = o.typeInfo().isCollection() ? o.typeInfo().getAuxiliaryTypes()[0] : o.type();
        return t == int.class || t == long.class || t == double.class || t == float.class
                || Number.class.isAssignableFrom(t);
    }

    private static List<CommandSpec> commands(CommandLine cl) {
        List<CommandSpec> out = new ArrayList<>();
        out.add(cl.getCommandSpec());
        cl.getSubcommands().values().forEach(sub -> out.addAll(commands(sub)));
        return out;
    }
}
