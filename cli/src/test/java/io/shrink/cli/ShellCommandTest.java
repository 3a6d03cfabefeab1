package io.shrink.cli;

import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShellCommandTest {
    @Test
    void runsCommandsUntilExit(@TempDir Path registry) throws Exception {
        String input = "models list --registry " + registry + "\nmodels show nope --registry " + registry + "\nexit\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new ShellCommand(() -> new DumbTerminal("test", Terminal.TYPE_DUMB,
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, StandardCharsets.UTF_8)).call();
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.contains("no models yet"), text);
        assertTrue(text.contains("no model 'nope'") && text.contains("(exit code 3)"), text);
    }
}
