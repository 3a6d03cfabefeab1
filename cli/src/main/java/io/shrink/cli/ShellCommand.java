package io.shrink.cli;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.shell.jline3.PicocliJLineCompleter;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shrink shell}: run shrink commands one after another with completion and history, in one JVM. */
@Command(name = "shell", mixinStandardHelpOptions = true,
        header = "Interactive shell: shrink commands with tab completion and history.",
        description = {"Type commands without the leading 'shrink', e.g. 'models list'. The engine starts once, so",
                "later commands start fast. 'exit' or Ctrl-D leaves."})
final class ShellCommand implements Callable<Integer> {
    /** Opens the terminal the shell talks to. */
    @FunctionalInterface
    interface Terminals {
        Terminal open() throws IOException;
    }

    private final Terminals terminals;

    ShellCommand(Terminals terminals) {
        this.terminals = terminals;
    }

    @Override
    public Integer call() throws IOException {
        try (Terminal terminal = terminals.open()) {
            PrintWriter out = terminal.writer();
            CommandLine completionTree = Main.commandLine(out, out);
            LineReader reader = LineReaderBuilder.builder().terminal(terminal)
                    .completer(new PicocliJLineCompleter(completionTree.getCommandSpec()))
                    .parser(new DefaultParser()).build();
            while (true) {
                String line;
                try {
                    line = reader.readLine("shrink> ");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    return 0;
                }
                List<String> words = reader.getParser().parse(line, 0).words().stream()
                        .filter(w -> !w.isEmpty()).toList();
                if (words.isEmpty()) {
                    continue;
                }
                if (words.get(0).equals("exit") || words.get(0).equals("quit")) {
                    return 0;
                }
                if (words.stream().filter(w -> !w.startsWith("-")).findFirst().orElse("").equals("shell")) {
                    out.println("shrink: already in the shell");
                    continue;
                }
                int code = Main.run(out, out, words.toArray(new String[0]));
                if (code != 0) {
                    out.println("(exit code " + code + ")");
                }
                out.flush();
            }
        }
    }
}
