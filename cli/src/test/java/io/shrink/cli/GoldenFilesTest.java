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
        } else {
            String expected = Files.readString(golden, StandardCharsets.UTF_8);
            if (!expected.equals(normalised)) {
                problems.add(golden + " differs from the current output (regenerate with -Dshrink.updateGolden=true if intended)"
                        + "\n" + diff(expected, normalised));
            }
        }
    }

    /** The lines that differ, {@code -} for the golden file's and {@code +} for the current output's, at most 40. */
    static String diff(String expected, String actual) {
        String[] a = expected.split("\n", -1);
        String[] b = actual.split("\n", -1);
        if ((long) a.length * b.length > 4_000_000L) {
            int i = 0;
            while (i < a.length && i < b.length && a[i].equals(b[i])) {
                i++;
            }
            return "  first difference at line " + (i + 1) + ":\n  - " + (i < a.length ? a[i] : "(end)")
                    + "\n  + " + (i < b.length ? b[i] : "(end)");
        }
        int[][] common = new int[a.length + 1][b.length + 1];
        for (int i = a.length - 1; i >= 0; i--) {
            for (int j = b.length - 1; j >= 0; j--) {
                common[i][j] = a[i].equals(b[j]) ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        List<String> lines = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            if (i < a.length && j < b.length && a[i].equals(b[j])) {
                i++;
                j++;
            } else if (i < a.length && (j == b.length || common[i + 1][j] >= common[i][j + 1])) {
                lines.add("  - " + a[i++]);
            } else {
                lines.add("  + " + b[j++]);
            }
        }
        if (lines.size() > 40) {
            int more = lines.size() - 40;
            lines = new ArrayList<>(lines.subList(0, 40));
            lines.add("  ... " + more + " more");
        }
        return String.join("\n", lines);
    }
}
