package io.shrink.cli;

import org.junit.jupiter.api.Test;
import picocli.AutoComplete;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command's {@code --help} and the shell completion scripts match the committed golden files.
 * After a deliberate change, regenerate them with {@code mvn -pl cli test -Dtest=GoldenFilesTest -Dshrink.updateGolden=true}.
 */
class GoldenFilesTest {
    static final Path PROJECT = Path.of(System.getProperty("shrink.projectDir", "..")).toAbsolutePath().normalize();
    static final boolean UPDATE = Boolean.getBoolean("shrink.updateGolden");

    @Test
    void helpOfEveryCommandMatchesGoldenFiles() throws IOException {
        List<String> problems = new ArrayList<>();
        for (List<String> path : commandPaths(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())), new ArrayList<>())) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            StringWriter out = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), args.toArray(new String[0]));
            assertEquals(0, code, "exit code of " + args);
            assertTrue(out.toString().startsWith("Usage:") || out.toString().contains("\nUsage:"),
                    "help of " + args + " is printed to the given writer");
            String name = path.isEmpty() ? "shrink" : "shrink-" + String.join("-", path);
            check(PROJECT.resolve("cli/src/test/resources/golden/" + name + ".help.txt"), out.toString(), problems);
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void completionScriptsMatchGoldenFiles() throws IOException {
        CommandLine cli = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        String bash = AutoComplete.bash("shrink", cli);
        List<String> problems = new ArrayList<>();
        check(PROJECT.resolve("completions/shrink.bash"), bash, problems);
        StringWriter out = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "generate-completion"));
        assertEquals(bash.stripTrailing(), out.toString().replace("\r\n", "\n").stripTrailing(),
                "generate-completion prints the same script");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    static List<List<String>> commandPaths(CommandLine cl, List<String> prefix) {
        List<List<String>> out = new ArrayList<>();
        out.add(List.copyOf(prefix));
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().usageMessage().hidden() || sub.getCommandName().equals("generate-completion")) {
                continue;
            }
            List<String> p = new ArrayList<>(prefix);
            p.add(sub.getCommandName());
            out.addAll(commandPaths(sub, p));
        }
        return out;
    }

    static void check(Path golden, String actual, List<String> problems) throws IOException {
        String normalised = actual.replace("\r\n", "\n");
        if (UPDATE) {
            Files.createDirectories(golden.getParent());
            Files.writeString(golden, normalised, StandardCharsets.UTF_8);
            return;
        }
        if (!Files.isRegularFile(golden)) {
            problems.add("missing golden file " + golden + " (run with -Dshrink.updateGolden=true)");
        } else if (!Files.readString(golden, StandardCharsets.UTF_8).equals(normalised)) {
            problems.add(golden + " differs from the current output (regenerate with -Dshrink.updateGolden=true if intended)");
        }
    }
}
